#include "services/routing/roster.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace dispatch::routing {
namespace {

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

bool OnDuty(const config::v1::Handler& handler, absl::Time t, absl::TimeZone zone) {
  if (handler.on_duty_around_the_clock()) return true;
  absl::CivilMinute now = absl::ToCivilMinute(t, zone);
  absl::CivilDay today(now);
  int minute = static_cast<int>(now.hour()) * 60 + static_cast<int>(now.minute());
  int weekday = IsoWeekday(today), yesterday = IsoWeekday(today - 1);
  for (const auto& shift : handler.shifts()) {
    // (OrgModel::FromConfig refuses a malformed shift time.)
    int start = MinutesOfDay(shift.start()).value_or(0);
    int end = MinutesOfDay(shift.end()).value_or(0);
    bool overnight = end <= start;
    if (StartsOn(shift, weekday) && minute >= start && (overnight || minute < end)) return true;
    if (overnight && StartsOn(shift, yesterday) && minute < end) return true;
  }
  return false;
}

std::vector<const config::v1::Handler*> OnDutyHandlers(const config::v1::Organisation& org,
                                                       absl::string_view unit_code,
                                                       v1::Department department, absl::Time t,
                                                       absl::TimeZone zone) {
  std::vector<const config::v1::Handler*> out;
  for (const auto& h : org.handlers()) {
    if (h.unit_code() == unit_code && h.department() == department && OnDuty(h, t, zone)) {
      out.push_back(&h);
    }
  }
  return out;
}

void AppendAssignment(const config::v1::Handler& handler, bool automatic, Transition* t) {
  t->set.emplace_back("asg", handler.id());
  t->set.emplace_back("asgu", handler.unit_code());
  v1::TicketEvent e;
  v1::TicketAssigned* a = e.mutable_assigned();
  a->mutable_assignee()->set_id(handler.id());
  a->mutable_assignee()->set_display_name(handler.name());
  a->mutable_assignee()->set_unit_code(handler.unit_code());
  a->set_automatic(automatic);
  a->set_unit_code(handler.unit_code());
  t->events.emplace_back("assigned", std::move(e));
}

void ReleaseAssignee(const v1::Ticket& ticket, Transition* t) {
  if (ticket.has_assignee()) {
    t->counters.push_back({Transition::Counter::kHandlerLoad, ticket.assignee().id(), -1});
  }
}

}  // namespace dispatch::routing
