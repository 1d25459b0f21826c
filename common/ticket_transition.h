// ApplyTransition: one change to an existing ticket, in one atomic script (common/lua/
// transition.lua) — the only way services change a ticket after acceptance.
//
// The script checks, before writing anything: the ticket exists (NOT_FOUND), the request id was
// not used before (a retry with the same request returns OK with the current version; the same
// id with a different request is ALREADY_EXISTS), the expected version (ABORTED when stale, so
// two handlers never overwrite each other), and the status (FAILED_PRECONDITION naming it). Then
// it sets and deletes fields, bumps counters, appends the events (versions expected+1, +2, ...,
// ids "<ticket>:<version>:<type>") and re-arms the ticket's wake-up at its earliest open
// deadline.
#ifndef DISPATCH_COMMON_TICKET_TRANSITION_H_
#define DISPATCH_COMMON_TICKET_TRANSITION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/ticket_record.h"
#include "dispatch/v1/events.pb.h"

namespace dispatch {

struct Transition {
  std::string ticket_id;
  int64_t expected_version = 0;
  std::vector<v1::TicketStatus> allowed_statuses;
  // What the change is called in error messages, e.g. "AssignTicket".
  std::string action;
  std::string request_id;
  std::string fingerprint;  // of the request, for idempotent retries
  absl::Time now;
  ticket_record::Fields set;
  std::vector<std::string> remove;
  // Increments of the shard's counters: returns per unit, assigned tickets per handler.
  enum class Counter { kReturns, kHandlerLoad };
  struct Increment {
    Counter counter;
    std::string field;  // unit code or handler id
    int64_t amount;
  };
  std::vector<Increment> counters;
  // Increments of fields of the ticket hash (e.g. "ret").
  std::vector<std::pair<std::string, int64_t>> increments;
  // Events in order: type ("assigned") and the event without ids/version (filled in).
  std::vector<std::pair<std::string, v1::TicketEvent>> events;
  // A stream consumer's entry (in the ticket's shard stream) to acknowledge with the change,
  // or when the change finds nothing to do (ticket gone, wrong status, replay).
  std::string ack_group;
  std::string ack_entry;
};

struct TransitionResult {
  int64_t version = 0;   // the ticket's version afterwards
  bool replayed = false;  // the request id had been applied before; nothing changed now
};

void ApplyTransition(redis::Client* redis, Transition transition,
                     std::function<void(absl::StatusOr<TransitionResult>)> done);

// FAILED_PRECONDITION "<action>: not allowed while the ticket is <STATUS>": what ApplyTransition
// answers when the ticket's status is not among the allowed ones; for handlers that check the
// status early, before their other checks.
absl::Status NotAllowedInStatus(absl::string_view action, v1::TicketStatus status);

}  // namespace dispatch

#endif  // DISPATCH_COMMON_TICKET_TRANSITION_H_
