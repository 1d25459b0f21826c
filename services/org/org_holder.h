// OrgHolder: the organisation in force, shared by the routing worker and RoutingActions, and
// kept in Redis so that every replica routes with the same one.
//
// Redis keys (outside the ticket shards, under their own hash tag):
//   {org}:current      serialized config.v1.Organisation in force
//   {org}:version      its version label (what Refresh() polls)
//   {org}:v:<version>  every version ever in force (tickets name the version they were routed
//                      under)
// At start the stored organisation wins; the configured file only seeds an empty store (apply a
// changed file with UpdateOrganisation). Refresh() picks up another replica's update;
// StartRefreshing() does it in the background (dispatchd: every second), so every replica,
// also one that serves only RPCs, routes, filters and assigns with the organisation in force
// within seconds of a change. Intake, routing and the read side share one holder per process.
// Thread-safe: Get() hands out immutable snapshots.
#ifndef DISPATCH_SERVICES_ORG_ORG_HOLDER_H_
#define DISPATCH_SERVICES_ORG_ORG_HOLDER_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "dispatch/config/v1/org.pb.h"
#include "services/org/department_matrix.h"
#include "services/org/org_model.h"

namespace dispatch::org {

struct OrgSnapshot {
  config::v1::Organisation config;
  OrgModel model;
  DepartmentMatrix matrix;

  // Validates `config` as a whole; INVALID_ARGUMENT names the first problem.
  static absl::StatusOr<std::shared_ptr<const OrgSnapshot>> Build(config::v1::Organisation config);
};

class OrgHolder {
 public:
  // `redis` must outlive the holder.
  OrgHolder(redis::Client* redis, std::shared_ptr<const OrgSnapshot> initial)
      : redis_(redis), current_(std::move(initial)) {}
  ~OrgHolder();

  std::shared_ptr<const OrgSnapshot> Get() const;

  // Stores the initial organisation if Redis has none, else adopts the stored one.
  absl::Status Load();
  // Adopts the stored organisation if its version changed.
  absl::Status Refresh();
  // Compare-and-set: replaces the organisation if `expected_version` is current.
  absl::StatusOr<std::shared_ptr<const OrgSnapshot>> Update(config::v1::Organisation next,
                                                            const std::string& expected_version);

  // A background thread: Load() until it succeeds, then Refresh() every `interval` until the
  // holder is destroyed; errors are logged and retried. At most once.
  void StartRefreshing(absl::Duration interval);

 private:
  // Adopts `serialized` unless the holder no longer holds `seen` (the snapshot in force when
  // the caller read Redis): an Update made meanwhile is not overwritten by an older read.
  absl::Status Adopt(const std::string& serialized,
                     const std::shared_ptr<const OrgSnapshot>& seen);

  redis::Client* const redis_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const OrgSnapshot> current_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread refresher_;
};

}  // namespace dispatch::org

#endif  // DISPATCH_SERVICES_ORG_ORG_HOLDER_H_
