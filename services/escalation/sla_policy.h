// SlaPolicy: the "三三三" rule as configured — which clocks a ticket gets and when each is due.
//
//   assign       30 minutes after acceptance, around the clock
//   preliminary  3 hours after acceptance, around the clock
//   resolve      3 days after acceptance: calendar days, or statutory working days
//                (work_calendar.h: due at the end of the 3rd working day after acceptance)
//   warnings     when 50 % and 80 % of a clock's span have passed (configurable)
//   sign-for     what meets the assign clock: the assignee signing for the ticket (签收, the
//                default) or the assignment itself; an assignment nobody signs for within
//                10 minutes (emergencies 5) lapses back to the lead unit's queue
//
// Targets are configurable per category; emergency categories (DOMAIN.md section 6) and
// tickets submitted as PRIORITY_EMERGENCY get the emergency targets (a per-category entry still
// wins for its category). A policy has a version; a ticket records the version
// it was accepted under. A working-day clock whose dates the calendar does not cover counts the
// uncovered days as working when Monday-Friday — marked on the clock
// (SlaClock.calendar_assumed), counted in calendar_fallbacks() and warned about on stderr (the first time and every 1000th; dispatchd also warns at start) — because a
// complaint is never refused for a missing calendar file.
// Immutable after construction (but for that counter); thread-safe.
#ifndef DISPATCH_SERVICES_ESCALATION_SLA_POLICY_H_
#define DISPATCH_SERVICES_ESCALATION_SLA_POLICY_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dispatch/config/v1/config.pb.h"
#include "dispatch/v1/types.pb.h"
#include "services/escalation/work_calendar.h"

namespace dispatch {

class SlaPolicy {
 public:
  struct Targets {
    absl::Duration assign;
    absl::Duration preliminary;
    absl::Duration resolve;
    v1::DayBasis resolve_day_basis = v1::DAY_BASIS_CALENDAR;
    int resolve_working_days = 0;  // with DAY_BASIS_WORKING
    // Under ASSIGN_MET_BY_SIGN_FOR: how long an assignee has to sign for the ticket.
    absl::Duration sign_for;
  };

  // The built-in defaults: 30 min / 3 h / 3 calendar days; emergencies 10 min / 1 h / 1 day.
  static SlaPolicy Default();
  // Validates and builds from configuration; unset targets fall back to the defaults. Working-day
  // targets need `calendar` (null: refused); days are counted in `zone`.
  static absl::StatusOr<SlaPolicy> FromConfig(
      const config::v1::SlaPolicy& config,
      std::shared_ptr<const WorkCalendar> calendar = nullptr,
      absl::TimeZone zone = absl::UTCTimeZone());

  // Whether any target counts working days.
  bool UsesWorkingDays() const;
  // How many working-day clocks had to assume plain weekdays (dates the calendar did not cover).
  int64_t calendar_fallbacks() const { return fallbacks_->load(); }

  const std::string& version() const { return version_; }
  // What meets the assign clock of tickets accepted under this policy.
  v1::AssignMetBy assign_met_by() const { return assign_met_by_; }
  // Warning thresholds in percent of a clock's span, ascending (default 50, 80).
  const std::vector<int>& warn_percents() const { return warn_percents_; }
  // The revisit clock's target (default 3 days) and the unanswered revisit calls after which a
  // ticket closes as unreachable (default 3).
  absl::Duration revisit() const { return revisit_; }
  int revisit_attempts() const { return revisit_attempts_; }
  // A clock of `kind` started at `start` with a duration target (revisit clock; reopen rounds
  // use ClocksFor), carrying the warning thresholds.
  v1::SlaClock Clock(v1::ClockKind kind, absl::Duration target, absl::Time start, int round) const;

  static bool IsEmergency(v1::Category category);
  // The priority a ticket runs under: PRIORITY_EMERGENCY for emergency categories, else the
  // requested one (PRIORITY_NORMAL when unspecified).
  static v1::Priority EffectivePriority(v1::Category category, v1::Priority requested);

  const Targets& TargetsFor(v1::Category category, v1::Priority priority) const;

  // The three clocks of a ticket accepted at `accepted_at` (or reopened then, for round > 1),
  // in ClockKind order, all open. `priority` is the requested one (see EffectivePriority).
  std::vector<v1::SlaClock> ClocksFor(v1::Category category, v1::Priority priority,
                                      absl::Time accepted_at, int round = 1) const;

 private:
  std::string version_;
  v1::AssignMetBy assign_met_by_ = v1::ASSIGN_MET_BY_SIGN_FOR;
  std::vector<int> warn_percents_;
  absl::Duration revisit_ = absl::Hours(72);
  int revisit_attempts_ = 3;
  Targets defaults_;
  Targets emergency_;
  std::map<int, Targets> by_category_;
  std::shared_ptr<const WorkCalendar> calendar_;
  absl::TimeZone zone_ = absl::UTCTimeZone();
  std::shared_ptr<std::atomic<int64_t>> fallbacks_ = std::make_shared<std::atomic<int64_t>>(0);
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_ESCALATION_SLA_POLICY_H_
