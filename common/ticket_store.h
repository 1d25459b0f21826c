// TicketStore: reads and writes of tickets in Redis (layout: common/keys.h,
// common/ticket_record.h), shared by the services.
//
// Create() is one Lua script (common/lua/submit.lua): the idempotency record, the
// ticket hash, the ticket's timer, the acceptance-time index and the TicketAccepted event, which
// holds the complaint (common/event_entry.h), are written together or not at all, so no
// half-written ticket and no unarmed timer can exist. Get() reads the hash and the complaint in
// one script (lua/get.lua), a consistent snapshot.
// Thread-safe; callbacks run on Redis client threads.
#ifndef DISPATCH_COMMON_TICKET_STORE_H_
#define DISPATCH_COMMON_TICKET_STORE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/redis/redis_client.h"
#include "common/ticket_record.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch {

// The TicketAccepted event of a new ticket, as intake stores it with the ticket: version 1, at
// acceptance, by "channel:<Channel>", with the channel, work order, category, the ticket's
// effective priority, policy version, clocks and property company, and the complaint's
// location.
v1::TicketEvent AcceptedEvent(const v1::Ticket& ticket, const v1::Complaint& complaint);

class TicketStore {
 public:
  enum class Outcome {
    kCreated,    // the ticket was written
    kDuplicate,  // the idempotency key was already taken; ticket_id names the existing ticket
    kCollision,  // the ticket id is taken by another ticket: pick a new id and retry
  };
  struct CreateResult {
    Outcome outcome;
    std::string ticket_id;
    std::string fingerprint;  // of the existing submission, for kDuplicate
  };

  explicit TicketStore(redis::Client* redis) : redis_(redis) {}

  // `ticket` must have its id (whose shard is `shard`), clocks and all fields set;
  // `complaint` is the complaint as submitted and `complaint_bytes` its serialization (the
  // caller has it for the fingerprint); `accepted` is AcceptedEvent(ticket, complaint);
  // `extra` are hash fields the ticket message does not carry (the placement `fb`).
  void Create(const v1::Ticket& ticket, const v1::Complaint& complaint,
              const std::string& complaint_bytes, int shard,
              const std::string& idempotency_key,
              const std::string& fingerprint, const v1::TicketEvent& accepted,
              const ticket_record::Fields& extra,
              std::function<void(absl::StatusOr<CreateResult>)> done);

  // NOT_FOUND if no ticket has this id; INVALID_ARGUMENT if the id is malformed.
  void Get(const std::string& ticket_id, std::function<void(absl::StatusOr<v1::Ticket>)> done);

  // As Get, in plain commands instead of get.lua: HGETALL of the hash, then the complaint (XRANGE
  // of the TicketAccepted entry, or GET of the key an erasure leaves it in). Not one snapshot:
  // the complaint is read after the hash, so an erasure in between may give either complaint
  // (the read model keeps an erased row erased), and a ticket archived in between is NOT_FOUND.
  // For the projector, which reads every touched ticket: Redis spends ~5 µs on the two commands
  // and ~24 on the script (the Lua round trip of a 30-field hash).
  void GetUnscripted(const std::string& ticket_id,
                     std::function<void(absl::StatusOr<v1::Ticket>)> done);

  // The ticket id recorded under an idempotency key; NOT_FOUND if none.
  void FindByIdempotencyKey(const std::string& idempotency_key,
                            std::function<void(absl::StatusOr<std::string>)> done);

 private:
  redis::Client* const redis_;
};

}  // namespace dispatch

#endif  // DISPATCH_COMMON_TICKET_STORE_H_
