// HealthMonitor: whether this process can do its work, told to gRPC health checking and to
// the HTTP listener's /readyz (issue #17).
//
// Every `interval` it probes Redis (TIME, on a connection of its own) and, when a hosted
// service needs it, PostgreSQL (SELECT 1, on a connection of its own). A dependency is down
// after two failed probes in a row and up again after one good one, so a Redis that stops is
// seen within about two intervals and one that returns is served again without a restart; the
// first probe, at start, decides by itself.
//   - every service needs Redis; StatisticsService also needs PostgreSQL (its every call reads
//     the read model). IntakeService stays SERVING with PostgreSQL down: submissions, tickets
//     and the clocks need only Redis (its list reads answer UNAVAILABLE meanwhile);
//   - the overall status ("") is SERVING when every hosted service is.
// dispatch_dependency_up{dependency} exports the last verdicts.
// Thread-safe. Stop() before the health service is shut down.
#ifndef DISPATCH_SERVICES_DISPATCHD_HEALTH_H_
#define DISPATCH_SERVICES_DISPATCHD_HEALTH_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/health_check_service_interface.h>

#include "absl/time/time.h"
#include "common/periodic.h"
#include "common/pg/pg_client.h"
#include "common/redis/redis_client.h"

namespace dispatch {

class HealthMonitor {
 public:
  struct Service {
    std::string name;  // "dispatch.v1.IntakeService"
    bool needs_postgres = false;
  };
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    // Failed probes in a row before a dependency counts as down.
    int down_after = 2;
  };
  // `postgres` may be null (no read model configured, or no hosted service needs it).
  HealthMonitor(std::unique_ptr<redis::Client> redis, std::unique_ptr<pg::Connection> postgres,
                grpc::HealthCheckServiceInterface* health, std::vector<Service> services,
                Options options);
  ~HealthMonitor();

  // Probes once (so the first verdict is known when serving starts), then every interval.
  void Start();
  void Stop();

  // Whether every hosted service is SERVING.
  bool ready() const { return ready_.load(); }
  // {"status":"SERVING","redis":"up","postgresql":"down"}: for /readyz.
  std::string Describe() const;

 private:
  struct Dependency {
    std::string name;
    int failures = 0;
    bool up = true;
    std::string error;
  };
  void ProbeOnce();
  void Publish();

  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<pg::Connection> postgres_;
  grpc::HealthCheckServiceInterface* const health_;
  const std::vector<Service> services_;
  const Options options_;

  mutable std::mutex mu_;
  Dependency redis_state_{"redis", 0, true, ""};
  Dependency postgres_state_{"postgresql", 0, true, ""};
  std::atomic<bool> ready_{false};
  bool probed_ = false;  // under mu_
  int source_ = 0;
  Periodic probes_;  // last: stopped (joined) before the members its probes use go
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_HEALTH_H_
