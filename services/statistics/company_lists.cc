#include "services/statistics/company_lists.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dispatch::statistics {

std::string CompanyKey(const org::OrgModel& org, const std::string& code, const std::string& named) {
  if (!code.empty()) return code;
  std::string known = org.CompanyFor(v1::Location(), named);
  return known.empty() ? named : known;
}

const char kEvaluationsUpToYear[] =
    "SELECT credit_code, year, score::text FROM credit_evaluations WHERE year <= $1 "
    "ORDER BY credit_code, year";

absl::StatusOr<std::vector<ListedCompany>> ListCompanies(const pg::Result& evaluations, int year,
                                                         const CreditRule& rule,
                                                         const org::OrgModel& org) {
  std::map<std::string, std::vector<CreditEvaluation>> by_company;
  for (int r = 0; r < evaluations.rows(); ++r) {
    CreditEvaluation e;
    e.year = static_cast<int>(evaluations.GetInt(r, 1));
    if (!absl::SimpleAtod(evaluations.Get(r, 2), &e.score)) {
      return absl::DataLossError(
          absl::StrCat("credit_evaluations: score \"", evaluations.Get(r, 2), "\""));
    }
    by_company[evaluations.Get(r, 0)].push_back(e);
  }
  std::vector<ListedCompany> out;
  for (const auto& [code, list] : by_company) {
    // Ordered by year (the query's order): the latest is last.
    const CreditEvaluation& latest = list.back();
    const CreditEvaluation* previous =
        list.size() > 1 && list[list.size() - 2].year == latest.year - 1 ? &list[list.size() - 2]
                                                                          : nullptr;
    const org::OrgModel::Company* company = org.FindCompany(code);
    for (CompanyList kind : ListsOf(list, year, rule)) {
      out.push_back({kind, code, company != nullptr ? company->name : "", latest.year,
                     latest.score, previous ? previous->year : 0, previous ? previous->score : 0});
    }
  }
  std::sort(out.begin(), out.end(), [](const ListedCompany& a, const ListedCompany& b) {
    return std::tie(a.list, a.credit_code) < std::tie(b.list, b.credit_code);
  });
  return out;
}

}  // namespace dispatch::statistics
