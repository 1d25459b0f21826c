#include "common/ticket_record.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/text.h"
#include "common/proto_time.h"

namespace dispatch::ticket_record {
namespace {

using google::protobuf::util::TimeUtil;

std::string Ms(const google::protobuf::Timestamp& t) { return std::to_string(ToUnixMs(t)); }
google::protobuf::Timestamp TsFromMs(int64_t ms) { return TimestampFromUnixMs(ms); }

// The fields of one clock of a ticket accepted at `accepted_at`: c<k>, and .due/.met/.br/.w
// when needed.
void AppendClockFields(const v1::SlaClock& c, absl::Time accepted_at, Fields* out) {
  Fields& f = *out;
  std::string p = absl::StrCat("c", c.kind(), ".");
  // Working-day targets are stored as "w<days>" ("W<days>" when the deadline assumed plain
  // weekdays for a year without a calendar), durations in milliseconds.
  std::string target = c.has_target()
                           ? std::to_string(TimeUtil::DurationToMilliseconds(c.target()))
                           : absl::StrCat(c.calendar_assumed() ? "W" : "w",
                                          c.target_working_days());
  const int64_t start = ToUnixMs(c.started_at());
  // "=" stands for the acceptance time, the start of every first-round clock.
  std::string start_text =
      start == absl::ToUnixMillis(accepted_at) ? "=" : absl::StrCat(start, ":");
  f.emplace_back(absl::StrCat("c", c.kind()),
                 absl::StrCat(start_text, target, ":", c.day_basis(), ":", c.round()));
  // The deadline is stored only when it is not start + target (working days, extensions).
  if (!c.has_target() ||
      ToUnixMs(c.deadline()) != start + TimeUtil::DurationToMilliseconds(c.target())) {
    f.emplace_back(p + "due", Ms(c.deadline()));
  }
  if (c.has_met_at()) f.emplace_back(p + "met", Ms(c.met_at()));
  if (c.breached()) f.emplace_back(p + "br", "1");
  if (c.warned_percent() != 0) f.emplace_back(p + "w", std::to_string(c.warned_percent()));
}

}  // namespace

void AppendRestartedClock(const v1::SlaClock& clock, absl::Time accepted_at,
                          std::vector<std::string>* remove, Fields* set) {
  std::string p = absl::StrCat("c", clock.kind(), ".");
  for (const char* state : {"due", "met", "br", "w"}) remove->push_back(p + state);
  AppendClockFields(clock, accepted_at, set);
}

Fields Encode(const v1::Ticket& t) {
  Fields f = {
      {"st", std::to_string(t.status())},
      {"ver", std::to_string(t.version())},
      {"pri", std::to_string(t.priority())},
      {"acc", Ms(t.accepted_at())},
      {"pol", t.sla_policy_version()},
  };
  auto add_nonzero = [&f](const char* name, int64_t v) {
    if (v != 0) f.emplace_back(name, std::to_string(v));
  };
  add_nonzero("tier", t.supervision_tier());
  add_nonzero("rtier", t.raised_tier());
  add_nonzero("ret", t.return_count());
  add_nonzero("redo", t.redo_count());
  add_nonzero("manual", t.needs_manual_routing());
  if (!t.responsible_unit_code().empty()) f.emplace_back("unit", t.responsible_unit_code());
  // `upd` is left out while it equals `acc` (every change sets it).
  if (ToUnixMs(t.updated_at()) != ToUnixMs(t.accepted_at())) f.emplace_back("upd", Ms(t.updated_at()));
  add_nonzero("rvn", t.revisit_attempts());
  add_nonzero("am", t.assign_met_by());
  if (!t.property_company_code().empty()) f.emplace_back("co", t.property_company_code());
  if (t.has_sign_for_deadline()) f.emplace_back("sfd", Ms(t.sign_for_deadline()));
  if (!t.clocks().empty() && !t.clocks(0).warn_percent().empty()) {
    f.emplace_back("wp", absl::StrJoin(t.clocks(0).warn_percent(), ","));
  }
  for (const v1::SlaClock& c : t.clocks()) AppendClockFields(c, FromProto(t.accepted_at()), &f);
  return f;
}

Fields LeadUnitFields(const std::string& unit, v1::Tier unit_tier,
                      const std::vector<std::string>& ancestors, v1::Tier raised) {
  return {{"unit", unit},
          {"ut", std::to_string(unit_tier)},
          {"up", absl::StrJoin(ancestors, ",")},
          {"tier", std::to_string(std::max<int>(unit_tier, raised))}};
}

std::string PlacementField(absl::Time due, v1::Tier tier, v1::Department department,
                           const std::string& org_version,
                           const std::vector<std::string>& ancestors, const std::string& unit) {
  return absl::StrCat(absl::ToUnixMillis(due), "|", tier, "|", department, "|", org_version, "|",
                      absl::StrJoin(ancestors, ","), "|", unit);
}

std::pair<std::string, std::string> ShareField(int index, v1::ShareState state,
                                               absl::Time signed_for, absl::Time done,
                                               const std::string& handler) {
  auto ms = [](absl::Time t) {
    return t == absl::InfinitePast() ? std::string() : std::to_string(absl::ToUnixMillis(t));
  };
  return {absl::StrCat("s", index),
          absl::StrCat(state, ":", ms(signed_for), ":", ms(done), ":", handler)};
}

int FindShare(const v1::Ticket& ticket, const std::string& unit, v1::Department department) {
  for (int i = 0; i < ticket.handlings_size(); ++i) {
    const v1::Handling& h = ticket.handlings(i);
    if (h.role() == v1::HANDLING_ROLE_ASSIST && h.unit_code() == unit &&
        h.department() == department) {
      return i;
    }
  }
  return -1;
}

namespace {

// The lead share's state follows the ticket.
v1::ShareState LeadShareState(const v1::Ticket& t) {
  switch (t.status()) {
    case v1::TICKET_STATUS_ASSIGNED: return v1::SHARE_STATE_ASSIGNED;
    case v1::TICKET_STATUS_SIGNED_FOR:
    case v1::TICKET_STATUS_CONTACTED: return v1::SHARE_STATE_SIGNED_FOR;
    case v1::TICKET_STATUS_RESOLVED:
    case v1::TICKET_STATUS_CLOSED: return v1::SHARE_STATE_DONE;
    default: return v1::SHARE_STATE_OPEN;
  }
}

// Fills an assisting share from its `s<i>` value; false if it is malformed.
bool DecodeShare(absl::string_view value, v1::Handling* h) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, absl::MaxSplits(':', 3));
  int state = 0;
  int64_t signed_ms = 0, done_ms = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &state) ||
      (!parts[1].empty() && !absl::SimpleAtoi(parts[1], &signed_ms)) ||
      (!parts[2].empty() && !absl::SimpleAtoi(parts[2], &done_ms))) {
    return false;
  }
  h->set_state(static_cast<v1::ShareState>(state));
  if (!parts[1].empty()) *h->mutable_signed_for_at() = TimestampFromUnixMs(signed_ms);
  if (!parts[2].empty()) *h->mutable_completed_at() = TimestampFromUnixMs(done_ms);
  if (!parts[3].empty()) h->mutable_assignee()->set_id(std::string(parts[3]));
  return true;
}

