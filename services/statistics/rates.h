// The monthly rates units are ranked on (三率 and the rest, DOMAIN.md §7a) and the property-
// company exit trigger (§5), as pure functions: no I/O, no clock. The read model folds each
// ticket's history with FoldTicket and sums the facts; a month recomputed from scratch calls the
// same fold, so the two agree ticket for ticket (issue #16).
//
// A Fact is one ticket counted once in one measure: in the denominator, and in the numerator or
// not, in one month (the calendar month of `at` in the configured time zone, Asia/Shanghai by
// default), charged to one unit. FoldTicket takes the ticket's events in stream order (ticket
// version order) and returns the facts the history settles so far; a later event may add a fact
// or move one (a reopen withdraws the closure's facts until the ticket closes again). The rules,
// each with a test in tests/statistics/rates_test.cc:
//
//   RESPONSE (响应率)      one fact a ticket, once round 1's assign and preliminary clocks are
//                         settled: 1 when both were met on time, 0 when either was breached (a
//                         clock met late is breached, also when the engine records it after the
//                         contact that met it). Month of acceptance. Charged to the unit
//                         the first such breach was recorded against, else to the lead unit when
//                         the preliminary clock was met (by the contact, or by the resolution
//                         when no contact was recorded). Later rounds' clocks count in REDO and
//                         ON_TIME, not here.
//                         Besides, each supervision round (督办: the ticket raised a tier after a
//                         missed clock) is one more RESPONSE fact, seq the escalation's number
//                         (1, 2, ...; a reopen that supervises the new round a tier up starts
//                         one too), charged to the supervising unit ("the unit that missed the
//                         clock", not the community again): 1 when the ticket was resolved,
//                         closed or reopened (what meets the supervision clock) before the
//                         supervision deadline, 0 when the supervision clock was breached
//                         (charged to the unit the breach names). Month of the escalation. A
//                         round not settled yet is not counted, nor one a higher tier or a
//                         fresh supervision clock took over before its deadline; the supervising
//                         unit of a met round is the lead unit's ancestor at the raised tier
//                         (`supervisor_of`, from the organisation in force when folded).
//   RESOLUTION (解决率)    one fact a ticket that is closed now and whose complainant was reached
//   SATISFACTION (满意率)  by a revisit; the verdict is that of the first reached revisit (a
//                         dissatisfied complainant whose ticket was re-handled counts as
//                         dissatisfied, once): solved, and satisfied or basically satisfied.
//                         Month of the final closure. Charged to the unit the verdict revisit
//                         revisited (RevisitRecorded.unit_code). A ticket without a reached
//                         revisit is left out of both.
//   ON_TIME (按时办结率)   one fact a ticket that is resolved now (resolved or closed, not
//                         reopened since): 1 when every round's resolution came before that
//                         round's resolve deadline in force (approved extensions included, even
//                         one approved after the old deadline passed). Month of the latest
//                         resolution. Charged to the lead unit that resolved it.
//   RETURN (回退率)        one fact a dispatch (a TicketRouted that is not a placement on the
//                         county desk for manual routing): 1 when the unit it went to returned
//                         it before the next dispatch. Month of the dispatch. Charged to that
//                         unit.
//   REDO (重办率)          one fact a ticket that is closed now: 1 when it was reopened at least
//                         once. Month of the final closure. Charged to the lead unit then.
//
// Composite: the weighted mean of the response, resolution and satisfaction rates (default
// weights 10/45/45, DOMAIN.md §7a), over the rates that are defined (a rate with no denominator
// drops out and the other weights carry the score); no defined rate, no score.
//
// Exit trigger (§5): within the window (12 months), more than `exit_min_distinct` (20) distinct
// complainants with substantiated complaints about the company, and either a refusal to rectify
// or satisfaction below 50 % (satisfied or basically satisfied over the company's complaints
// whose complainant a revisit reached; exactly 50 % is not below; no reached revisit is not
// below).
//
// Company lists (§5: "credit score below 90 → interview and risk notice; below 90 two years
// running → black list; red and black lists are adjusted monthly and published"): from the
// housing bureau's annual credit evaluations recorded for a company, those of years up to the
// month's year: RISK_NOTICE when the latest is below `black_below` (90); BLACK when each of the
// `black_years` (2) consecutive years ending with the latest is evaluated and below it; RED
// when the latest is at least `red_min` and the company is on neither (DOMAIN.md sets no red
// threshold: no red list unless configured, red_min 0).
#ifndef DISPATCH_SERVICES_STATISTICS_RATES_H_
#define DISPATCH_SERVICES_STATISTICS_RATES_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "dispatch/v1/events.pb.h"

