// WorkCalendar: the statutory working-day calendar (DOMAIN.md section 8) and the
// "N working days" deadline rule.
//
// A day is a working day when it is Monday-Friday and not inside a holiday, or when it is a
// make-up working day (调休上班). Only years that have a calendar file are known: asking about any
// other day is an error (FAILED_PRECONDITION naming the year), never a silent guess; only
// AddWorkingDaysAssumingWeekdays assumes, and tells its caller.
//
// Deadline rule (the Chinese rule for periods: the day the period starts is not counted): a
// ticket accepted on day D with "N working days" is due at the end of the N-th working day after
// D, i.e. 00:00 local time of the following day. A complaint accepted at 17:50 on the eve of a
// holiday starts counting after the holiday.
// Immutable after construction; thread-safe.
#ifndef DISPATCH_SERVICES_ESCALATION_WORK_CALENDAR_H_
#define DISPATCH_SERVICES_ESCALATION_WORK_CALENDAR_H_

#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "dispatch/config/v1/calendar.pb.h"

namespace dispatch {

class WorkCalendar {
 public:
  // Validates every file (dates inside their year, make-up days on weekends, each year once);
  // INVALID_ARGUMENT names the problem ("calendar 2026: holidays[1].first: ...").
  static absl::StatusOr<WorkCalendar> FromConfig(
      const std::vector<config::v1::HolidayCalendar>& years);

  // The years covered, ascending.
  std::vector<int> Years() const { return {years_.begin(), years_.end()}; }

  absl::StatusOr<bool> IsWorkingDay(absl::CivilDay day) const;

  // The end of the `days`-th working day after the day of `start` (in `zone`).
  absl::StatusOr<absl::Time> AddWorkingDays(absl::Time start, int days,
                                            absl::TimeZone zone) const;

  // The same, but days of years without a file count as working when Monday-Friday, and
  // `*assumed` says whether that happened. For deadlines that must exist even when a calendar
  // file is missing; callers must report the assumption loudly.
  absl::Time AddWorkingDaysAssumingWeekdays(absl::Time start, int days, absl::TimeZone zone,
                                            bool* assumed) const;

 private:
  // AddWorkingDaysAssumingWeekdays; `*missing` gets the first year without a file.
  absl::Time Count(absl::Time start, int days, absl::TimeZone zone, absl::Status* missing) const;

  std::set<int> years_;
  std::set<absl::CivilDay> holidays_;
  std::set<absl::CivilDay> make_up_days_;
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_ESCALATION_WORK_CALENDAR_H_