void SetPathAt(int tier, const std::string& code, v1::JurisdictionPath* path) {
  switch (tier) {
    case v1::TIER_COMMUNITY: return path->set_community_code(code);
    case v1::TIER_TOWNSHIP: return path->set_township_code(code);
    case v1::TIER_COUNTY: return path->set_county_code(code);
    case v1::TIER_CITY: return path->set_city_code(code);
    default: return;
  }
}

}  // namespace

bool InSubtree(const v1::Ticket& ticket, const std::string& root) {
  if (root.empty()) return false;
  if (ticket.responsible_unit_code() == root) return true;
  const v1::JurisdictionPath& p = ticket.responsible_jurisdiction();
  return p.city_code() == root || p.county_code() == root || p.township_code() == root ||
         p.community_code() == root;
}

absl::StatusOr<v1::Ticket> Decode(const std::string& ticket_id, const redis::Reply& reply,
                                  const std::string& complaint) {
  if (!reply.is_array() || reply.elements.empty()) return absl::NotFoundError("no such ticket");
  std::map<std::string, std::string> h;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    h[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  auto num = [&](const std::string& key, int64_t* out) {
    auto it = h.find(key);
    if (it == h.end()) {
      *out = 0;
      return true;
    }
    return absl::SimpleAtoi(it->second, out);
  };
  v1::Ticket t;
  t.set_ticket_id(ticket_id);
  int64_t v;
  bool ok = true;
  ok &= num("st", &v);
  t.set_status(static_cast<v1::TicketStatus>(v));
  ok &= num("ver", &v);
  t.set_version(v);
  ok &= num("pri", &v);
  t.set_priority(static_cast<v1::Priority>(v));
  ok &= num("acc", &v);
  *t.mutable_accepted_at() = TsFromMs(v);
  if (h.count("upd")) {
    ok &= num("upd", &v);
    *t.mutable_updated_at() = TsFromMs(v);
  } else {
    *t.mutable_updated_at() = t.accepted_at();
  }
  t.set_sla_policy_version(h["pol"]);
  ok &= t.mutable_complaint()->ParseFromString(complaint);
  ok &= num("tier", &v);
  t.set_supervision_tier(static_cast<v1::Tier>(v));
  ok &= num("rtier", &v);
  t.set_raised_tier(static_cast<v1::Tier>(v));
  ok &= num("ret", &v);
  t.set_return_count(static_cast<int32_t>(v));
  ok &= num("redo", &v);
  t.set_redo_count(static_cast<int32_t>(v));
  ok &= num("rvn", &v);
  t.set_revisit_attempts(static_cast<int32_t>(v));
  t.set_needs_manual_routing(h["manual"] == "1");
  t.set_responsible_unit_code(h["unit"]);
  if (!t.responsible_unit_code().empty()) {
    // The lead unit at its tier, then its ancestors one tier up each.
    int64_t unit_tier = 0;
    ok &= num("ut", &unit_tier);
    SetPathAt(static_cast<int>(unit_tier), t.responsible_unit_code(),
              t.mutable_responsible_jurisdiction());
    int tier = static_cast<int>(unit_tier);
    for (absl::string_view a : absl::StrSplit(h["up"], ',', absl::SkipEmpty())) {
      SetPathAt(++tier, std::string(a), t.mutable_responsible_jurisdiction());
    }
  }
  t.set_org_version(h["orgv"]);
  t.set_property_company_code(h["co"]);
  if (!h["asg"].empty()) {
    t.mutable_assignee()->set_id(h["asg"]);
    t.mutable_assignee()->set_unit_code(h["asgu"]);
  }
  for (absl::string_view entry : absl::StrSplit(h["hdl"], ';', absl::SkipEmpty())) {
    // "<unit>:<dept>:<role>": unit codes may contain ':', so the numbers are the last parts.
    const size_t role_colon = entry.rfind(':');
    const size_t dept_colon =
        role_colon == absl::string_view::npos || role_colon == 0 ? absl::string_view::npos
                                                                 : entry.rfind(':', role_colon - 1);
    int dept = 0, role = 0;
    ok &= dept_colon != absl::string_view::npos &&
          absl::SimpleAtoi(entry.substr(dept_colon + 1, role_colon - dept_colon - 1), &dept) &&
          absl::SimpleAtoi(entry.substr(role_colon + 1), &role);
    if (!ok) break;
    v1::Handling* handling = t.add_handlings();
    handling->set_unit_code(std::string(entry.substr(0, dept_colon)));
    handling->set_department(static_cast<v1::Department>(dept));
    handling->set_role(static_cast<v1::HandlingRole>(role));
    // The ticket's assignee owns the lead share.
    if (role == v1::HANDLING_ROLE_LEAD && t.has_assignee()) *handling->mutable_assignee() = t.assignee();
  }
  for (int i = 0; i < t.handlings_size(); ++i) {
    v1::Handling* handling = t.mutable_handlings(i);
    if (handling->role() == v1::HANDLING_ROLE_LEAD) {
      handling->set_state(LeadShareState(t));
    } else if (auto it = h.find(absl::StrCat("s", i)); it != h.end()) {
      ok &= DecodeShare(it->second, handling);
    } else {
      handling->set_state(v1::SHARE_STATE_OPEN);
    }
  }
  ok &= num("am", &v);
  t.set_assign_met_by(static_cast<v1::AssignMetBy>(v));
  if (h.count("sfd")) {
    ok &= num("sfd", &v);
    *t.mutable_sign_for_deadline() = TsFromMs(v);
  }
  if (h.count("fb")) {
    const std::string& fb = h["fb"];
    ok &= absl::SimpleAtoi(fb.substr(0, fb.find('|')), &v);
    *t.mutable_routing_grace_until() = TsFromMs(v);
  }
  if (h.count("ext") && !t.mutable_pending_extension()->ParseFromString(h["ext"])) ok = false;
  std::vector<int32_t> warn_percents;
  for (absl::string_view w : absl::StrSplit(h["wp"], ',', absl::SkipEmpty())) {
    ok &= absl::SimpleAtoi(w, &warn_percents.emplace_back());
  }
  for (int kind = v1::CLOCK_KIND_ASSIGN; kind <= v1::CLOCK_KIND_SUPERVISION; ++kind) {
    std::string p = absl::StrCat("c", kind, ".");
    auto meta_it = h.find(absl::StrCat("c", kind));
    if (meta_it == h.end()) continue;
    v1::SlaClock* c = t.add_clocks();
    c->set_kind(static_cast<v1::ClockKind>(kind));
    // "<start>:<target>:<basis>:<round>", or "=<target>:<basis>:<round>" when it started at
    // acceptance.
    absl::string_view meta_text = meta_it->second;
    const bool at_acceptance = absl::ConsumePrefix(&meta_text, "=");
    std::vector<absl::string_view> meta = absl::StrSplit(meta_text, ':');
    if (at_acceptance) meta.insert(meta.begin(), absl::string_view());
    int64_t start = ToUnixMs(t.accepted_at()), target = 0, basis = 0, round = 0;
    const bool assumed = meta.size() == 4 && absl::ConsumePrefix(&meta[1], "W");
    const bool working = assumed || (meta.size() == 4 && absl::ConsumePrefix(&meta[1], "w"));
    c->set_calendar_assumed(assumed);
    ok &= meta.size() == 4 && (at_acceptance || absl::SimpleAtoi(meta[0], &start)) &&
          absl::SimpleAtoi(meta[1], &target) && absl::SimpleAtoi(meta[2], &basis) &&
          absl::SimpleAtoi(meta[3], &round);
    c->set_round(static_cast<int32_t>(round));
    *c->mutable_started_at() = TsFromMs(start);
    if (working) {
      c->set_target_working_days(static_cast<int32_t>(target));
    } else {
      *c->mutable_target() = TimeUtil::MillisecondsToDuration(target);
    }
    c->set_day_basis(static_cast<v1::DayBasis>(basis));
    if (h.count(p + "due")) {
      ok &= num(p + "due", &v);
    } else {
      ok &= !working;  // working-day deadlines are always stored
      v = start + target;
    }
    *c->mutable_deadline() = TsFromMs(v);
    if (h.count(p + "met")) {
      ok &= num(p + "met", &v);
      *c->mutable_met_at() = TsFromMs(v);
    }
    c->set_breached(h[p + "br"] == "1");
    c->mutable_warn_percent()->Add(warn_percents.begin(), warn_percents.end());
    ok &= num(p + "w", &v);
    c->set_warned_percent(static_cast<int32_t>(v));
  }
  if (!ok) {
    return absl::DataLossError(absl::StrCat("ticket ", t.ticket_id(), ": stored record is corrupt"));
  }
  return t;
}

std::string EncodeHandlings(const google::protobuf::RepeatedPtrField<v1::Handling>& handlings) {
  std::string out;
  for (const v1::Handling& h : handlings) {
    if (!out.empty()) out += ';';
    absl::StrAppend(&out, h.unit_code(), ":", h.department(), ":", h.role());
  }
  return out;
}

const v1::SlaClock* FindClock(const v1::Ticket& ticket, v1::ClockKind kind) {
  for (const v1::SlaClock& c : ticket.clocks()) {
    if (c.kind() == kind) return &c;
  }
  return nullptr;
}

void AppendMetIfOpen(const v1::Ticket& ticket, v1::ClockKind kind, absl::Time at, Fields* out) {
  const v1::SlaClock* c = FindClock(ticket, kind);
  if (c != nullptr && !c->has_met_at()) {
    out->emplace_back(absl::StrCat("c", kind, ".met"), std::to_string(absl::ToUnixMillis(at)));
  }
}

namespace {

// When `c` stopped running: its met time, or `now` while it is open.
absl::Time RunsUntil(const v1::SlaClock& c, absl::Time now) {
  return c.has_met_at() ? FromProto(c.met_at()) : now;
}

// One clock's part of NextWakeUp.
absl::Time NextWakeUp(const v1::SlaClock& c) {
  absl::Time due = FromProto(c.deadline());
  if (c.breached()) return absl::InfiniteFuture();
  if (c.has_met_at()) {
    absl::Time met = FromProto(c.met_at());
    return met >= due ? met : absl::InfiniteFuture();
  }
  int64_t start = ToUnixMs(c.started_at()), due_ms = absl::ToUnixMillis(due);
  if (due_ms > start) {
    for (int32_t p : c.warn_percent()) {
      if (p > c.warned_percent()) {
        // Integer arithmetic exactly as in common/lua/lib/wake.lua.
        return std::min(due, absl::FromUnixMillis(start + (due_ms - start) * p / 100));
      }
    }
  }
  return due;
}

}  // namespace

absl::Time NextWakeUp(const v1::Ticket& ticket) {
  const bool closed = ticket.status() == v1::TICKET_STATUS_CLOSED;
  absl::Time next = absl::InfiniteFuture();
  // The routing grace of a ticket still waiting for routing, the sign-for deadline of an
  // assignment not signed for yet.
  if (ticket.status() == v1::TICKET_STATUS_ACCEPTED && ticket.has_routing_grace_until()) {
    next = FromProto(ticket.routing_grace_until());
  }
  if (ticket.status() == v1::TICKET_STATUS_ASSIGNED && ticket.has_sign_for_deadline()) {
    next = FromProto(ticket.sign_for_deadline());
  }
  for (const v1::SlaClock& c : ticket.clocks()) {
    if (closed && !c.has_met_at()) continue;  // a closed ticket wakes only for late-met clocks
    next = std::min(next, NextWakeUp(c));
  }
  return next;
}

bool IsLate(const v1::SlaClock& clock, absl::Time now) {
  return RunsUntil(clock, now) >= FromProto(clock.deadline());
}

void FillClockState(absl::Time now, v1::Ticket* ticket) {
  for (v1::SlaClock& c : *ticket->mutable_clocks()) {
    if (IsLate(c, now)) {
      c.set_breached(true);
      *c.mutable_breached_by() = ToProto(RunsUntil(c, now) - FromProto(c.deadline()));
    } else {
      c.clear_breached_by();
    }
  }
}

void PrepareForReader(absl::Time now, bool full_contact, v1::Ticket* ticket) {
  FillClockState(now, ticket);
  if (!full_contact) MaskContact(ticket);
}

void MaskContact(v1::Ticket* ticket) {
  v1::Complainant* who = ticket->mutable_complaint()->mutable_complainant();
  who->set_phone(MaskPhone(who->phone()));
  who->set_name(MaskName(who->name()));
}

}  // namespace dispatch::ticket_record
