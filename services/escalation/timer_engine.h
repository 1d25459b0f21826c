// TimerEngine: fires the SLA clocks. Every open ticket has one entry in its shard's timers
// sorted set ({s}:timers), scored by its next wake-up (common/lua/lib/wake.lua: the next
// warning threshold or deadline of its open clocks). The engine finds the shards whose earliest
// entry is due and runs lua/fire.lua on each: one atomic script takes the due tickets, records
// breaches, raises tickets one tier up with a supervision deadline, sends warnings, appends the
// events to the shard's stream and re-arms each ticket's next wake-up. The rules themselves are
// in lua/fire.lua's header.
//
// Correctness does not depend on this process: the script is atomic, so a worker killed at any
// point leaves every ticket either before or after its step; any number of workers may run (a
// second one finds nothing due); "now" is Redis TIME inside the script (scaled, for demos, from
// the epoch shared through Redis, as RedisClock does) unless Options::now_from_clock (tests
// with a FakeClock).
//
// Scheduling: the engine remembers each shard's earliest wake-up, learnt from each script's
// answer and refreshed for all shards every max_sleep (so wake-ups that intake or a handler
// armed meanwhile are seen within max_sleep), and sleeps until the earliest one, at most
// max_sleep, at least `coalesce` (so a steady trickle is fired in batches). Sweep() is the
// reconciliation that re-arms tickets whose timer entry went missing; the background loop runs
// it one slice at a time between firings, every sweep_interval.
//
// Not thread-safe: one thread calls RunOnce()/Sweep(), or Start() runs them in the background.
#ifndef DISPATCH_SERVICES_ESCALATION_TIMER_ENGINE_H_
#define DISPATCH_SERVICES_ESCALATION_TIMER_ENGINE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/keys.h"
#include "common/redis/redis_client.h"
#include "dispatch/config/v1/config.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::escalation {

class TimerEngine {
 public:
  struct Options {
    // Most tickets one script call handles.
    int batch = 200;
    // Most script calls in flight at once (see EscalationOptions.fire_in_flight).
    int fire_in_flight = 8;
    absl::Duration max_sleep = absl::Milliseconds(100);
    absl::Duration coalesce = absl::Milliseconds(5);
    absl::Duration sweep_interval = absl::Minutes(10);
    // Tickets of the acceptance index one sweep step looks at.
    int sweep_slice = 500;
    // The background sweep starts a slice no sooner than this after the previous one. A slice
    // is one Lua call that holds Redis for a few milliseconds (500 tickets: ~5 ms); back to
    // back, a pass over 735,000 open tickets kept Redis busy for most of a minute and delayed
    // every other client. Paced, a pass costs Redis ~5 % and takes ~150 s a million open
    // tickets. Sweep() (tests, tools) is not paced.
    absl::Duration sweep_pause = absl::Milliseconds(100);
    // The escalation chain.
    v1::Tier top_tier = v1::TIER_CITY;
    absl::Duration township_supervision = absl::Hours(24);
    absl::Duration county_supervision = absl::Hours(24);
    absl::Duration city_supervision = absl::Hours(24);
    // Service time = epoch + (Redis TIME - epoch) * scale (RedisClock's epoch and scale).
    double scale = 1.0;
    absl::Time epoch = absl::UnixEpoch();
    // Tests: "now" is the engine's Clock instead of Redis TIME.
    bool now_from_clock = false;
  };
  // Validates configuration (defaults for unset fields).
  static absl::StatusOr<Options> OptionsFromConfig(const config::v1::EscalationOptions& config);

  // `clock` tells the engine when to look (and is "now" itself with now_from_clock); both must
  // outlive the engine. Give the engine its own Redis client: its batches are long.
  TimerEngine(redis::Client* redis, Clock* clock, Options options);
  ~TimerEngine();

  struct Pass {
    int64_t tickets = 0;  // due tickets handled
    int64_t events = 0;   // events appended (warnings, breaches, escalations)
  };
  // Reads every shard's earliest wake-up, then fires every shard that is due, until none is.
  absl::StatusOr<Pass> RunOnce();
  // Fires the shards known to be due (without reading the others first).
  absl::StatusOr<Pass> FireDue();
  // Reads every shard's earliest wake-up.
  absl::Status RefreshHeads();
  // One full reconciliation pass over every shard; returns how many tickets were re-armed.
  absl::StatusOr<int64_t> Sweep();
  // The earliest known wake-up over all shards (InfiniteFuture if none).
  absl::Time NextWakeUp() const;

  // Runs the loop in a background thread until Stop(); errors are logged and retried.
  void Start();  // at most once
  void Stop();

 private:
  absl::Status FireShards(const std::vector<int>& shards, Pass* pass);
  // One slice of the sweep; true when it finished a full pass over every shard.
  struct SweepCursor {
    int shard = 0;
    std::string after;  // the index entry id this shard's walk continues after; "" = start
  };
  absl::StatusOr<bool> SweepSlice(SweepCursor* cursor, int64_t* rearmed);

  redis::Client* const redis_;
  Clock* const clock_;
  const Options options_;
  // Each shard's earliest wake-up in unix ms; -1 when its timers are empty.
  std::array<std::atomic<int64_t>, keys::kShardCount> heads_;
  int first_shard_ = 0;  // where this engine starts its round, so replicas spread out
  int source_ = 0;       // dispatch_timer_due_lag_seconds
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_TIMER_ENGINE_H_
