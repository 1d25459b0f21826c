#include "services/org/org_model.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace dispatch::org {
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

// Display names: required, valid UTF-8, at most `max_chars` characters.
absl::Status CheckName(const std::string& field, const std::string& name, size_t max_chars) {
  absl::Status s = CheckText(name, field, max_chars, /*required=*/true);
  if (!s.ok() || IsValidUtf8(name)) return s;
  return Invalid(field, "not valid UTF-8");
}

constexpr size_t kMaxNameChars = 50;
constexpr size_t kMaxEstateChars = 100;
constexpr size_t kMaxCompanyChars = 100;

}  // namespace

bool IsCreditCode(absl::string_view code) {
  static constexpr absl::string_view kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (code.size() != 18) return false;
  int sum = 0, weight = 1;
  for (size_t i = 0; i < 18; ++i) {
    const size_t v = kChars.find(code[i]);
    if (v == absl::string_view::npos) return false;
    if (i == 17) return static_cast<int>(v) == (31 - sum % 31) % 31;
    sum += static_cast<int>(v) * weight;
    weight = weight * 3 % 31;
  }
  return false;
}

std::optional<int> MinutesOfDay(absl::string_view hhmm) {
  std::vector<std::string> parts = absl::StrSplit(hhmm, ':');
  int h, m;
  if (parts.size() == 2 && parts[0].size() == 2 && parts[1].size() == 2 &&
      absl::SimpleAtoi(parts[0], &h) && absl::SimpleAtoi(parts[1], &m) && h >= 0 && h < 24 &&
      m >= 0 && m < 60) {
    return h * 60 + m;
  }
  return std::nullopt;
}

