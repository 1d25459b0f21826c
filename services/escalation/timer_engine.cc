#include "services/escalation/timer_engine.h"

#include "common/metrics/metrics.h"
#include "absl/strings/strip.h"
#include "dispatch/v1/types.pb.h"

#include <algorithm>
#include <functional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/proto_time.h"
#include "common/thread_name.h"
#include "services/escalation/lua_scripts.h"

namespace dispatch::escalation {
namespace {

prometheus::Histogram& Lateness() {
  static auto& h = metrics::HistogramFamily(
                       "dispatch_timer_lateness_seconds",
                       "How late the timer engine fired a shard's earliest due timer (real seconds).")
                       .Add({}, std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                    2.5, 5, 10, 30, 60});
  return h;
}

// The script's counts {what, n, ...} with what = kind*100 + clock*10 + tier (fire.lua).
void CountFired(const redis::Reply& counts) {
  static auto& warnings = metrics::CounterFamily(
      "dispatch_clock_warnings_total",
      "SLA clock warnings sent (a threshold of its time passed), by clock and the tier warned.");
  static auto& breaches = metrics::CounterFamily(
      "dispatch_clock_breaches_total",
      "SLA clocks breached, by clock and the tier the breach is charged to.");
  static auto& escalations = metrics::CounterFamily(
      "dispatch_escalations_total",
      "Tickets escalated for supervision after a breach, by clock and the tier escalated to.");
  for (size_t i = 0; i + 1 < counts.elements.size(); i += 2) {
    const int64_t what = counts.elements[i].integer;
    const int kind = static_cast<int>(what / 100), clock = static_cast<int>(what / 10 % 10),
              tier = static_cast<int>(what % 10);
    auto& family = kind == 1 ? warnings : kind == 2 ? breaches : escalations;
    family
        .Add({{"clock", metrics::EnumLabel(v1::ClockKind_descriptor(), clock, "CLOCK_KIND_")},
              {"tier", metrics::EnumLabel(v1::Tier_descriptor(), tier, "TIER_")}})
        .Increment(static_cast<double>(counts.elements[i + 1].integer));
  }
}

const redis::Script& FireScript() {
  static const redis::Script* const script = new redis::Script(kFireLua);
  return *script;
}
const redis::Script& SweepScript() {
  static const redis::Script* const script = new redis::Script(kSweepLua);
  return *script;
}

absl::StatusOr<absl::Duration> PositiveOr(const google::protobuf::Duration& d,
                                          absl::Duration fallback, const char* field) {
  if (IsZero(d)) return fallback;
  absl::Duration v = FromProto(d);
  if (v <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("escalation.", field, ": must be positive"));
  }
  return v;
}

}  // namespace

absl::StatusOr<TimerEngine::Options> TimerEngine::OptionsFromConfig(
    const config::v1::EscalationOptions& c) {
  Options o;
  auto set = [](absl::StatusOr<absl::Duration> v, absl::Duration* out) {
    if (v.ok()) *out = *v;
    return v.status();
  };
  for (absl::Status s : {
           set(PositiveOr(c.township_supervision(), o.township_supervision, "township_supervision"),
               &o.township_supervision),
           set(PositiveOr(c.county_supervision(), o.county_supervision, "county_supervision"),
               &o.county_supervision),
           set(PositiveOr(c.city_supervision(), o.city_supervision, "city_supervision"),
               &o.city_supervision),
           set(PositiveOr(c.max_sleep(), o.max_sleep, "max_sleep"), &o.max_sleep),
           set(PositiveOr(c.sweep_interval(), o.sweep_interval, "sweep_interval"),
               &o.sweep_interval),
       }) {
    if (!s.ok()) return s;
  }
  if (c.top_tier() != v1::TIER_UNSPECIFIED) {
    if (c.top_tier() != v1::TIER_COUNTY && c.top_tier() != v1::TIER_CITY) {
      return absl::InvalidArgumentError("escalation.top_tier: must be TIER_COUNTY or TIER_CITY");
    }
    o.top_tier = c.top_tier();
  }
  if (c.batch() < 0 || c.batch() > 10000) {
    return absl::InvalidArgumentError("escalation.batch: must be within [1, 10000]");
  }
  if (c.batch() > 0) o.batch = c.batch();
  if (c.fire_in_flight() < 0 || c.fire_in_flight() > 256) {
    return absl::InvalidArgumentError("escalation.fire_in_flight: must be within [1, 256]");
  }
  if (c.fire_in_flight() > 0) o.fire_in_flight = c.fire_in_flight();
  return o;
}

