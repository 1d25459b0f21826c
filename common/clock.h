// Clock: the one way library code learns the time.
//
// Library code never reads the system clock directly; it is handed a Clock*. Production wires
// Clock::Real(); tests wire a FakeClock and move it by hand, so no test sleeps for time to pass.
// Both implementations are thread-safe. Clock::Real() lives for the whole process.
#ifndef DISPATCH_COMMON_CLOCK_H_
#define DISPATCH_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dispatch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Now() truncated to whole milliseconds: what stored times hold, so that every reader agrees.
  absl::Time NowMillis() { return absl::FromUnixMillis(absl::ToUnixMillis(Now())); }

  // The process-wide real clock (absl::Now()).
  static Clock* Real();
};

// A clock that only moves when told to.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dispatch

#endif  // DISPATCH_COMMON_CLOCK_H_
