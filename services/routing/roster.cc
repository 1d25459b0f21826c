#include "services/routing/roster.h"

#include "absl/strings/numbers.h"

namespace dispatch::routing {
namespace {

// "HH:MM" → minutes after midnight (validated by OrgModel::FromConfig).
int Minutes(const std::string& hhmm) {
  int h = 0, m = 0;
  (void)absl::SimpleAtoi(hhmm.substr(0, 2), &h);
  (void)absl::SimpleAtoi(hhmm.substr(3, 2), &m);
  return h * 60 + m;
}

// ISO weekday, 1 = Monday ... 7 = Sunday.
int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
    case absl::Weekday::sunday: return 7;
  }
  return 0;
}

bool StartsOn(const config::v1::Shift& shift, int weekday) {
  for (int d : shift.weekdays()) {
    if (d == weekday) return true;
  }
  return false;
}

}  // namespace

bool OnDuty(const config::v1::Handler& handler, absl::Time t, absl::TimeZone zone) {
  if (handler.on_duty_around_the_clock()) return true;
  absl::CivilMinute now = absl::ToCivilMinute(t, zone);
  absl::CivilDay today(now);
  int minute = static_cast<int>(now.hour()) * 60 + static_cast<int>(now.minute());
  int weekday = IsoWeekday(today), yesterday = IsoWeekday(today - 1);
  for (const auto& shift : handler.shifts()) {
    int start = Minutes(shift.start()), end = Minutes(shift.end());
    bool overnight = end <= start;
    if (StartsOn(shift, weekday) && minute >= start && (overnight || minute < end)) return true;
    if (overnight && StartsOn(shift, yesterday) && minute < end) return true;
  }
  return false;
}

}  // namespace dispatch::routing
