// OperatorStats: the gauges that need Redis or PostgreSQL, refreshed in the background and
// served from the cache at scrape time (a scrape never calls out; issue #17):
//   dispatch_timer_due_backlog                    timers due now and not yet fired (ZCOUNT of
//                                                 every shard's timers up to now)
//   dispatch_routing_backlog                      accepted tickets the routing group has not
//                                                 taken or not acknowledged (XINFO GROUPS lag +
//                                                 pending, every shard)
//   dispatch_routing_oldest_unrouted_age_seconds  age of the oldest of them (its stream id)
//   dispatch_read_model_lag_seconds               now minus how far the projection has caught up
//   dispatch_open_tickets{status,tier}            tickets not closed, from the read model
//                                                 (a scan of the open rows every minute)
//   dispatch_calendar_fallbacks_total             deadlines computed without a calendar year
//   dispatch_opstats_refreshed_timestamp_seconds  when the cache was last refreshed
// Ages are computed at scrape time from the cached timestamps, so they keep growing while the
// refresher is stuck. Every replica exports the deployment-wide gauges: alert on max().
#ifndef DISPATCH_SERVICES_DISPATCHD_OPSTATS_H_
#define DISPATCH_SERVICES_DISPATCHD_OPSTATS_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics/metrics.h"
#include "common/periodic.h"
#include "common/redis/redis_client.h"
#include "services/escalation/sla_policy.h"
#include "services/readmodel/reader.h"

namespace dispatch {

class OperatorStats {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(5);
    absl::Duration open_tickets_interval = absl::Minutes(1);
  };
  // `reader` and `policy` may be null. All must outlive this object.
  OperatorStats(std::unique_ptr<redis::Client> redis, readmodel::Reader* reader,
                const SlaPolicy* policy, Clock* clock, Options options);
  ~OperatorStats();
  void Start();
  void Stop();
  // One refresh (tests).
  void RefreshOnce();

 private:
  struct Snapshot {
    std::optional<int64_t> due_backlog;
    std::optional<int64_t> routing_backlog;
    std::optional<absl::Time> oldest_unrouted;  // real time of the oldest entry not routed
    bool routing_known = false;
    std::optional<absl::Time> caught_up_to;
    std::map<std::pair<int, int>, int64_t> open;  // (status, tier) -> tickets
    absl::Time open_at = absl::InfinitePast();
    absl::Time refreshed = absl::InfinitePast();
  };
  void Export(std::vector<prometheus::MetricFamily>* out);

  std::unique_ptr<redis::Client> redis_;
  readmodel::Reader* const reader_;
  const SlaPolicy* const policy_;
  Clock* const clock_;
  const Options options_;
  std::mutex mu_;
  Snapshot snapshot_;
  int source_ = 0;
  Periodic refresh_;  // last: stopped (joined) before the members its refresh uses go
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_OPSTATS_H_
