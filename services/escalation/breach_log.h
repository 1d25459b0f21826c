// BreachLog: EscalationService.ListBreaches — the breaches the timer engine recorded, newest
// first, for operators: read from the shard event streams (the `breached` events are the record),
// filtered by unit subtree (code prefix, as ListTickets) and detection time [from, to). The page
// token holds, for each shard, the last entry returned from it, so pages never repeat or skip a
// breach, also while new ones are recorded (they are newer than the first page).
// Runs on its own thread (dependent round trips); thread-safe.
#ifndef DISPATCH_SERVICES_ESCALATION_BREACH_LOG_H_
#define DISPATCH_SERVICES_ESCALATION_BREACH_LOG_H_

#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "common/work_queue.h"
#include "dispatch/v1/escalation.pb.h"

namespace dispatch::escalation {

class BreachLog {
 public:
  // `redis` must outlive this object.
  explicit BreachLog(redis::Client* redis) : redis_(redis), work_(1) {}

  void List(const v1::ListBreachesRequest& request, rpc::Reply<v1::ListBreachesResponse> done);

 private:
  absl::StatusOr<v1::ListBreachesResponse> ListSync(const v1::ListBreachesRequest& request);

  redis::Client* const redis_;
  WorkQueue work_;  // last: its thread stops before the members it uses go
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_BREACH_LOG_H_
