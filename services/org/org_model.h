// OrgModel: the organisation the service routes to ("territorial management", DOMAIN.md
// sections 2-3), built from a validated config.v1.Organisation.
//
//   - the jurisdiction tree: one city, counties/districts, townships/streets, communities, each
//     unit with the departments it hosts and its parent exactly one tier up; one dispatch desk
//     per county, and the city unit as the desk for tickets whose county is unknown. The tree
//     is the parent links, never the shape of the codes: official 12-digit division codes
//     (county 430923000000, community 430923100001) work like any other code;
//   - jurisdiction resolution: a complaint's community code, else its estate name (or an alias),
//     else an estate named inside its address, finds its community; a location that none of
//     these resolve goes to the dispatch desk of the county the caller named, else the city's,
//     flagged for manual routing — never rejected;
//   - the lead unit for a department: the lowest unit on the path from the community up to the
//     city that hosts the department (a community's property officer for housing matters, the
//     township's law-enforcement squad for urban management, the county bureau otherwise).
//
//   - property companies: each with its unified social credit code (GB 32100-2015, check
//     character verified) and the estates it serves, each estate by at most one company; the
//     company a complaint is about (CompanyFor) is the one its words name by code, else the one
//     serving its estate, else the one its words name by name.
//
// Validation names the first problem ("units[3].parent_code: no unit X"): codes 1-32 characters
// of [A-Za-z0-9._:-], names 1-50 characters, a parent that exists one tier up, known
// departments, handlers of hosted departments with well-formed shifts, estates of communities.
// Companies: codes valid and unique, names 1-100 characters and unique, estates in the directory
// and served once. // Immutable after construction; thread-safe.
#ifndef DISPATCH_SERVICES_ORG_ORG_MODEL_H_
#define DISPATCH_SERVICES_ORG_ORG_MODEL_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::org {

// "HH:MM" (two digits each, 00:00-23:59) -> minutes after midnight; nullopt if malformed.
std::optional<int> MinutesOfDay(absl::string_view hhmm);

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
    // The county of the community, or the county the caller named when the location is not
    // resolved; empty when neither is known (the city's desk takes the ticket).
    std::string county_code;
    bool needs_manual_routing = false;
    // How it was resolved, for the ticket history: "community_code", "estate", "estate alias",
    // "address", or why it was not.
    std::string how;
  };

  struct Company {
    std::string credit_code;
    std::string name;
    std::vector<std::string> estates;  // as the config names them
  };

  // Validates everything and names the first problem ("units[3].parent_code: no unit X").
  static absl::StatusOr<OrgModel> FromConfig(const config::v1::Organisation& config);

  const std::string& version() const { return version_; }
  const Unit* FindUnit(const std::string& code) const;
  // True if `code` is `root` or lies below it in the tree (by parent links).
  bool InSubtree(const std::string& code, const std::string& root) const;
  // The codes above `code`, its parent first, up to the city; empty for the city or an
  // unknown code.
  std::vector<std::string> Ancestors(const std::string& code) const;
  // The units whose parent is `code`, by code (empty for a community or an unknown code).
  std::vector<std::string> Children(const std::string& code) const;
  // The path from the city down to `code` (empty if unknown).
  v1::JurisdictionPath PathOf(const std::string& code) const;
  // The dispatch desk unit of a county; the city unit (the city's desk) for an empty or
  // unknown county.
  std::string DeskOf(const std::string& county_code) const;
  const std::string& city_code() const { return city_; }

  Resolution Resolve(const v1::Location& location) const;
  // The desk a ticket from `location` lands on when routing cannot place it: its county's
  // desk, or the city's when the county is unknown.
  std::string FallbackDesk(const v1::Location& location) const;

  // The company with this unified social credit code; nullptr if none.
  const Company* FindCompany(const std::string& credit_code) const;
  // The credit code of the company a complaint is about, "" when none: `named` (the caller's
  // Complaint.property_company) read as a credit code (any letter case) of a known company,
  // else the company serving the estate the location names (estate name or alias, else an
  // estate inside the address), else `named` as a known company's name (spaces ignored).
  std::string CompanyFor(const v1::Location& location, absl::string_view named) const;

  // The lowest unit from `unit_code` upwards (itself included) hosting `department`.
  std::optional<std::string> UnitHosting(const std::string& unit_code,
                                         v1::Department department) const;

 private:
  std::string version_;
  std::string city_;
  std::map<std::string, Unit> units_;
  std::map<std::string, std::string> desks_;           // county → desk unit
  std::map<std::string, std::string> estate_names_;    // normalised name → community
  std::map<std::string, std::string> estate_aliases_;  // normalised alias → community
  std::map<std::string, std::string> estate_of_;       // normalised name or alias → name
  std::map<std::string, Company> companies_;           // credit code → company
  std::map<std::string, std::string> company_names_;   // normalised name → credit code
  std::map<std::string, std::string> estate_company_;  // normalised estate name → credit code

  // The estate `location` names: by name or alias, else inside the address (the longest name
  // found wins); the normalised name, or nullopt. `how` says which ("estate", "estate alias",
  // "address").
  struct EstateMatch {
    std::string estate;
    const char* how;
  };
  std::optional<EstateMatch> MatchEstate(const v1::Location& location) const;
};

// True when `code` is a unified social credit code (统一社会信用代码, GB 32100-2015): 18
// characters of "0123456789ABCDEFGHJKLMNPQRTUWXY" whose last is the check character of the 17
// before it (weights 3^i mod 31; check = (31 - sum mod 31) mod 31).
bool IsCreditCode(absl::string_view code);

// The ticket-hash fields (common/ticket_record.h, LeadUnitFields) that make `code` a ticket's
// lead unit under `org`: the unit, its tier, its ancestors and the supervising tier given the
// tier escalations raised the ticket to (`raised`).
std::vector<std::pair<std::string, std::string>> LeadUnitFields(const OrgModel& org,
                                                                const std::string& code,
                                                                v1::Tier raised);

}  // namespace dispatch::org

#endif  // DISPATCH_SERVICES_ORG_ORG_MODEL_H_