absl::StatusOr<OrgModel> OrgModel::FromConfig(const config::v1::Organisation& c) {
  OrgModel m;
  if (!IsValidExternalId(c.version(), 64)) {
    return Invalid("version", "required, 1-64 characters of [A-Za-z0-9._:-]");
  }
  m.version_ = c.version();

  int cities = 0;
  for (int i = 0; i < c.units_size(); ++i) {
    const auto& u = c.units(i);
    std::string f = absl::StrCat("units[", i, "]");
    if (!IsValidExternalId(u.code(), 32)) {
      return Invalid(f + ".code", "1-32 characters of [A-Za-z0-9._:-]");
    }
    if (absl::Status s = CheckName(f + ".name", u.name(), kMaxNameChars); !s.ok()) return s;
    if (u.tier() < v1::TIER_COMMUNITY || u.tier() > v1::TIER_CITY) {
      return Invalid(f + ".tier", "required, a known Tier");
    }
    if (u.tier() == v1::TIER_CITY) {
      ++cities;
      m.city_ = u.code();
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
    // The city unit is always the city's desk; marking it says so and changes nothing.
    if (u.dispatch_desk && u.tier != v1::TIER_CITY) {
      std::string county = m.PathOf(u.code).county_code();
      if (!m.desks_.emplace(county, u.code).second) {
        return Invalid(f + ".dispatch_desk",
                       absl::StrCat("county \"", county, "\" already has a desk"));
      }
    }
  }
  bool counties = false;
  for (const auto& [code, unit] : m.units_) {
    if (unit.tier != v1::TIER_COUNTY) continue;
    counties = true;
    if (!m.desks_.count(code)) {
      return Invalid("units", absl::StrCat("county \"", code, "\" has no dispatch_desk unit"));
    }
  }
  if (!counties) return Invalid("units", "at least one TIER_COUNTY unit");

  std::set<std::string> handler_ids;
  for (int i = 0; i < c.handlers_size(); ++i) {
    const auto& h = c.handlers(i);
    std::string f = absl::StrCat("handlers[", i, "]");
    if (!IsValidExternalId(h.id(), 64)) return Invalid(f + ".id", "1-64 characters of [A-Za-z0-9._:-]");
    if (!handler_ids.insert(h.id()).second) {
      return Invalid(f + ".id", absl::StrCat("\"", h.id(), "\" is used twice"));
    }
    if (absl::Status s = CheckName(f + ".name", h.name(), kMaxNameChars); !s.ok()) return s;
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
    if (absl::Status s = CheckName(f + ".name", e.name(), kMaxEstateChars); !s.ok()) return s;
    std::string name = Normalise(e.name());
    if (name.empty()) return Invalid(f + ".name", "required");
    if (!m.estate_names_.emplace(name, e.community_code()).second) {
      return Invalid(f + ".name", absl::StrCat("\"", e.name(), "\" is listed twice"));
    }
    m.estate_of_[name] = name;
    for (const auto& alias : e.aliases()) {
      if (absl::Status s = CheckName(f + ".aliases", alias, kMaxEstateChars); !s.ok()) return s;
      std::string a = Normalise(alias);
      if (a.empty() || !m.estate_aliases_.emplace(a, e.community_code()).second) {
        return Invalid(f + ".aliases", absl::StrCat("\"", alias, "\" is empty or listed twice"));
      }
      m.estate_of_.emplace(a, name);
    }
  }

  for (int i = 0; i < c.companies_size(); ++i) {
    const auto& co = c.companies(i);
    std::string f = absl::StrCat("companies[", i, "]");
    if (!IsCreditCode(co.credit_code())) {
      return Invalid(f + ".credit_code",
                     absl::StrCat("\"", co.credit_code(),
                                  "\" is not a unified social credit code (18 characters of 0-9 "
                                  "and A-Z without I, O, S, V, Z, ending in the check character "
                                  "of GB 32100-2015)"));
    }
    if (absl::Status s = CheckName(f + ".name", co.name(), kMaxCompanyChars); !s.ok()) return s;
    Company company{co.credit_code(), co.name(), {co.estates().begin(), co.estates().end()}};
    if (!m.companies_.emplace(co.credit_code(), company).second) {
      return Invalid(f + ".credit_code", absl::StrCat("\"", co.credit_code(), "\" is listed twice"));
    }
    if (!m.company_names_.emplace(Normalise(co.name()), co.credit_code()).second) {
      return Invalid(f + ".name", absl::StrCat("\"", co.name(), "\" names two companies"));
    }
    for (int j = 0; j < co.estates_size(); ++j) {
      const std::string ef = absl::StrCat(f, ".estates[", j, "]");
      auto estate = m.estate_of_.find(Normalise(co.estates(j)));
      if (estate == m.estate_of_.end()) {
        return Invalid(ef, absl::StrCat("\"", co.estates(j), "\" is not in the estate directory"));
      }
      auto [it, added] = m.estate_company_.emplace(estate->second, co.credit_code());
      if (!added) {
        return Invalid(ef, absl::StrCat("\"", co.estates(j), "\" is already served by ", it->second,
                                        " (an estate has at most one property company)"));
      }
    }
  }
  return m;
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

bool OrgModel::InSubtree(const std::string& code, const std::string& root) const {
  if (code == root) return true;
  for (const Unit* u = FindUnit(code); u != nullptr && !u->parent_code.empty();
       u = FindUnit(u->parent_code)) {
    if (u->parent_code == root) return true;
  }
  return false;
}

std::vector<std::string> OrgModel::Ancestors(const std::string& code) const {
  std::vector<std::string> out;
  for (const Unit* u = FindUnit(code); u != nullptr && !u->parent_code.empty();
       u = FindUnit(u->parent_code)) {
    out.push_back(u->parent_code);
  }
  return out;
}

std::vector<std::string> OrgModel::Children(const std::string& code) const {
  std::vector<std::string> out;
  for (const auto& [unit_code, unit] : units_) {
    if (unit.parent_code == code && !code.empty()) out.push_back(unit_code);
  }
  return out;
}

std::string OrgModel::DeskOf(const std::string& county_code) const {
  auto it = desks_.find(county_code);
  return it == desks_.end() ? city_ : it->second;
}

std::string OrgModel::FallbackDesk(const v1::Location& location) const {
  return DeskOf(Resolve(location).county_code);
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
  if (std::optional<EstateMatch> m = MatchEstate(location)) {
    return resolved(estate_names_.at(m->estate), m->how);
  }

  // Unresolved: the desk of the county the caller named, else the city's.
  r.needs_manual_routing = true;
  const std::string& county = location.jurisdiction().county_code();
  const Unit* u = FindUnit(county);
  if (u != nullptr && u->tier == v1::TIER_COUNTY) r.county_code = county;
  r.how = code.empty() ? "no known community, estate or address"
                       : absl::StrCat("unknown community code \"", code, "\"");
  return r;
}

std::optional<OrgModel::EstateMatch> OrgModel::MatchEstate(const v1::Location& location) const {
  std::string estate = Normalise(location.estate_name());
  if (!estate.empty()) {
    if (estate_names_.count(estate)) return EstateMatch{estate, "estate"};
    if (auto it = estate_of_.find(estate); it != estate_of_.end()) {
      return EstateMatch{it->second, "estate alias"};
    }
  }
  // An estate named inside the free-text address; the longest name wins ("翠苑一区" over "翠苑"),
  // a name over an alias of the same length.
  std::string address = Normalise(location.address());
  const std::string* best = nullptr;
  for (bool aliases : {false, true}) {
    for (const auto& [name, of] : estate_of_) {
      if ((name != of) != aliases) continue;
      if ((best == nullptr || name.size() > best->size()) && absl::StrContains(address, name)) {
        best = &name;
      }
    }
  }
  if (best == nullptr) return std::nullopt;
  return EstateMatch{estate_of_.at(*best), "address"};
}

const OrgModel::Company* OrgModel::FindCompany(const std::string& credit_code) const {
  auto it = companies_.find(credit_code);
  return it == companies_.end() ? nullptr : &it->second;
}

std::string OrgModel::CompanyFor(const v1::Location& location, absl::string_view named) const {
  const std::string code = absl::AsciiStrToUpper(Normalise(named));
  if (companies_.count(code)) return code;
  if (std::optional<EstateMatch> m = MatchEstate(location)) {
    if (auto it = estate_company_.find(m->estate); it != estate_company_.end()) return it->second;
  }
  auto it = company_names_.find(Normalise(named));
  return it == company_names_.end() ? "" : it->second;
}

std::optional<std::string> OrgModel::UnitHosting(const std::string& unit_code,
                                                 v1::Department department) const {
  for (const Unit* u = FindUnit(unit_code); u != nullptr; u = FindUnit(u->parent_code)) {
    if (u->departments.count(department)) return u->code;
    if (u->parent_code.empty()) break;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> LeadUnitFields(const OrgModel& org,
                                                                const std::string& code,
                                                                v1::Tier raised) {
  const OrgModel::Unit* u = org.FindUnit(code);
  return ticket_record::LeadUnitFields(code, u == nullptr ? v1::TIER_UNSPECIFIED : u->tier,
                                       org.Ancestors(code), raised);
}

}  // namespace dispatch::org