namespace dispatch::statistics {

enum class Measure { kResponse = 0, kResolution, kSatisfaction, kOnTime, kReturn, kRedo };
inline constexpr int kMeasures = 6;
const char* MeasureName(Measure m);  // "response", "resolution", ...

struct Fact {
  Measure measure = Measure::kResponse;
  // Which of the ticket's facts of this measure: 0, except for RETURN (the dispatch's number)
  // and a supervision round's RESPONSE (the escalation's number).
  int seq = 0;
  absl::CivilMonth month;
  absl::Time at;  // the event that settled it (acceptance for RESPONSE, the dispatch for RETURN)
  std::string unit_code;
  bool numerator = false;  // the denominator is always 1
  bool operator==(const Fact& o) const;
};

// The unit at `tier` on the path from `unit` up (the unit itself included): who supervises a
// ticket led by `unit` once raised to `tier`; "" when unknown.
using SupervisorOf = std::function<std::string(const std::string& unit, v1::Tier tier)>;

// The facts `history` (one ticket's events, in order) settles so far, in measure order. Without
// `supervisor_of` a supervision round met in time is not counted.
std::vector<Fact> FoldTicket(const std::vector<v1::TicketEvent>& history, absl::TimeZone zone,
                             const SupervisorOf& supervisor_of = nullptr);

// A unit's month: numerator and denominator of each measure.
struct Tally {
  std::array<int64_t, kMeasures> numerator{};
  std::array<int64_t, kMeasures> denominator{};
  void Add(const Fact& f);
  // numerator / denominator in [0, 1]; nullopt when the denominator is 0.
  std::optional<double> Rate(Measure m) const;
};

struct Weights {
  int response = 10, resolution = 45, satisfaction = 45;
};
// The composite score in [0, 100]; nullopt when none of the three rates is defined.
std::optional<double> Composite(const Tally& t, const Weights& w);

// What a property company's complaint contributes to its credit record (from the ticket and
// its events; the complainant key is the keyed hash of the phone, never the number).
struct CompanyComplaint {
  std::string ticket_id;
  absl::Time accepted_at;
  std::string complainant_key;  // "" when unknown: never counted as a distinct complainant
  bool substantiated = false;   // 属实 (or 部分属实, as configured)
  bool refused_to_rectify = false;
  bool reached = false;    // a revisit reached the complainant
  bool satisfied = false;  // its verdict: satisfied or basically satisfied
};
struct ExitRule {
  int window_months = 12;
  int exit_min_distinct = 20;  // more than this many
  int satisfaction_below_percent = 50;
};
struct CompanyRecord {
  int64_t substantiated = 0;
  int64_t distinct_complainants = 0;  // of substantiated complaints
  int64_t reached = 0, satisfied = 0, refusals = 0;
  bool exit_trigger = false;
};
// What one ticket's history says for its property company's record: the finding of its latest
// resolution (SUBSTANTIATION_SUBSTANTIATED, and PARTLY_SUBSTANTIATED when `partly_counts`; a
// resolution without a finding, as before findings were recorded, is not substantiated), a
// refusal to rectify in any round, and the verdict revisit (the first that reached the
// complainant, as for the rates). The caller fills in the complainant key.
CompanyComplaint CompanyComplaintOf(const std::vector<v1::TicketEvent>& history, bool partly_counts);

// The exit trigger of a record's counts (substantiated, distinct complainants, reached,
// satisfied, refusals): the rule above, in integers.
bool ExitTriggerHolds(const CompanyRecord& record, const ExitRule& rule);

// The record over the `window_months` calendar months (in `zone`) ending with `month`; the
// complaints outside the window are ignored.
CompanyRecord EvaluateCompany(const std::vector<CompanyComplaint>& complaints,
                              absl::CivilMonth month, absl::TimeZone zone, const ExitRule& rule);

// Rankings (StatisticsService.ListRankings): the units ordered by a figure, higher first (lower
// first when `lower_is_better`: the return and redo rates), units without a figure last, ties
// by unit code; equal figures share a rank (1, 1, 3), units without a figure share the last.
struct RankedUnit {
  std::string unit_code;
  std::optional<double> value;
  int rank = 0;
};
std::vector<RankedUnit> RankUnits(std::vector<RankedUnit> units, bool lower_is_better);

// Company lists (see the top): a company's annual credit evaluations (any order, one a year)
// and the lists they put it on for a month of `year`.
struct CreditEvaluation {
  int year = 0;
  double score = 0;
};
struct CreditRule {
  double black_below = 90;
  int black_years = 2;
  double red_min = 0;  // 0: no red list
};
enum class CompanyList { kRed = 1, kBlack = 2, kRiskNotice = 3 };  // = v1::CompanyList
std::vector<CompanyList> ListsOf(const std::vector<CreditEvaluation>& evaluations, int year,
                                 const CreditRule& rule);

}  // namespace dispatch::statistics

#endif  // DISPATCH_SERVICES_STATISTICS_RATES_H_
