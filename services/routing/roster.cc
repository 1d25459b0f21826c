#include "services/routing/roster.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/keys.h"

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

void AddShardLoads(const redis::Reply& hgetall, HandlerLoads* loads) {
  if (!hgetall.is_array()) return;
  for (size_t i = 0; i + 1 < hgetall.elements.size(); i += 2) {
    int64_t n = 0;
    (void)absl::SimpleAtoi(hgetall.elements[i + 1].str, &n);
    (*loads)[hgetall.elements[i].str] += n;
  }
}

void ReadHandlerLoads(redis::Client* redis,
                      std::function<void(absl::StatusOr<HandlerLoads>)> done) {
  struct Reads {
    absl::Mutex mu;
    HandlerLoads loads;
    absl::Status error;
    int pending = keys::kShardCount;
    std::function<void(absl::StatusOr<HandlerLoads>)> done;
  };
  auto reads = std::make_shared<Reads>();
  reads->done = std::move(done);
  for (int s = 0; s < keys::kShardCount; ++s) {
    redis->Execute({"HGETALL", keys::HandlerLoad(s)}, [reads](absl::StatusOr<redis::Reply> r) {
      bool last;
      {
        absl::MutexLock lock(&reads->mu);
        if (r.ok()) {
          AddShardLoads(*r, &reads->loads);
        } else {
          reads->error.Update(r.status());
        }
        last = --reads->pending == 0;
      }
      if (!last) return;
      if (!reads->error.ok()) return reads->done(reads->error);
      reads->done(std::move(reads->loads));
    });
  }
}

const config::v1::Handler* LeastLoaded(const std::vector<const config::v1::Handler*>& candidates,
                                       const HandlerLoads& loads, const std::string& assignee) {
  auto load_of = [&](const config::v1::Handler* h) -> int64_t {
    auto it = loads.find(h->id());
    int64_t n = it == loads.end() ? 0 : it->second;
    return h->id() == assignee && n > 0 ? n - 1 : n;  // without this ticket
  };
  const config::v1::Handler* best = nullptr;
  for (const config::v1::Handler* h : candidates) {
    if (best == nullptr || load_of(h) < load_of(best) ||
        (load_of(h) == load_of(best) && h->id() == assignee)) {
      best = h;
    }
  }
  return best;
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