TimerEngine::TimerEngine(redis::Client* redis, Clock* clock, Options options)
    : redis_(redis), clock_(clock), options_(std::move(options)) {
  for (auto& h : heads_) h.store(-1);
  first_shard_ = static_cast<int>(std::random_device{}() % keys::kShardCount);
  // How far behind the earliest due timer is now, from the heads the engine keeps (no Redis
  // call at scrape time).
  source_ = metrics::AddSource([this](std::vector<prometheus::MetricFamily>* out) {
    const absl::Time next = NextWakeUp();
    double lag = 0;
    if (next != absl::InfiniteFuture()) {
      lag = std::max(0.0, absl::ToDoubleSeconds(clock_->Now() - next) / options_.scale);
    }
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_timer_due_lag_seconds",
        "How long the earliest due SLA timer has waited past its due time (real seconds; 0 when "
        "none is due).",
        {{{}, lag}}));
  });
}

TimerEngine::~TimerEngine() {
  Stop();
  metrics::RemoveSource(source_);
}

absl::Time TimerEngine::NextWakeUp() const {
  int64_t best = -1;
  for (const auto& h : heads_) {
    int64_t v = h.load();
    if (v >= 0 && (best < 0 || v < best)) best = v;
  }
  return best < 0 ? absl::InfiniteFuture() : absl::FromUnixMillis(best);
}

absl::Status TimerEngine::RefreshHeads() {
  std::vector<std::vector<std::string>> reads;
  for (int shard = 0; shard < keys::kShardCount; ++shard) {
    reads.push_back({"ZRANGE", keys::Timers(shard), "0", "0", "WITHSCORES"});
  }
  std::vector<absl::StatusOr<redis::Reply>> replies = redis_->ExecuteAllSync(std::move(reads));
  absl::Status error;
  for (int shard = 0; shard < keys::kShardCount; ++shard) {
    const absl::StatusOr<redis::Reply>& r = replies[shard];
    if (!r.ok()) {
      error.Update(r.status());
      continue;
    }
    int64_t head = -1;
    if (r->is_array() && r->elements.size() == 2) {
      // Scores are integral milliseconds; Redis may print them as "1.7e+12".
      head = static_cast<int64_t>(std::stod(r->elements[1].str));
    }
    heads_[shard].store(head);
  }
  return error;
}

absl::Status TimerEngine::FireShards(const std::vector<int>& shards, Pass* pass) {
  const std::string now =
      options_.now_from_clock ? std::to_string(absl::ToUnixMillis(clock_->Now())) : "";
  std::vector<std::string> args = {std::to_string(options_.batch),
                                   now,
                                   std::to_string(absl::ToUnixMicros(options_.epoch)),
                                   absl::StrFormat("%.17g", options_.scale),
                                   std::to_string(options_.top_tier),
                                   std::to_string(absl::ToInt64Milliseconds(options_.township_supervision)),
                                   std::to_string(absl::ToInt64Milliseconds(options_.county_supervision)),
                                   std::to_string(absl::ToInt64Milliseconds(options_.city_supervision))};
  // A window of calls: each answer sends the next shard's call. Sending every due shard at once
  // would have Redis run them back to back in one event-loop turn, holding off every other
  // client (intake, handlers) for the whole burst, and growing its AOF buffer by copying.
  absl::BlockingCounter pending(static_cast<int>(shards.size()));
  absl::Mutex mu;
  absl::Status error;
  size_t next = 0;  // guarded by mu
  std::function<void()> send_next = [&] {
    int shard;
    {
      absl::MutexLock lock(&mu);
      if (next >= shards.size()) return;
      shard = shards[next++];
    }
    redis_->Eval(FireScript(), {keys::Timers(shard), keys::Events(shard)}, args,
                 [&, shard](absl::StatusOr<redis::Reply> r) {
                   absl::Status s = r.status();
                   if (s.ok() && (!r->is_array() || r->elements.size() < 4)) {
                     s = absl::InternalError("fire.lua: unexpected reply");
                   }
                   if (s.ok()) {
                     const auto& e = r->elements;
                     const int64_t previous_head = heads_[shard].exchange(e[2].integer);
                     // How late the shard's earliest due timer fired (real seconds).
                     if (previous_head >= 0 && e[3].integer >= previous_head) {
                       Lateness().Observe(static_cast<double>(e[3].integer - previous_head) /
                                          1000.0 / options_.scale);
                     }
                     if (e.size() > 4) CountFired(e[4]);
                     for (size_t i = 5; i < e.size(); ++i) {
                       log::Error("escalation", "dropped a timer: its ticket key is broken",
                                  {{"shard", std::to_string(shard)}, {"ticket_id", e[i].str}});
                     }
                     absl::MutexLock lock(&mu);
                     pass->tickets += e[0].integer;
                     pass->events += e[1].integer;
                   } else {
                     absl::MutexLock lock(&mu);
                     error.Update(s);
                   }
                   send_next();
                   pending.DecrementCount();
                 });
  };
  for (int i = 0; i < options_.fire_in_flight; ++i) send_next();
  pending.Wait();
  return error;
}

