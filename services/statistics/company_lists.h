// The company lists of a month (DOMAIN.md §5; the rule is rates.h ListsOf) from the annual
// credit evaluations recorded in the read model (migration 0007_company_lists.sql), with the
// companies' names from the organisation. The fact store publishes them at a month's close
// (company_lists); StatisticsService reads the published lists of a closed month and computes
// an open month's with this.
#ifndef DISPATCH_SERVICES_STATISTICS_COMPANY_LISTS_H_
#define DISPATCH_SERVICES_STATISTICS_COMPANY_LISTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/pg_client.h"
#include "services/org/org_model.h"
#include "services/statistics/rates.h"

namespace dispatch::statistics {

struct ListedCompany {
  CompanyList list;
  std::string credit_code;
  std::string name;  // from the organisation; "" for a company it no longer lists
  int latest_year = 0;
  double latest_score = 0;
  int previous_year = 0;  // 0: no evaluation of the year before the latest
  double previous_score = 0;
};

// The key of the company record a ticket never corrected counts in: the credit code it
// carries; for a ticket without one, the company of the organisation its complaint names (by
// code or registered name), else the name as the complaint gives it (a company the organisation
// does not list, or a ticket accepted before companies were records). "" for none. (A corrected
// ticket counts under the correction's code, and under none when corrected to none: the fact
// store decides that from the history.) GetCompanyRecord looks a company up the same way.
std::string CompanyKey(const org::OrgModel& org, const std::string& code, const std::string& named);

// The query (parameter $1: the month's year) whose rows (credit_code, year, score) ListCompanies
// takes: every evaluation of the years up to the month's.
extern const char kEvaluationsUpToYear[];

// The companies on each list for a month of `year`, by list then credit code, from the rows of
// kEvaluationsUpToYear.
absl::StatusOr<std::vector<ListedCompany>> ListCompanies(const pg::Result& evaluations, int year,
                                                         const CreditRule& rule,
                                                         const org::OrgModel& org);

}  // namespace dispatch::statistics

#endif  // DISPATCH_SERVICES_STATISTICS_COMPANY_LISTS_H_
