-- 0005: property companies as records (issue #16). A ticket carries the unified social credit
-- code of the company it is about (dispatch.v1.Ticket.property_company_code): set at acceptance
-- from the organisation's companies and corrected by RoutingService.SetPropertyCompany. The
-- company records (company_complaints.company) are kept under this code; a ticket without one
-- (accepted before companies were records, or about a company the organisation does not list)
-- keeps the name its complaint gave (services/statistics/fact_store.h).
ALTER TABLE tickets ADD COLUMN company_code text NOT NULL DEFAULT '';
