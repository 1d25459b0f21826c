// The stored form of a ticket: one small Redis hash per ticket (keys::Ticket), so that Lua
// scripts can read and change the state they need (status, version, clock deadlines) field by
// field. The immutable complaint is kept out of the hash, in the ticket's TicketAccepted stream
// entry (`e0`; common/event_entry.h), which keeps the hash's values short and the hash
// listpack-encoded (compact).
//
//   st    TicketStatus number     ver   version               pri   Priority number
//   acc   accepted (unix ms)      upd   updated (unix ms; absent = acc)   pol   SLA policy version
//   tier  supervision Tier: the higher of `ut` and `rtier`        rtier raised Tier (escalations)
//   ret   return count            redo  redo count
//   rvn   unanswered revisit calls this round                 e0    stream entry id of the
//                                                                   TicketAccepted event
//   manual  1 = needs manual routing
//   unit  lead unit code        orgv  organisation version it was routed under
//   hdl   handlings, "<unit>:<Department>:<HandlingRole>" joined by ';'
//   asg   assignee handler id   asgu  the assignee's unit
//   c<k>      "<started ms>:<target ms, or w<working days>>:<DayBasis number>:<round>", with
//             "=" for "<started ms>:" when the clock started at acceptance (`acc`)
//   c<k>.due  deadline ms, only when it is not start + target (working days, extensions)
//   c<k>.met  met ms (absent while open)   c<k>.br  1 = breach recorded
//   c<k>.w    highest warning threshold sent (percent)
//   wp    the policy's warning thresholds, "50,80" (the same for every clock of the ticket)
//   ut    the lead unit's Tier (set by routing)   ext  pending Extension, serialized
// where <k> is the ClockKind number. Fields whose value is zero/false are left out and read as
// zero. Every script that changes a ticket bumps `ver` and `upd`.
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

// Field/value pairs for a new ticket's hash (everything but the id and the complaint).
Fields Encode(const v1::Ticket& ticket);
// For a change that starts `clock` afresh on a ticket accepted at `accepted_at`: the fields
// of the clock it replaces to remove (`.due`, `.met`, `.br`, `.w`) and the new clock's fields to
// set (c<k>, and those of .due/.met/.br/.w it needs). A transition removes before it sets.
void AppendRestartedClock(const v1::SlaClock& clock, absl::Time accepted_at,
                          std::vector<std::string>* remove, Fields* set);

// Rebuilds a ticket from its id, an HGETALL reply of its hash and its serialized complaint.
// NOT_FOUND if the hash is empty (no such ticket); DATA_LOSS if something stored is corrupt.
absl::StatusOr<v1::Ticket> Decode(const std::string& ticket_id, const redis::Reply& hgetall,
                                  const std::string& complaint);

// The ticket's clock of `kind`, or null.
const v1::SlaClock* FindClock(const v1::Ticket& ticket, v1::ClockKind kind);
// Adds the field that meets the ticket's clock of `kind` at `at`, if that clock is open.
void AppendMetIfOpen(const v1::Ticket& ticket, v1::ClockKind kind, absl::Time at, Fields* out);

// The ticket's next wake-up for the timer engine (InfiniteFuture if none): the earliest, over
// its clocks, of an open clock's next warning time or else its deadline, and of a clock met
// late whose breach is not yet recorded (its met time); a CLOSED ticket only the latter. The
// same rule as common/lua/lib/wake.lua, which the scripts use; a contract test keeps the two
// equal.
absl::Time NextWakeUp(const v1::Ticket& ticket);

// True once `clock` is late at `now`: its met time, or `now` while it is open, is at or past
// its deadline (the deadline itself is the first late millisecond, as everywhere).
bool IsLate(const v1::SlaClock& clock, absl::Time now);

// Fills the derived clock state for a reader at time `now`: a clock still open past its
// deadline reads as breached, and breached_by is how late it was met or is so far.
void FillClockState(absl::Time now, v1::Ticket* ticket);

// "<unit>:<dept>:<role>;..." for the `hdl` field.
std::string EncodeHandlings(const google::protobuf::RepeatedPtrField<v1::Handling>& handlings);

// Masks the complainant's personal data for read responses (phone 138****5678, name 张**).
void MaskContact(v1::Ticket* ticket);

// What a reader is shown at `now`: FillClockState, and MaskContact unless `full_contact`.
void PrepareForReader(absl::Time now, bool full_contact, v1::Ticket* ticket);

}  // namespace dispatch::ticket_record

#endif  // DISPATCH_COMMON_TICKET_RECORD_H_