absl::StatusOr<TimerEngine::Pass> TimerEngine::FireDue() {
  Pass pass;
  // A shard whose script hit the batch limit has more due: go round again until none has.
  while (true) {
    int64_t now = absl::ToUnixMillis(clock_->Now());
    std::vector<int> due;
    for (int i = 0; i < keys::kShardCount; ++i) {
      int shard = (first_shard_ + i) % keys::kShardCount;
      int64_t head = heads_[shard].load();
      if (head >= 0 && head <= now) due.push_back(shard);
    }
    if (due.empty()) return pass;
    int64_t before = pass.tickets;
    if (absl::Status s = FireShards(due, &pass); !s.ok()) return s;
    if (pass.tickets == before) return pass;  // due by our clock, not yet by Redis's
  }
}

absl::StatusOr<TimerEngine::Pass> TimerEngine::RunOnce() {
  if (absl::Status s = RefreshHeads(); !s.ok()) return s;
  return FireDue();
}

absl::StatusOr<bool> TimerEngine::SweepSlice(SweepCursor* cursor, int64_t* rearmed) {
  absl::StatusOr<redis::Reply> r = redis_->EvalSync(
      SweepScript(), {keys::Timers(cursor->shard), keys::AcceptedIndex(cursor->shard)},
      {cursor->after, std::to_string(std::max(1, options_.sweep_slice))});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.size() != 2) {
    return absl::InternalError("sweep.lua: unexpected reply");
  }
  *rearmed += r->elements[1].integer;
  cursor->after = r->elements[0].str;
  if (cursor->after.empty() && ++cursor->shard == keys::kShardCount) {
    cursor->shard = 0;
    return true;  // a full pass is done
  }
  return false;
}

absl::StatusOr<int64_t> TimerEngine::Sweep() {
  SweepCursor cursor;
  int64_t rearmed = 0;
  for (;;) {
    absl::StatusOr<bool> done = SweepSlice(&cursor, &rearmed);
    if (!done.ok()) return done.status();
    if (*done) return rearmed;
  }
}

void TimerEngine::Start() {
  thread_ = std::thread([this] {
    NameThisThread("timers");
    absl::Time last_refresh = absl::InfinitePast(), last_sweep = absl::Now();
    // The sweep runs one slice (one shard, sweep_slice tickets) per loop, between firings, so that a
    // large index never holds up due timers, and at most one every sweep_pause.
    bool sweeping = false;
    absl::Time last_slice = absl::InfinitePast();
    SweepCursor sweep;
    int64_t rearmed = 0;
    int64_t errors = 0;  // consecutive failed passes
    while (!stop_.HasBeenNotified()) {
      // Real (host) time only paces this loop; every decision uses Redis time.
      absl::Time real_now = absl::Now();
      absl::Status s;
      if (real_now - last_refresh >= options_.max_sleep) {
        s = RefreshHeads();
        if (s.ok()) last_refresh = real_now;
      }
      if (s.ok()) s = FireDue().status();
      if (s.ok() && !sweeping && real_now - last_sweep >= options_.sweep_interval) {
        sweeping = true;
        rearmed = 0;
      }
      if (s.ok() && sweeping && real_now - last_slice >= options_.sweep_pause) {
        last_slice = real_now;
        absl::StatusOr<bool> done = SweepSlice(&sweep, &rearmed);
        s = done.status();
        if (done.ok() && *done) {
          sweeping = false;
          last_sweep = real_now;
          if (rearmed > 0) {
            log::Info("escalation", "sweep re-armed tickets", {{"count", std::to_string(rearmed)}});
          }
        }
      }
      absl::Duration sleep = options_.max_sleep;
      if (!s.ok()) {
        // Redis down or refusing: back off (up to 5 s) and log the 1st, 2nd, 4th, 8th... error.
        ++errors;
        if ((errors & (errors - 1)) == 0) {
          log::Warn("escalation", "timer pass failed, backing off",
                    {{"error", s.ToString()}, {"errors_in_a_row", std::to_string(errors)}});
        }
        sleep = std::min(absl::Seconds(5), options_.max_sleep * (1 << std::min<int64_t>(errors, 6)));
      } else {
        if (errors > 0) {
          log::Info("escalation", "redis answers again",
                    {{"errors_in_a_row", std::to_string(errors)}});
        }
        errors = 0;
        absl::Duration until = (NextWakeUp() - clock_->Now()) / options_.scale;
        sleep = std::clamp(until, options_.coalesce, options_.max_sleep);
        if (sweeping) sleep = std::min(sleep, last_slice + options_.sweep_pause - absl::Now());
      }
      if (sleep > absl::ZeroDuration()) stop_.WaitForNotificationWithTimeout(sleep);
    }
  });
}

void TimerEngine::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dispatch::escalation
