#include "services/routing/router.h"

#include "absl/strings/str_cat.h"

namespace dispatch::routing {
v1::Handling MakeHandling(const std::string& unit_code, v1::Department department,
                          v1::HandlingRole role) {
  v1::Handling h;
  h.set_unit_code(unit_code);
  h.set_department(department);
  h.set_role(role);
  return h;
}

RoutingDecision Route(const OrgModel& org, const DepartmentMatrix& matrix, v1::Category category,
                      const v1::Location& location) {
  RoutingDecision r;
  r.org_version = org.version();
  Departments departments = matrix.For(category);
  r.lead_department = departments.lead;
  OrgModel::Resolution where = org.Resolve(location);

  std::optional<std::string> lead;
  if (!where.needs_manual_routing) lead = org.UnitHosting(where.community_code, departments.lead);
  if (!lead) {
    r.needs_manual_routing = true;
    r.lead_unit_code = org.DeskOf(where.county_code);
    r.explanation =
        where.needs_manual_routing
            ? absl::StrCat("location not resolved (", where.how, "): county dispatch desk")
            : absl::StrCat("no unit above ", where.community_code, " hosts ",
                           v1::Department_Name(departments.lead), ": county dispatch desk");
    r.handlings.push_back(
        MakeHandling(r.lead_unit_code, departments.lead, v1::HANDLING_ROLE_LEAD));
    return r;
  }
  r.lead_unit_code = *lead;
  r.explanation = absl::StrCat("community ", where.community_code, " (by ", where.how, "), ",
                               v1::Department_Name(departments.lead), " at ", *lead);
  r.handlings.push_back(MakeHandling(*lead, departments.lead, v1::HANDLING_ROLE_LEAD));
  // An assisting DEPARTMENT_TERRITORIAL is the township/street above the community (属地; the
  // community is territorial only as a lead): "civil affairs with the township", DOMAIN.md
  // section 3. Other assisting departments are looked for from the community upwards.
  const OrgModel::Unit* community = org.FindUnit(where.community_code);
  const std::string& township =
      community != nullptr && !community->parent_code.empty() ? community->parent_code
                                                               : where.community_code;
  for (v1::Department d : departments.assisting) {
    const std::string& from = d == v1::DEPARTMENT_TERRITORIAL ? township : where.community_code;
    if (std::optional<std::string> unit = org.UnitHosting(from, d)) {
      r.handlings.push_back(MakeHandling(*unit, d, v1::HANDLING_ROLE_ASSIST));
    }
  }
  return r;
}

}  // namespace dispatch::routing
