// RedisClock: "now" as Redis sees it (the TIME command), so that every process and every worker
// of a deployment agrees on when a deadline passed — the SLA timer engine must not trust each
// host's own clock. dispatchd uses it for everything (acceptance stamps, handlers' actions,
// routing), at every time scale, so replicas on hosts with skewed clocks agree with each other
// and with the timer engine, which reads TIME inside its script. Optionally scaled for demos and soak tests (time_scale 600: one real second
// is ten service minutes), anchored at an epoch shared through Redis ({time}:epoch), so every
// process scales identically.
//
// Now() interpolates from the last Redis answer with the local monotonic clock and never
// blocks: at most once per `resync` interval it sends TIME without waiting, and the answer
// moves the anchor when it arrives (Now() is called inside Redis callbacks, where waiting for
// a reply on the same client could deadlock). When Redis cannot be reached it keeps
// interpolating from the last answer. Thread-safe.
#ifndef DISPATCH_COMMON_REDIS_CLOCK_H_
#define DISPATCH_COMMON_REDIS_CLOCK_H_

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"

namespace dispatch {

class RedisClock : public Clock {
 public:
  // Reads Redis TIME (and, when scale != 1, creates or reads the shared epoch). When Redis
  // cannot be reached: at scale 1 starts from this host's time until Redis answers (nothing is
  // stored without Redis anyway); scaled, fails (the epoch lives in Redis). `redis` must outlive
  // the clock.
  static absl::StatusOr<std::unique_ptr<RedisClock>> Create(
      redis::Client* redis, double scale = 1.0, absl::Duration resync = absl::Seconds(1));

  absl::Time Now() override;

  double scale() const { return scale_; }
  absl::Time epoch() const { return epoch_; }

 private:
  // The anchor: Redis time at a local monotonic instant. Shared with the resync callbacks, which
  // may arrive after the clock is gone.
  struct Anchor {
    absl::Mutex mu;
    absl::Time redis_time ABSL_GUARDED_BY(mu);
    std::chrono::steady_clock::time_point at ABSL_GUARDED_BY(mu);
    std::chrono::steady_clock::time_point last_try ABSL_GUARDED_BY(mu);
    bool in_flight ABSL_GUARDED_BY(mu) = false;
  };

  RedisClock(redis::Client* redis, double scale, absl::Duration resync)
      : redis_(redis), scale_(scale), resync_(resync), anchor_(std::make_shared<Anchor>()) {}
  absl::Time Scaled(absl::Time redis_time) const;

  redis::Client* const redis_;
  const double scale_;
  const absl::Duration resync_;
  absl::Time epoch_;  // set once in Create
  const std::shared_ptr<Anchor> anchor_;
};

}  // namespace dispatch

#endif  // DISPATCH_COMMON_REDIS_CLOCK_H_
