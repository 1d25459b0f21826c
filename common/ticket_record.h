// The stored form of a ticket: one Redis hash per ticket (keys::Ticket), so that Lua scripts
// can read and change the state they need (status, version, clock deadlines) field by field,
// while the immutable complaint is kept as one serialized dispatch.v1.Complaint.
//
//   id   ticket id              st    TicketStatus number     ver   version
//   pri  Priority number        acc   accepted (unix ms)      upd   updated (unix ms)
//   pol  SLA policy version     cpl   serialized Complaint    tier  supervision Tier number
//   ret  return count           redo  redo count              manual  1 = needs manual routing
//   c<k>.tgt  target ms   c<k>.basis  DayBasis   c<k>.start  started ms
//   c<k>.due  deadline ms c<k>.met  met ms (absent while open)   c<k>.br  1 = breach recorded
// where <k> is the ClockKind number. Every script that changes a ticket bumps `ver` and `upd`.
#ifndef DISPATCH_COMMON_TICKET_RECORD_H_
#define DISPATCH_COMMON_TICKET_RECORD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::ticket_record {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Field/value pairs for a new ticket's hash.
Fields Encode(const v1::Ticket& ticket);

// Decodes an HGETALL reply. NOT_FOUND if the reply is empty (no such ticket); DATA_LOSS if a
// stored field cannot be decoded.
absl::StatusOr<v1::Ticket> Decode(const redis::Reply& hgetall);

// Fills the derived clock state for a reader at time `now`: a clock still open past its
// deadline reads as breached, and breached_by is how late it was met or is so far.
void FillClockState(absl::Time now, v1::Ticket* ticket);

// Masks the complainant's personal data for read responses (phone 138****5678, name 张**).
void MaskContact(v1::Ticket* ticket);

}  // namespace dispatch::ticket_record

#endif  // DISPATCH_COMMON_TICKET_RECORD_H_
