#include "common/redis_clock.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dispatch {
namespace {

constexpr char kEpochKey[] = "{time}:epoch";  // unix microseconds

absl::StatusOr<absl::Time> RedisTime(redis::Client* redis) {
  auto r = redis->ExecuteSync({"TIME"});
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
  absl::MutexLock lock(&clock->mu_);
  absl::Status synced = clock->Sync();
  if (!synced.ok()) return synced;
  clock->epoch_ = clock->synced_redis_time_;
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

absl::Status RedisClock::Sync() {
  auto t = RedisTime(redis_);
  if (!t.ok()) return t.status();
  synced_redis_time_ = *t;
  synced_at_ = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

absl::Time RedisClock::Scaled(absl::Time redis_time) const {
  if (scale_ == 1.0) return redis_time;
  return epoch_ + (redis_time - epoch_) * scale_;
}

absl::Time RedisClock::Now() {
  absl::MutexLock lock(&mu_);
  auto elapsed = std::chrono::steady_clock::now() - synced_at_;
  if (absl::FromChrono(elapsed) >= resync_) {
    (void)Sync();  // on failure keep interpolating from the last answer
    elapsed = std::chrono::steady_clock::now() - synced_at_;
  }
  return Scaled(synced_redis_time_ + absl::FromChrono(elapsed));
}

}  // namespace dispatch
