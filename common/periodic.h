// Periodic: a background thread that calls `tick` every `interval` until Stop(), which wakes it
// at once (it does not wait out the interval) and joins it. For the operator gauges' refresh
// and the health probes (services/dispatchd/); loops that pause between batches of work use
// SleepUnlessStopped (common/sleep_unless_stopped.h).
// Start at most once; Stop (also run by the destructor) may be called more than once.
#ifndef DISPATCH_COMMON_PERIODIC_H_
#define DISPATCH_COMMON_PERIODIC_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "common/thread_name.h"

namespace dispatch {

class Periodic {
 public:
  enum class First { kTickNow, kWaitFirst };

  ~Periodic() { Stop(); }

  // On a thread named `name`: `tick`, then every `interval` again (kTickNow), or a wait first
  // (kWaitFirst: the caller ticked already).
  void Start(std::string name, absl::Duration interval, First first, std::function<void()> tick) {
    thread_ = std::thread([this, name = std::move(name), interval, first, tick = std::move(tick)] {
      NameThisThread(name);
      std::unique_lock<std::mutex> lock(mu_);
      bool wait = first == First::kWaitFirst;
      while (!stop_) {
        if (wait) {
          wake_.wait_for(lock, absl::ToChronoMilliseconds(interval), [this] { return stop_; });
          if (stop_) break;
        }
        wait = true;
        lock.unlock();
        tick();
        lock.lock();
      }
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dispatch

#endif  // DISPATCH_COMMON_PERIODIC_H_
