// Route(): the routing decision for a complaint — "territorial management, sector supervision".
//
// The location picks the community (OrgModel::Resolve); the category picks the lead and
// assisting departments (DepartmentMatrix); the lead unit is the lowest unit from the community
// upwards that hosts the lead department, and so is each assisting unit, except that an
// assisting DEPARTMENT_TERRITORIAL is looked for from the township up (the 属地 township). When the location cannot be resolved, or no unit on
// the path hosts the department, the ticket goes to the county dispatch desk with
// needs_manual_routing set. Pure function of its inputs.
#ifndef DISPATCH_SERVICES_ROUTING_ROUTER_H_
#define DISPATCH_SERVICES_ROUTING_ROUTER_H_

#include <string>
#include <vector>

#include "dispatch/v1/types.pb.h"
#include "services/org/department_matrix.h"
#include "services/org/org_model.h"

namespace dispatch::routing {

using org::OrgModel;
using org::DepartmentMatrix;
using org::Departments;

struct RoutingDecision {
  // The lead: unit and department (the desk's unit when needs_manual_routing).
  std::string lead_unit_code;
  v1::Department lead_department = v1::DEPARTMENT_UNSPECIFIED;
  // Lead first, then assisting departments that some unit on the path hosts.
  std::vector<v1::Handling> handlings;
  bool needs_manual_routing = false;
  // Why, in words, for the ticket history.
  std::string explanation;
  std::string org_version;
};

RoutingDecision Route(const OrgModel& org, const DepartmentMatrix& matrix, v1::Category category,
                      const v1::Location& location);

v1::Handling MakeHandling(const std::string& unit_code, v1::Department department,
                          v1::HandlingRole role);

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROUTER_H_
