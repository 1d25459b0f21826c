#include "services/routing/roster.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/keys.h"
#include "common/ticket_record.h"
#include "services/org/org_model.h"

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

bool OnDuty(const config::v1::Handler& handler, absl::Time t, absl::TimeZone zone) {
  if (handler.on_duty_around_the_clock()) return true;
  absl::CivilMinute now = absl::ToCivilMinute(t, zone);
  absl::CivilDay today(now);
  int minute = static_cast<int>(now.hour()) * 60 + static_cast<int>(now.minute());
  int weekday = IsoWeekday(today), yesterday = IsoWeekday(today - 1);
  for (const auto& shift : handler.shifts()) {
    // (OrgModel::FromConfig refuses a malformed shift time.)
    int start = org::MinutesOfDay(shift.start()).value_or(0);
    int end = org::MinutesOfDay(shift.end()).value_or(0);
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

bool ManualOnly(const config::v1::Handler& handler) {
  return handler.shifts().empty() && !handler.on_duty_around_the_clock();
}

void AppendAssignmentEffect(const v1::Ticket& ticket, const config::v1::Handler& handler,
                            bool self, absl::Time now, absl::Duration sign_for, Transition* t) {
  const bool by_sign_for = ticket.assign_met_by() == v1::ASSIGN_MET_BY_SIGN_FOR;
  if (by_sign_for && !self) {
    t->set.emplace_back("st", std::to_string(v1::TICKET_STATUS_ASSIGNED));
    t->set.emplace_back("sfd", std::to_string(absl::ToUnixMillis(now + sign_for)));
    return;
  }
  t->remove.push_back("sfd");
  ticket_record::AppendMetIfOpen(ticket, v1::CLOCK_KIND_ASSIGN, now, &t->set);
  if (!by_sign_for) {
    t->set.emplace_back("st", std::to_string(v1::TICKET_STATUS_ASSIGNED));
    return;
  }
  t->set.emplace_back("st", std::to_string(v1::TICKET_STATUS_SIGNED_FOR));
  v1::TicketEvent e;
  e.mutable_signed_for()->mutable_handler()->set_id(handler.id());
  e.mutable_signed_for()->mutable_handler()->set_display_name(handler.name());
  e.mutable_signed_for()->mutable_handler()->set_unit_code(handler.unit_code());
  e.mutable_signed_for()->set_unit_code(handler.unit_code());
  t->events.emplace_back("signed_for", std::move(e));
}

void AppendShareAssignment(int index, const v1::ShareRef& share,
                           const config::v1::Handler& handler, bool automatic, bool self,
                           absl::Time now, Transition* t) {
  t->set.push_back(ticket_record::ShareField(
      index, self ? v1::SHARE_STATE_SIGNED_FOR : v1::SHARE_STATE_ASSIGNED,
      self ? now : absl::InfinitePast(), absl::InfinitePast(), handler.id()));
  v1::Actor who;
  who.set_id(handler.id());
  who.set_display_name(handler.name());
  who.set_unit_code(handler.unit_code());
  v1::TicketEvent e;
  *e.mutable_assist_assigned()->mutable_share() = share;
  *e.mutable_assist_assigned()->mutable_assignee() = who;
  e.mutable_assist_assigned()->set_automatic(automatic);
  t->events.emplace_back("assist_assigned", std::move(e));
  if (self) {
    v1::TicketEvent signed_for;
    *signed_for.mutable_assist_signed_for()->mutable_share() = share;
    *signed_for.mutable_assist_signed_for()->mutable_handler() = who;
    t->events.emplace_back("assist_signed_for", std::move(signed_for));
  }
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
