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
//   am    AssignMetBy number (absent: before sign-for existed, i.e. by assignment)
//   sfd   while ASSIGNED under sign-for: when the assignment lapses (ms)
//   fb    while ACCEPTED: the placement on the dispatch desk if routing has not placed the
//         ticket by its routing grace, "<due ms>|<tier>|<Department>|<org version>|<up>|<unit>"
//         (PlacementField; fire.lua applies it)
//   s<i>  the state of assisting share i (its index in hdl, 1-based after the lead), absent
//         while nobody is named: "<ShareState>:<signed ms>:<done ms>:<handler id>" (ShareField)
//   ch    the complaint's Channel number (a gateway's watch filters on it; absent on tickets
//         stored before issue 14)
//   ik    the idempotency key, only of a submission without a work-order id (keyed on its
//         request id): the archive sets its record's expiry (services/readmodel/archiver.h)
//   ix    the ticket's acceptance-index entry id (keys::AcceptedIndex), deleted with the ticket
//         when it is archived (absent on tickets stored before issue 15)
//   co    the property company's unified social credit code (Ticket.property_company_code;
//         absent when none)
//   up    the lead unit's ancestors, parent first, joined by ',' ("430923100,430923,430900"):
//         a supervision clock's breach is recorded against the ancestor at the supervising
//         tier, and subtree filters read it (Ticket.responsible_jurisdiction)
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

// The fields that make `unit` (of tier `unit_tier`, with `ancestors` above it, parent first)
// a ticket's lead unit: `unit`, `ut`, `up`, and the supervising tier `tier`, the higher of the
// unit's tier and `raised` (Ticket.raised_tier; only escalations raise it, so a stay at a
// county desk followed by a route to a community puts the ticket under the community again).
Fields LeadUnitFields(const std::string& unit, v1::Tier unit_tier,
                      const std::vector<std::string>& ancestors, v1::Tier raised);

// The `fb` value: where the ticket goes at `due` if routing has not placed it by then — `unit`
// (of `tier`, with `ancestors` above it) with `department` as the lead, under organisation
// `org_version`.
std::string PlacementField(absl::Time due, v1::Tier tier, v1::Department department,
                           const std::string& org_version,
                           const std::vector<std::string>& ancestors, const std::string& unit);

// The field name and value that store assisting share `index`'s state (`s<index>`).
std::pair<std::string, std::string> ShareField(int index, v1::ShareState state,
                                               absl::Time signed_for, absl::Time done,
                                               const std::string& handler);
// The index (in Ticket.handlings) of the assisting share `unit`/`department`, or -1.
int FindShare(const v1::Ticket& ticket, const std::string& unit, v1::Department department);

// True if the ticket's lead unit is `root` or lies below it: `root` is on the ticket's
// responsible_jurisdiction path (as stored when it was routed, so a later change of the
// organisation does not move old tickets).
bool InSubtree(const v1::Ticket& ticket, const std::string& root);
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
// late whose breach is not yet recorded (its met time); a CLOSED ticket only the latter. Also
// an ACCEPTED ticket's routing grace and an ASSIGNED ticket's sign-for deadline. The
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
