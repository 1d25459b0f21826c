// SleepUnlessStopped: the pause of a background loop (the projector, the archiver, the fact
// store) that Stop() ends within 50 ms: sleeps `d` in 50 ms steps while `stop` is not set.
#ifndef DISPATCH_COMMON_SLEEP_UNLESS_STOPPED_H_
#define DISPATCH_COMMON_SLEEP_UNLESS_STOPPED_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dispatch {

inline void SleepUnlessStopped(const std::atomic<bool>& stop, absl::Duration d) {
  for (absl::Duration waited; waited < d && !stop.load(); waited += absl::Milliseconds(50)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace dispatch

#endif  // DISPATCH_COMMON_SLEEP_UNLESS_STOPPED_H_
