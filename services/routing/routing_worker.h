// RoutingWorker: takes every accepted ticket from the event streams and routes it — lead unit
// and department (router.h), assisting departments, and, when the ticket could be routed
// automatically, the least-loaded on-duty handler of the lead unit (who must then sign for it
// within the policy's sign-for time, or, when the ticket's assign clock is met by assignment,
// meets it) and of each assisting share (who signs for their share). Tickets flagged for manual
// routing stay ROUTED at the county dispatch desk. A TicketAccepted it cannot decode is
// acknowledged and logged; the ticket's routing grace puts it on its desk (fire.lua).
//
// Hand-off: intake writes TicketAccepted into the shard's stream in the same atomic step as the
// ticket; this worker reads the streams with the consumer group "routing", so with routing down
// intake still accepts and the backlog is routed when it returns. Delivery is at-least-once;
// routing is exactly-once in effect because one script applies the decision and acknowledges the
// event in one step (common/ticket_transition.h with an acknowledgement), and ignores — but
// acknowledges — a ticket that is no longer ACCEPTED. Emergencies, then urgent
// tickets, are routed first within each batch read.
//
// Not thread-safe: one thread calls RunOnce() (or Start() runs it in the background). Uses its
// own Redis client, because it blocks on XREADGROUP.
#ifndef DISPATCH_SERVICES_ROUTING_ROUTING_WORKER_H_
#define DISPATCH_SERVICES_ROUTING_ROUTING_WORKER_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "common/ticket_transition.h"
#include "dispatch/config/v1/org.pb.h"
#include "services/escalation/sla_policy.h"
#include "services/org/org_holder.h"
#include "services/routing/roster.h"

namespace dispatch::routing {

using org::OrgHolder;
using org::OrgSnapshot;

class RoutingWorker {
 public:
  struct Options {
    // Stable per process: a restarted worker re-reads the events it had taken but not finished.
    std::string consumer = "routing-1";
    int batch = 256;
    absl::TimeZone zone = absl::UTCTimeZone();
    // Events another consumer took and has not acknowledged for this long are taken over
    // (that replica died); see ClaimAbandoned().
    absl::Duration claim_min_idle = absl::Seconds(60);
    // The background loop starts a read of the streams at most this often while it keeps up
    // (a read that brought fewer than `batch` entries). A read of the 256 streams costs Redis
    // about as much for one entry as for hundreds (a blocking read registers on every stream):
    // at a few hundred events a second, reading per event was most of routing's Redis time.
    // Delays routing by up to this much.
    absl::Duration read_interval = absl::Milliseconds(50);
  };

  // Everything passed must outlive the worker. Each batch routes with the organisation in force
  // (`org`), which the background loop keeps fresh; `policy` gives the sign-for times.
  RoutingWorker(redis::Client* redis, Clock* clock, OrgHolder* org, const SlaPolicy* policy,
                Options options);
  ~RoutingWorker();

  // Creates the consumer groups (idempotent) and loads the handlers' current loads.
  absl::Status Prepare();

  // Routes what is waiting: first this consumer's own unacknowledged events, then new ones,
  // waiting up to `block` for new ones when there are none. Returns how many tickets it routed.
  absl::StatusOr<int> RunOnce(absl::Duration block);

  // Takes over (XAUTOCLAIM) events other consumers left unacknowledged for claim_min_idle; the
  // next RunOnce routes them. Returns how many were taken.
  absl::StatusOr<int> ClaimAbandoned();

  // Runs Prepare and OrgHolder::Load (until they succeed), then OrgHolder::Refresh and RunOnce,
  // in a background thread until Stop(); errors are logged and retried.
  void Start();  // at most once
  void Stop();

 private:
  // Reads from `from_id` ("0": own pending entries, ">": new ones) and routes; `*read` counts
  // the entries read.
  absl::StatusOr<int> ReadAndRoute(const std::string& from_id, absl::Duration block, int* read);
  // Applies one routing transition and reports like a Redis reply (1 routed, 0 skipped). A
  // ticket whose version moved while it waited for routing (warnings or breaches of a still
  // unrouted ticket, an extension request) is routed at its current version: the status check
  // (still ACCEPTED) is what guards routing, not the version of its TicketAccepted event.
  // `clocks` (the ticket's clocks before and after, when the routing met one: an automatic
  // assignment) is recorded in the domain metrics once the transition commits.
  using ClockChange = std::pair<v1::Ticket, v1::Ticket>;
  void ApplyRouting(Transition t, int shard, const std::string& entry, int attempts_left,
                    std::shared_ptr<const ClockChange> clocks, redis::Callback cb);

  redis::Client* const redis_;
  Clock* const clock_;
  OrgHolder* const org_;
  const SlaPolicy* const policy_;
  const Options options_;
  HandlerLoads load_;  // handler id -> assigned tickets
  bool pending_checked_ = false;
  int last_read_ = 0;  // entries the last read of new ones brought
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROUTING_WORKER_H_
