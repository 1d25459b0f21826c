#include "services/escalation/work_calendar.h"

#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dispatch {
namespace {

// "2026-02-15" → the day; nullopt if malformed or not a real date.
std::optional<absl::CivilDay> ParseDate(const std::string& s) {
  std::vector<std::string> parts = absl::StrSplit(s, '-');
  int y, m, d;
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 || parts[2].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return std::nullopt;
  }
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;  // normalised
  return day;
}

bool IsWeekend(absl::CivilDay day) {
  absl::Weekday w = absl::GetWeekday(day);
  return w == absl::Weekday::saturday || w == absl::Weekday::sunday;
}

}  // namespace

absl::StatusOr<WorkCalendar> WorkCalendar::FromConfig(
    const std::vector<config::v1::HolidayCalendar>& years) {
  WorkCalendar c;
  for (const auto& y : years) {
    std::string where = absl::StrCat("calendar ", y.year());
    if (y.year() < 2000 || y.year() > 2100) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": year: 2000-2100"));
    }
    if (!c.years_.insert(y.year()).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": year given twice"));
    }
    auto in_year = [&](const std::string& s, const std::string& field)
        -> absl::StatusOr<absl::CivilDay> {
      std::optional<absl::CivilDay> d = ParseDate(s);
      if (!d) return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, ": \"", s, "\" is not a YYYY-MM-DD date"));
      if (d->year() != y.year()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, ": ", s, " is not in ", y.year()));
      }
      return *d;
    };
    for (int i = 0; i < y.holidays_size(); ++i) {
      auto first = in_year(y.holidays(i).first(), absl::StrCat("holidays[", i, "].first"));
      if (!first.ok()) return first.status();
      auto last = in_year(y.holidays(i).last(), absl::StrCat("holidays[", i, "].last"));
      if (!last.ok()) return last.status();
      if (*last < *first) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": holidays[", i, "]: last before first"));
      }
      for (absl::CivilDay d = *first; d <= *last; ++d) c.holidays_.insert(d);
    }
    for (int i = 0; i < y.make_up_working_days_size(); ++i) {
      std::string field = absl::StrCat("make_up_working_days[", i, "]");
      auto d = in_year(y.make_up_working_days(i), field);
      if (!d.ok()) return d.status();
      if (!IsWeekend(*d)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, ": ",
                                                       y.make_up_working_days(i),
                                                       " is a weekday, not a make-up day"));
      }
      c.make_up_days_.insert(*d);
    }
  }
  return c;
}

absl::StatusOr<bool> WorkCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (!years_.count(static_cast<int>(day.year()))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the working-day calendar has no file for ", day.year(),
        "; add deploy/calendar/", day.year(), ".textproto"));
  }
  if (make_up_days_.count(day)) return true;
  return !IsWeekend(day) && !holidays_.count(day);
}

absl::Time WorkCalendar::Count(absl::Time start, int days, absl::TimeZone zone,
                               absl::Status* missing) const {
  absl::CivilDay day = absl::ToCivilDay(start, zone);
  int counted = 0;
  while (counted < days) {
    ++day;
    absl::StatusOr<bool> working = IsWorkingDay(day);
    if (!working.ok()) {
      missing->Update(working.status());
      working = !IsWeekend(day);
    }
    if (*working) ++counted;
  }
  return absl::FromCivil(day + 1, zone);  // the end of the last counted day
}

absl::StatusOr<absl::Time> WorkCalendar::AddWorkingDays(absl::Time start, int days,
                                                        absl::TimeZone zone) const {
  absl::Status missing;
  absl::Time end = Count(start, days, zone, &missing);
  if (!missing.ok()) return missing;
  return end;
}

absl::Time WorkCalendar::AddWorkingDaysAssumingWeekdays(absl::Time start, int days,
                                                        absl::TimeZone zone,
                                                        bool* assumed) const {
  absl::Status missing;
  absl::Time end = Count(start, days, zone, &missing);
  *assumed = !missing.ok();
  return end;
}

}  // namespace dispatch
