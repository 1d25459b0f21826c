// OrgModel: the organisation the service routes to ("territorial management", DOMAIN.md
// sections 2-3), built from a validated config.v1.Organisation.
//
//   - the jurisdiction tree: one city, counties/districts, townships/streets, communities, each
//     unit with the departments it hosts, and one dispatch desk per county;
//   - jurisdiction resolution: a complaint's community code, else its estate name (or an alias),
//     else an estate named inside its address, finds its community; a location that none of
//     these resolve goes to the county dispatch desk, flagged for manual routing — never
//     rejected;
//   - the lead unit for a department: the lowest unit on the path from the community up to the
//     city that hosts the department (a community's property officer for housing matters, the
//     township's law-enforcement squad for urban management, the county bureau otherwise).
//
// Immutable after construction; thread-safe. Handlers and their rosters are validated here;
// assignment (services/routing/roster.h) uses them.
#ifndef DISPATCH_SERVICES_ROUTING_ORG_MODEL_H_
#define DISPATCH_SERVICES_ROUTING_ORG_MODEL_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::routing {

class OrgModel {
 public:
  struct Unit {
    std::string code;
    std::string name;
    v1::Tier tier = v1::TIER_UNSPECIFIED;
    std::string parent_code;  // empty for the city
    std::set<int> departments;
    bool dispatch_desk = false;
  };

  // Where a complaint's location led.
  struct Resolution {
    // The community, when resolved; empty otherwise.
    std::string community_code;
    // The county whose desk takes it when it needs manual routing (known county, else the first
    // county of the configuration).
    std::string county_code;
    bool needs_manual_routing = false;
    // How it was resolved, for the ticket history: "community_code", "estate", "estate alias",
    // "address", or why it was not.
    std::string how;
  };

  // Validates everything and names the first problem ("units[3].parent_code: no unit X").
  static absl::StatusOr<OrgModel> FromConfig(const config::v1::Organisation& config);

  const std::string& version() const { return version_; }
  const Unit* FindUnit(const std::string& code) const;
  // The ticket-hash fields that name `code` as a ticket's lead unit for the SLA engine: its tier
  // (`ut`, breaches are recorded against it) and the supervising tier (`tier`): the unit's tier,
  // or the tier escalations raised the ticket to (`raised`, Ticket.raised_tier) if higher. Only
  // escalations count: a ticket returned to the county desk and routed on to a community is
  // supervised at the community's tier again, so its next breach climbs one tier, not two.
  std::vector<std::pair<std::string, std::string>> LeadUnitFields(const std::string& code,
                                                                  v1::Tier raised) const;
  // The path from the city down to `code` (empty if unknown).
  v1::JurisdictionPath PathOf(const std::string& code) const;
  // The dispatch desk unit of a county.
  std::string DeskOf(const std::string& county_code) const;

  Resolution Resolve(const v1::Location& location) const;

  // The lowest unit from `unit_code` upwards (itself included) hosting `department`.
  std::optional<std::string> UnitHosting(const std::string& unit_code,
                                         v1::Department department) const;

 private:
  std::string version_;
  std::map<std::string, Unit> units_;
  std::vector<std::string> counties_;                  // in configuration order
  std::map<std::string, std::string> desks_;           // county → desk unit
  std::map<std::string, std::string> estate_names_;    // normalised name → community
  std::map<std::string, std::string> estate_aliases_;  // normalised alias → community
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ORG_MODEL_H_
