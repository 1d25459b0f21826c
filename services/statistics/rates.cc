#include "services/statistics/rates.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "common/proto_time.h"

namespace dispatch::statistics {

const char* MeasureName(Measure m) {
  switch (m) {
    case Measure::kResponse: return "response";
    case Measure::kResolution: return "resolution";
    case Measure::kSatisfaction: return "satisfaction";
    case Measure::kOnTime: return "on_time";
    case Measure::kReturn: return "return";
    case Measure::kRedo: return "redo";
  }
  return "unknown";
}

bool Fact::operator==(const Fact& o) const {
  return measure == o.measure && seq == o.seq && month == o.month && at == o.at &&
         unit_code == o.unit_code && numerator == o.numerator;
}

namespace {

// The complainant's verdict counts as satisfied (满意 or 基本满意).
bool Satisfied(const v1::RevisitRecorded& r) {
  return r.satisfaction() == v1::SATISFACTION_SATISFIED ||
         r.satisfaction() == v1::SATISFACTION_BASICALLY_SATISFIED;
}

bool IsResponseClock(v1::ClockKind k) {
  return k == v1::CLOCK_KIND_ASSIGN || k == v1::CLOCK_KIND_PRELIMINARY;
}

std::optional<absl::Time> ResolveDeadline(const google::protobuf::RepeatedPtrField<v1::SlaClock>& clocks) {
  for (const v1::SlaClock& c : clocks) {
    if (c.kind() == v1::CLOCK_KIND_RESOLVE && c.has_deadline()) return FromProto(c.deadline());
  }
  return std::nullopt;
}

struct Dispatch {
  absl::Time at;
  std::string unit_code;
  bool returned = false;
};

// A supervision round (督办) from its escalation until it is settled.
struct Supervision {
  absl::Time at;  // the escalation
  v1::Tier tier = v1::TIER_UNSPECIFIED;
  std::optional<absl::Time> deadline;
  std::string lead;  // the lead unit when it was raised
  std::optional<std::pair<std::string, bool>> settled;  // the unit charged, met in time
};

}  // namespace

std::vector<Fact> FoldTicket(const std::vector<v1::TicketEvent>& history, absl::TimeZone zone,
                             const SupervisorOf& supervisor_of) {
  int round = 1;
  std::vector<Supervision> supervisions;
  // The open (not yet settled) supervision round, if any.
  auto open_supervision = [&]() -> Supervision* {
    if (supervisions.empty() || supervisions.back().settled) return nullptr;
    return &supervisions.back();
  };
  std::optional<absl::Time> accepted_at;
  std::string lead;  // the lead unit in force
  // RESPONSE: settled by a round-1 breach of the assign or preliminary clock, or by the
  // preliminary clock met: the unit charged, and whether both clocks were met on time.
  std::optional<std::pair<std::string, bool>> response;
  // ON_TIME: the resolve deadline of the current round, and whether every resolution so far
  // came before its round's deadline.
  std::optional<absl::Time> resolve_deadline;
  bool every_round_on_time = true;
  bool resolved_now = false, closed_now = false, reopened = false;
  absl::Time resolved_at, closed_at;
  std::string resolved_by, closed_with;
  // The verdict: the first revisit that reached the complainant.
  const v1::RevisitRecorded* verdict = nullptr;
  std::vector<Dispatch> dispatches;
  int current_dispatch = -1;  // the dispatch a return would end; -1 when none is open

  auto unit_or_actor = [&](const v1::TicketEvent& e) {
    return lead.empty() ? e.actor().unit_code() : lead;
  };
  // What meets the supervision clock of the round in force (resolving, closing, a reopen
  // without a fresh one): met in time before its deadline; at or after it the breach the engine
  // records (met late) settles the round.
  auto meet_supervision = [&](absl::Time at) {
    Supervision* open = open_supervision();
    if (open != nullptr && open->deadline && at < *open->deadline) {
      open->settled.emplace(supervisor_of ? supervisor_of(open->lead, open->tier) : std::string(),
                            true);
    }
  };
  // A new supervision round at `tier` until `deadline` (when it has one); a round still open is
  // taken over (not counted).
  auto start_supervision = [&](absl::Time at, v1::Tier tier,
                               const google::protobuf::Timestamp* deadline) {
    if (Supervision* open = open_supervision()) open->settled.emplace("", false);
    supervisions.push_back({at, tier,
                            deadline != nullptr ? std::optional<absl::Time>(FromProto(*deadline))
                                                : std::nullopt,
                            lead, std::nullopt});
  };
  auto settle_response = [&](std::string unit, bool met) {
    if (round == 1 && !response) response.emplace(std::move(unit), met);
  };
  for (const v1::TicketEvent& e : history) {
    const absl::Time at = FromProto(e.occurred_at());
    switch (e.payload_case()) {
      case v1::TicketEvent::kAccepted:
        accepted_at = at;
        resolve_deadline = ResolveDeadline(e.accepted().clocks());
        break;
      case v1::TicketEvent::kRouted:
        lead = e.routed().unit_code();
        if (e.routed().needs_manual_routing()) {
          current_dispatch = -1;  // the county desk's placement is not a dispatch
        } else {
          dispatches.push_back({at, e.routed().unit_code(), false});
          current_dispatch = static_cast<int>(dispatches.size()) - 1;
        }
        break;
      case v1::TicketEvent::kReturned:
        if (current_dispatch >= 0 && (e.returned().unit_code().empty() ||
                                      e.returned().unit_code() == dispatches[current_dispatch].unit_code)) {
          dispatches[current_dispatch].returned = true;
        }
        current_dispatch = -1;
        break;
      case v1::TicketEvent::kEscalated:
        start_supervision(at, e.escalated().to_tier(),
                          e.escalated().has_supervision_deadline()
                              ? &e.escalated().supervision_deadline()
                              : nullptr);
        break;
      case v1::TicketEvent::kBreached:
        if (e.breached().clock() == v1::CLOCK_KIND_SUPERVISION) {
          if (Supervision* open = open_supervision()) {
            open->settled.emplace(e.breached().unit_code(), false);
          }
        }
        if (IsResponseClock(e.breached().clock())) {
          settle_response(e.breached().unit_code(), false);
          // A clock met late is recorded after it was met (the engine finds it met past its
          // deadline): it undoes a response already settled as met in round 1.
          if (round == 1 && e.breached().met_late() && response && response->second) {
            response.emplace(e.breached().unit_code(), false);
          }
        }
        break;
      case v1::TicketEvent::kContacted:
        settle_response(unit_or_actor(e), true);
        break;
      case v1::TicketEvent::kExtensionDecided:
        if (e.extension_decided().approved() &&
            e.extension_decided().clock() == v1::CLOCK_KIND_RESOLVE &&
            e.extension_decided().has_new_deadline()) {
          resolve_deadline = FromProto(e.extension_decided().new_deadline());
        }
        break;
      case v1::TicketEvent::kResolved:
        // Resolving meets the preliminary clock too when no contact was recorded before, and
        // the supervision clock of the round in force.
        settle_response(unit_or_actor(e), true);
        meet_supervision(at);
        if (resolve_deadline && at >= *resolve_deadline) every_round_on_time = false;
        resolved_now = true;
        resolved_at = at;
        resolved_by = unit_or_actor(e);
        break;
      case v1::TicketEvent::kRevisited:
        if (verdict == nullptr && e.revisited().reached()) verdict = &e.revisited();
        break;
      case v1::TicketEvent::kReopened: {
        // From the second reopen the new round is supervised a tier up with a fresh supervision
        // clock, which replaces one still open; otherwise the reopen meets it.
        const v1::SlaClock* fresh = nullptr;
        for (const v1::SlaClock& c : e.reopened().clocks()) {
          if (c.kind() == v1::CLOCK_KIND_SUPERVISION) fresh = &c;
        }
        if (fresh != nullptr) {
          start_supervision(at, e.reopened().supervision_tier(),
                            fresh->has_deadline() ? &fresh->deadline() : nullptr);
        } else {
          meet_supervision(at);
        }
        ++round;
        reopened = true;
        resolved_now = closed_now = false;
        resolve_deadline = ResolveDeadline(e.reopened().clocks());
        break;
      }
      case v1::TicketEvent::kClosed:
        meet_supervision(at);  // a missed revisit is supervised too; closing meets it
        closed_now = true;
        closed_at = at;
        closed_with = unit_or_actor(e);
        break;
      default:
        break;
    }
  }

  std::vector<Fact> facts;
  auto add = [&](Measure m, int seq, absl::Time at, std::string unit, bool numerator) {
    facts.push_back(Fact{m, seq, absl::ToCivilMonth(at, zone), at, std::move(unit), numerator});
  };
  if (response && accepted_at) add(Measure::kResponse, 0, *accepted_at, response->first, response->second);
  for (size_t i = 0; i < supervisions.size(); ++i) {
    const Supervision& sv = supervisions[i];
    if (sv.settled && !sv.settled->first.empty()) {
      add(Measure::kResponse, static_cast<int>(i) + 1, sv.at, sv.settled->first, sv.settled->second);
    }
  }
  if (closed_now && verdict != nullptr) {
    add(Measure::kResolution, 0, closed_at, verdict->unit_code(), verdict->solved());
    add(Measure::kSatisfaction, 0, closed_at, verdict->unit_code(), Satisfied(*verdict));
  }
  if (resolved_now) add(Measure::kOnTime, 0, resolved_at, resolved_by, every_round_on_time);
  for (size_t i = 0; i < dispatches.size(); ++i) {
    add(Measure::kReturn, static_cast<int>(i), dispatches[i].at, dispatches[i].unit_code,
        dispatches[i].returned);
  }
  if (closed_now) add(Measure::kRedo, 0, closed_at, closed_with, reopened);
  return facts;
}

void Tally::Add(const Fact& f) {
  const int m = static_cast<int>(f.measure);
  ++denominator[m];
  if (f.numerator) ++numerator[m];
}

std::optional<double> Tally::Rate(Measure m) const {
  const int i = static_cast<int>(m);
  if (denominator[i] == 0) return std::nullopt;
  return static_cast<double>(numerator[i]) / static_cast<double>(denominator[i]);
}

std::optional<double> Composite(const Tally& t, const Weights& w) {
  double sum = 0, weights = 0;
  const std::pair<Measure, int> parts[] = {{Measure::kResponse, w.response},
                                           {Measure::kResolution, w.resolution},
                                           {Measure::kSatisfaction, w.satisfaction}};
  for (const auto& [m, weight] : parts) {
    if (std::optional<double> r = t.Rate(m); r && weight > 0) {
      sum += *r * weight;
      weights += weight;
    }
  }
  if (weights == 0) return std::nullopt;
  return 100.0 * sum / weights;
}

CompanyComplaint CompanyComplaintOf(const std::vector<v1::TicketEvent>& history, bool partly_counts) {
  CompanyComplaint c;
  for (const v1::TicketEvent& e : history) {
    if (c.ticket_id.empty()) c.ticket_id = e.ticket_id();
    if (e.has_accepted()) c.accepted_at = FromProto(e.occurred_at());
    if (e.has_resolved()) {
      const v1::Substantiation s = e.resolved().substantiation();
      c.substantiated = s == v1::SUBSTANTIATION_SUBSTANTIATED ||
                        (partly_counts && s == v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED);
      c.refused_to_rectify |= e.resolved().refused_to_rectify();
    }
    if (e.has_revisited() && e.revisited().reached() && !c.reached) {  // the first reached
      c.reached = true;
      c.satisfied = Satisfied(e.revisited());
    }
  }
  return c;
}

CompanyRecord EvaluateCompany(const std::vector<CompanyComplaint>& complaints,
                              absl::CivilMonth month, absl::TimeZone zone, const ExitRule& rule) {
  const absl::Time from = absl::FromCivil(month - (rule.window_months - 1), zone);
  const absl::Time to = absl::FromCivil(month + 1, zone);
  CompanyRecord r;
  std::set<std::string> distinct;
  for (const CompanyComplaint& c : complaints) {
    if (c.accepted_at < from || c.accepted_at >= to) continue;
    if (c.substantiated) {
      ++r.substantiated;
      if (!c.complainant_key.empty()) distinct.insert(c.complainant_key);
    }
    if (c.refused_to_rectify) ++r.refusals;
    if (c.reached) {
      ++r.reached;
      if (c.satisfied) ++r.satisfied;
    }
  }
  r.distinct_complainants = static_cast<int64_t>(distinct.size());
  r.exit_trigger = ExitTriggerHolds(r, rule);
  return r;
}

bool ExitTriggerHolds(const CompanyRecord& r, const ExitRule& rule) {
  // Integers only: satisfied / reached < percent / 100, so exactly 50 % is not below.
  const bool satisfaction_below =
      r.reached > 0 && r.satisfied * 100 < static_cast<int64_t>(rule.satisfaction_below_percent) * r.reached;
  return r.distinct_complainants > rule.exit_min_distinct && (r.refusals > 0 || satisfaction_below);
}

std::vector<RankedUnit> RankUnits(std::vector<RankedUnit> units, bool lower_is_better) {
  auto better = [&](const RankedUnit& a, const RankedUnit& b) {
    if (a.value.has_value() != b.value.has_value()) return a.value.has_value();
    if (a.value && *a.value != *b.value) {
      return lower_is_better ? *a.value < *b.value : *a.value > *b.value;
    }
    return false;
  };
  std::sort(units.begin(), units.end(), [&](const RankedUnit& a, const RankedUnit& b) {
    if (better(a, b)) return true;
    if (better(b, a)) return false;
    return a.unit_code < b.unit_code;
  });
  for (size_t i = 0; i < units.size(); ++i) {
    const bool tied = i > 0 && !better(units[i - 1], units[i]);
    units[i].rank = tied ? units[i - 1].rank : static_cast<int>(i) + 1;
  }
  return units;
}

std::vector<CompanyList> ListsOf(const std::vector<CreditEvaluation>& evaluations, int year,
                                 const CreditRule& rule) {
  std::map<int, double> by_year;
  for (const CreditEvaluation& e : evaluations) {
    if (e.year <= year) by_year[e.year] = e.score;
  }
  if (by_year.empty()) return {};
  const auto latest = std::prev(by_year.end());
  if (latest->second >= rule.black_below) {
    if (rule.red_min > 0 && latest->second >= rule.red_min) return {CompanyList::kRed};
    return {};
  }
  std::vector<CompanyList> lists = {CompanyList::kRiskNotice};
  bool running = true;
  for (int y = latest->first; y > latest->first - rule.black_years; --y) {
    auto it = by_year.find(y);
    running &= it != by_year.end() && it->second < rule.black_below;
  }
  if (running) lists.insert(lists.begin(), CompanyList::kBlack);
  return lists;
}

}  // namespace dispatch::statistics
