#include "common/redis_clock.h"

#include "absl/strings/numbers.h"
#include "common/log.h"

namespace dispatch {
namespace {

constexpr char kEpochKey[] = "{time}:epoch";  // unix microseconds

absl::StatusOr<absl::Time> ParseTime(const absl::StatusOr<redis::Reply>& r) {
  if (!r.ok()) return r.status();
  int64_t seconds = 0, micros = 0;
  if (!r->is_array() || r->elements.size() != 2 ||
      !absl::SimpleAtoi(r->elements[0].str, &seconds) ||
      !absl::SimpleAtoi(r->elements[1].str, &micros)) {
    return absl::InternalError("redis TIME: unexpected reply");
  }
  return absl::FromUnixSeconds(seconds) + absl::Microseconds(micros);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClock>> RedisClock::Create(redis::Client* redis, double scale,
                                                               absl::Duration resync) {
  if (!(scale >= 1.0)) return absl::InvalidArgumentError("time_scale: must be at least 1");
  std::unique_ptr<RedisClock> clock(new RedisClock(redis, scale, resync));
  absl::StatusOr<absl::Time> t = ParseTime(redis->ExecuteSync({"TIME"}));
  if (!t.ok() && scale == 1.0) {
    // Redis is not there yet. Nothing can be accepted or changed without it anyway; start from
    // this host's time and take Redis's at the first answer (Now() asks at once).
    log::Warn("clock", "redis TIME unavailable, using this host's time until redis answers",
              {{"error", t.status().ToString()}});
    Anchor& a = *clock->anchor_;
    absl::MutexLock lock(&a.mu);
    a.redis_time = absl::Now();
    a.at = std::chrono::steady_clock::now();
    a.last_try = a.at - absl::ToChronoNanoseconds(resync);
    clock->epoch_ = a.redis_time;
    return clock;
  }
  if (!t.ok()) return t.status();
  {
    Anchor& a = *clock->anchor_;
    absl::MutexLock lock(&a.mu);
    a.redis_time = *t;
    a.at = a.last_try = std::chrono::steady_clock::now();
  }
  clock->epoch_ = *t;
  if (scale != 1.0) {
    // The first process to start a scaled deployment fixes the epoch; the others adopt it.
    std::string mine = std::to_string(absl::ToUnixMicros(clock->epoch_));
    auto set = redis->ExecuteSync({"SET", kEpochKey, mine, "NX", "GET"});
    if (!set.ok()) return set.status();
    int64_t micros = 0;
    if (!set->is_nil() && absl::SimpleAtoi(set->str, &micros)) {
      clock->epoch_ = absl::FromUnixMicros(micros);
    }
  }
  return clock;
}

absl::Time RedisClock::Scaled(absl::Time redis_time) const {
  if (scale_ == 1.0) return redis_time;
  return epoch_ + (redis_time - epoch_) * scale_;
}

absl::Time RedisClock::Now() {
  Anchor& a = *anchor_;
  absl::Time now;
  bool resync = false;
  {
    absl::MutexLock lock(&a.mu);
    auto local = std::chrono::steady_clock::now();
    now = a.redis_time + absl::FromChrono(local - a.at);
    if (!a.in_flight && absl::FromChrono(local - a.last_try) >= resync_) {
      a.in_flight = true;
      a.last_try = local;
      resync = true;
    }
  }
  if (resync) {
    redis_->Execute({"TIME"}, [anchor = anchor_](absl::StatusOr<redis::Reply> r) {
      absl::StatusOr<absl::Time> t = ParseTime(r);
      absl::MutexLock lock(&anchor->mu);
      anchor->in_flight = false;
      if (!t.ok()) return;  // keep interpolating from the last answer
      anchor->redis_time = *t;
      anchor->at = std::chrono::steady_clock::now();
    });
  }
  return Scaled(now);
}

}  // namespace dispatch
