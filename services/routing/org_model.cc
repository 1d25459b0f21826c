#include "services/routing/org_model.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text.h"
#include "services/routing/roster.h"

namespace dispatch::routing {
namespace {

// Estate names are compared without spaces (ASCII or the full-width U+3000).
std::string Normalise(absl::string_view name) {
  std::string s = absl::StrReplaceAll(name, {{"\u3000", ""}});
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](unsigned char c) { return absl::ascii_isspace(c); }),
          s.end());
  return s;
}

absl::Status Invalid(const std::string& field, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

}  // namespace

absl::StatusOr<OrgModel> OrgModel::FromConfig(const config::v1::Organisation& c) {
  OrgModel m;
  if (c.version().empty()) return Invalid("version", "required");
  m.version_ = c.version();

  int cities = 0;
  for (int i = 0; i < c.units_size(); ++i) {
    const auto& u = c.units(i);
    std::string f = absl::StrCat("units[", i, "]");
    if (!IsValidExternalId(u.code(), 32)) {
      return Invalid(f + ".code", "1-32 characters of [A-Za-z0-9._:-]");
    }
    if (u.name().empty()) return Invalid(f + ".name", "required");
    if (u.tier() < v1::TIER_COMMUNITY || u.tier() > v1::TIER_CITY) {
      return Invalid(f + ".tier", "required, a known Tier");
    }
    if (u.tier() == v1::TIER_CITY) {
      ++cities;
      if (!u.parent_code().empty()) return Invalid(f + ".parent_code", "the city has no parent");
    } else if (u.parent_code().empty()) {
      return Invalid(f + ".parent_code", "required below the city");
    }
    Unit unit{u.code(), u.name(), u.tier(), u.parent_code(), {}, u.dispatch_desk()};
    for (int d : u.departments()) {
      if (d == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(d)) {
        return Invalid(f + ".departments", "known departments only");
      }
      unit.departments.insert(d);
    }
    if (!m.units_.emplace(u.code(), std::move(unit)).second) {
      return Invalid(f + ".code", absl::StrCat("\"", u.code(), "\" is used twice"));
    }
    if (u.tier() == v1::TIER_COUNTY) m.counties_.push_back(u.code());
  }
  if (cities != 1) return Invalid("units", "exactly one unit must be TIER_CITY");

  // Parents exist and sit exactly one tier up; every desk belongs to one county.
  for (int i = 0; i < c.units_size(); ++i) {
    const Unit& u = m.units_.at(c.units(i).code());
    std::string f = absl::StrCat("units[", i, "]");
    if (u.tier != v1::TIER_CITY) {
      const Unit* parent = m.FindUnit(u.parent_code);
      if (parent == nullptr) {
        return Invalid(f + ".parent_code", absl::StrCat("no unit \"", u.parent_code, "\""));
      }
      if (parent->tier != u.tier + 1) {
        return Invalid(f + ".parent_code",
                       absl::StrCat("a ", v1::Tier_Name(u.tier), " unit's parent must be one tier "
                                    "up, not ", v1::Tier_Name(parent->tier)));
      }
    }
    if (u.dispatch_desk) {
      if (u.tier == v1::TIER_CITY) return Invalid(f + ".dispatch_desk", "desks serve a county");
      std::string county = m.PathOf(u.code).county_code();
      if (!m.desks_.emplace(county, u.code).second) {
        return Invalid(f + ".dispatch_desk",
                       absl::StrCat("county \"", county, "\" already has a desk"));
      }
    }
  }
  if (m.counties_.empty()) return Invalid("units", "at least one TIER_COUNTY unit");
  for (const std::string& county : m.counties_) {
    if (!m.desks_.count(county)) {
      return Invalid("units", absl::StrCat("county \"", county, "\" has no dispatch_desk unit"));
    }
  }

  std::set<std::string> handler_ids;
  for (int i = 0; i < c.handlers_size(); ++i) {
    const auto& h = c.handlers(i);
    std::string f = absl::StrCat("handlers[", i, "]");
    if (!IsValidExternalId(h.id(), 64)) return Invalid(f + ".id", "1-64 characters of [A-Za-z0-9._:-]");
    if (!handler_ids.insert(h.id()).second) {
      return Invalid(f + ".id", absl::StrCat("\"", h.id(), "\" is used twice"));
    }
    if (h.name().empty()) return Invalid(f + ".name", "required");
    const Unit* unit = m.FindUnit(h.unit_code());
    if (unit == nullptr) return Invalid(f + ".unit_code", absl::StrCat("no unit \"", h.unit_code(), "\""));
    if (!unit->departments.count(h.department())) {
      return Invalid(f + ".department",
                     absl::StrCat(v1::Department_Name(h.department()), " is not hosted by ",
                                  h.unit_code()));
    }
    for (int s = 0; s < h.shifts_size(); ++s) {
      const auto& shift = h.shifts(s);
      std::string sf = absl::StrCat(f, ".shifts[", s, "]");
      if (shift.weekdays().empty()) return Invalid(sf + ".weekdays", "at least one (1-7)");
      for (int d : shift.weekdays()) {
        if (d < 1 || d > 7) return Invalid(sf + ".weekdays", "1 (Monday) to 7 (Sunday)");
      }
      if (!MinutesOfDay(shift.start())) return Invalid(sf + ".start", "\"HH:MM\"");
      if (!MinutesOfDay(shift.end())) return Invalid(sf + ".end", "\"HH:MM\"");
    }
  }

  for (int i = 0; i < c.estates_size(); ++i) {
    const auto& e = c.estates(i);
    std::string f = absl::StrCat("estates[", i, "]");
    const Unit* community = m.FindUnit(e.community_code());
    if (community == nullptr || community->tier != v1::TIER_COMMUNITY) {
      return Invalid(f + ".community_code",
                     absl::StrCat("\"", e.community_code(), "\" is not a community unit"));
    }
    std::string name = Normalise(e.name());
    if (name.empty()) return Invalid(f + ".name", "required");
    if (!m.estate_names_.emplace(name, e.community_code()).second) {
      return Invalid(f + ".name", absl::StrCat("\"", e.name(), "\" is listed twice"));
    }
    for (const auto& alias : e.aliases()) {
      std::string a = Normalise(alias);
      if (a.empty() || !m.estate_aliases_.emplace(a, e.community_code()).second) {
        return Invalid(f + ".aliases", absl::StrCat("\"", alias, "\" is empty or listed twice"));
      }
    }
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> OrgModel::LeadUnitFields(
    const std::string& code, v1::Tier raised) const {
  const Unit* u = FindUnit(code);
  int tier = u == nullptr ? v1::TIER_UNSPECIFIED : u->tier;
  return {{"ut", std::to_string(tier)}, {"tier", std::to_string(std::max<int>(tier, raised))}};
}

const OrgModel::Unit* OrgModel::FindUnit(const std::string& code) const {
  auto it = units_.find(code);
  return it == units_.end() ? nullptr : &it->second;
}

v1::JurisdictionPath OrgModel::PathOf(const std::string& code) const {
  v1::JurisdictionPath path;
  for (const Unit* u = FindUnit(code); u != nullptr; u = FindUnit(u->parent_code)) {
    switch (u->tier) {
      case v1::TIER_COMMUNITY:
        path.set_community_code(u->code);
        break;
      case v1::TIER_TOWNSHIP:
        path.set_township_code(u->code);
        break;
      case v1::TIER_COUNTY:
        path.set_county_code(u->code);
        break;
      default:
        path.set_city_code(u->code);
        break;
    }
    if (u->parent_code.empty()) break;
  }
  return path;
}

std::string OrgModel::DeskOf(const std::string& county_code) const {
  auto it = desks_.find(county_code);
  return it == desks_.end() ? "" : it->second;
}

OrgModel::Resolution OrgModel::Resolve(const v1::Location& location) const {
  Resolution r;
  auto resolved = [&](const std::string& community, const char* how) {
    r.community_code = community;
    r.county_code = PathOf(community).county_code();
    r.how = how;
    return r;
  };
  const std::string& code = location.jurisdiction().community_code();
  if (const Unit* u = FindUnit(code); u != nullptr && u->tier == v1::TIER_COMMUNITY) {
    return resolved(code, "community_code");
  }
  std::string estate = Normalise(location.estate_name());
  if (!estate.empty()) {
    if (auto it = estate_names_.find(estate); it != estate_names_.end()) {
      return resolved(it->second, "estate");
    }
    if (auto it = estate_aliases_.find(estate); it != estate_aliases_.end()) {
      return resolved(it->second, "estate alias");
    }
  }
  // An estate named inside the free-text address; the longest name wins ("翠苑一区" over "翠苑").
  std::string address = Normalise(location.address());
  const std::string* best = nullptr;
  size_t best_len = 0;
  for (const auto* names : {&estate_names_, &estate_aliases_}) {
    for (const auto& [name, community] : *names) {
      if (name.size() > best_len && absl::StrContains(address, name)) {
        best = &community;
        best_len = name.size();
      }
    }
  }
  if (best != nullptr) return resolved(*best, "address");

  // Unresolved: the desk of the county the caller named, else of the first county.
  r.needs_manual_routing = true;
  const std::string& county = location.jurisdiction().county_code();
  const Unit* u = FindUnit(county);
  r.county_code = (u != nullptr && u->tier == v1::TIER_COUNTY) ? county : counties_.front();
  r.how = code.empty() ? "no known community, estate or address"
                       : absl::StrCat("unknown community code \"", code, "\"");
  return r;
}

std::optional<std::string> OrgModel::UnitHosting(const std::string& unit_code,
                                                 v1::Department department) const {
  for (const Unit* u = FindUnit(unit_code); u != nullptr; u = FindUnit(u->parent_code)) {
    if (u->departments.count(department)) return u->code;
    if (u->parent_code.empty()) break;
  }
  return std::nullopt;
}

}  // namespace dispatch::routing
