// TicketWriter: the one path by which an RPC changes a ticket (routing, case handling,
// revisits, extensions). It validates the request's TicketWrite (ticket id, expected version,
// request id, the actor's id, name and unit and their lengths — INVALID_ARGUMENT naming the
// field); answers a retry of a change already made
// with the ticket as it is (before judging the ticket's new state); reads the ticket (NOT_FOUND), lets
// the action check it and describe the change as a Transition (its business errors pass
// through), applies the change atomically (common/ticket_transition.h: ABORTED when the version
// is stale, a replayed request id answers OK, a reused one ALREADY_EXISTS), stamps the caller
// as the events' actor, and answers with the ticket as it is afterwards, as a reader sees it.
// The caller's access to the ticket is checked here, once it is read (the action supplies the
// check: services/auth/access_policy.h).
// Thread-safe; answers asynchronously.
#ifndef DISPATCH_COMMON_TICKET_WRITER_H_
#define DISPATCH_COMMON_TICKET_WRITER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "common/ticket_store.h"
#include "common/ticket_transition.h"
#include "dispatch/v1/routing.pb.h"

namespace dispatch {

class TicketWriter {
 public:
  // Both must outlive the writer.
  TicketWriter(redis::Client* redis, Clock* clock) : redis_(redis), store_(redis), clock_(clock) {}

  // May `caller` make this change to the ticket (services/auth/access_policy.h CheckWrite)?
  using Authorize = std::function<absl::Status(const v1::Ticket&)>;

  // `request` (the whole RPC request) is fingerprinted for idempotent retries. The ticket is
  // read, `authorize`d (a retry too), then `change` gets it as stored and returns the
  // Transition without ids (filled in here) or an error. The events' actor is the caller
  // (its subject and unit; write.actor may only name the caller).
  void Write(const v1::TicketWrite& write, const google::protobuf::Message& request,
             const auth::Caller& caller, Authorize authorize,
             std::function<absl::StatusOr<Transition>(const v1::Ticket&)> change,
             rpc::Reply<v1::TicketActionResponse> done);

  // The writer's "now", whole milliseconds (what the stored fields can hold).
  absl::Time Now() const;

 private:
  void Apply(const v1::TicketWrite& write, const std::string& fingerprint,
             const v1::Actor& actor, const v1::Ticket& ticket,
             const std::function<absl::StatusOr<Transition>(const v1::Ticket&)>& change,
             rpc::Reply<v1::TicketActionResponse> done);
  void Answer(const std::string& ticket_id, rpc::Reply<v1::TicketActionResponse> done);
  // The audit log's line of a write: committed (its events and the version), replayed, or
  // refused (the code and reason).
  static void Audit(const v1::TicketWrite& write, const v1::Actor& actor,
                    const std::string& events, const absl::Status& outcome, int64_t version,
                    bool replayed = false);

  redis::Client* const redis_;
  TicketStore store_;
  Clock* const clock_;
};

}  // namespace dispatch

#endif  // DISPATCH_COMMON_TICKET_WRITER_H_
