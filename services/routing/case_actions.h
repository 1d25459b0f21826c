// CaseActions: what the handler does to work a case — the logic behind RoutingService's
// RecordContact, ResolveTicket and RecordAssistResult (docs/TICKET_LIFECYCLE.md):
//
//   RecordContact  SIGNED_FOR or CONTACTED → CONTACTED: the property company was contacted and
//                  a preliminary result recorded; meets the preliminary (3-hour) clock at the
//                  time it is recorded (a later record updates nothing but the history).
//   ResolveTicket  SIGNED_FOR or CONTACTED → RESOLVED: the case is basically resolved and the
//                  result fed back to the complainant; meets the resolve (3-day) clock — and
//                  the preliminary clock if still open, and a supervision clock — and starts the
//                  revisit clock (SlaPolicy::revisit()). The assignee's open-ticket count drops;
//                  a pending extension is dropped. While an assisting share is not done it is
//                  FAILED_PRECONDITION naming the share, unless the lead overrides with a
//                  reason (recorded in the event). The handler's finding, whether the
//                  complaint proved true (Substantiation) and whether the property company
//                  refused to rectify, goes into the event: the finding is required
//                  (INVALID_ARGUMENT) when the complaint names a property company, a refusal
//                  only with a (partly) substantiated finding. (About a company: the ticket has
//                  a property_company_code, or its complaint names one.)
//   Both also from ASSIGNED when the ticket's assign clock is met by assignment; under
//   sign-for an ASSIGNED ticket must be signed for first.
//   RecordAssistResult  the assisting share's handler records its part (协办): a signed-for
//                  share becomes DONE, with the result in the history.
//   SetPropertyCompany  in any status: the property company the ticket is about becomes a
//                  company of the organisation (by credit code) or none, with a reason; the
//                  PropertyCompanyCorrected event records from what to what, who and why.
//                  The same company again, or a code the organisation does not know, is refused
//                  (FAILED_PRECONDITION, INVALID_ARGUMENT).
// Any other status is FAILED_PRECONDITION naming it; writes go through common/ticket_writer.h
// (expected version: ABORTED when stale; idempotent request ids). Thread-safe.
#ifndef DISPATCH_SERVICES_ROUTING_CASE_ACTIONS_H_
#define DISPATCH_SERVICES_ROUTING_CASE_ACTIONS_H_

#include "common/rpc/unary.h"
#include "common/ticket_writer.h"
#include "dispatch/v1/routing.pb.h"
#include "services/escalation/sla_policy.h"
#include "services/org/org_holder.h"

namespace dispatch::routing {

class CaseActions {
 public:
  // Everything passed must outlive this object.
  CaseActions(redis::Client* redis, Clock* clock, const SlaPolicy* policy,
              const org::OrgHolder* org)
      : writer_(redis, clock), policy_(policy), org_(org) {}

  // Each acts for the authenticated `caller`, checked against the access policy.
  void Contact(const v1::RecordContactRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::TicketActionResponse> done);
  void Resolve(const v1::ResolveTicketRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::TicketActionResponse> done);
  void RecordAssist(const v1::RecordAssistResultRequest& request, const auth::Caller& caller,
                    rpc::Reply<v1::TicketActionResponse> done);
  void SetCompany(const v1::SetPropertyCompanyRequest& request, const auth::Caller& caller,
                  rpc::Reply<v1::TicketActionResponse> done);

 private:
  TicketWriter writer_;
  const SlaPolicy* const policy_;
  const org::OrgHolder* const org_;
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_CASE_ACTIONS_H_
