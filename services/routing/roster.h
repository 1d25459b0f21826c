// Duty rosters: whether a handler is on duty at a given moment, who is on duty for a unit's
// department, who of them holds the fewest open tickets, and what assigning a handler writes.
//
// A handler is on duty around the clock (24-hour duty) or inside one of its weekly shifts, read
// in the service's time zone. A shift belongs to the weekdays it starts on; a shift whose end is
// at or before its start runs past midnight into the next day (a night shift that starts on
// Friday covers early Saturday). Pure functions, thread-safe.
#ifndef DISPATCH_SERVICES_ROUTING_ROSTER_H_
#define DISPATCH_SERVICES_ROUTING_ROSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/ticket_transition.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::routing {

bool OnDuty(const config::v1::Handler& handler, absl::Time t, absl::TimeZone zone);

// The handlers of `unit_code`'s `department` on duty at `t`, in roster order.
std::vector<const config::v1::Handler*> OnDutyHandlers(const config::v1::Organisation& org,
                                                       absl::string_view unit_code,
                                                       v1::Department department, absl::Time t,
                                                       absl::TimeZone zone);

// How many open tickets each handler holds: handler id -> count, summed over the shards'
// keys::HandlerLoad hashes.
using HandlerLoads = std::map<std::string, int64_t>;

// Adds one shard's HGETALL of its keys::HandlerLoad hash to `loads`.
void AddShardLoads(const redis::Reply& hgetall, HandlerLoads* loads);

// Reads every shard's load hash (256 reads at once, without blocking) and calls `done` with
// the sum, or with the first error.
void ReadHandlerLoads(redis::Client* redis,
                      std::function<void(absl::StatusOr<HandlerLoads>)> done);

// Of `candidates` (in roster order), the one holding the fewest open tickets, the first among
// equals; null when there is none. For a ticket already assigned, name its `assignee`: their
// load is counted without this ticket, and they keep it among equals (so asking again does not
// move the ticket back and forth).
const config::v1::Handler* LeastLoaded(const std::vector<const config::v1::Handler*>& candidates,
                                       const HandlerLoads& loads,
                                       const std::string& assignee = "");

// Whether a handler with no duty at all (no shifts, not around the clock) is one that is only
// ever assigned by hand: such a handler can be named at any time (org.proto).
bool ManualOnly(const config::v1::Handler& handler);

// Makes `handler` the assignee in `t` (fields asg, asgu) and appends its TicketAssigned event.
void AppendAssignment(const config::v1::Handler& handler, bool automatic, Transition* t);

// What an assignment of the lead share meets, given what meets the ticket's assign clock
// (`met_by`) and whether the handler took the ticket themself (`self`):
//   by assignment (or before sign-for existed)  ASSIGNED, the assign clock met now;
//   by sign-for, the handler took it            SIGNED_FOR, the assign clock met now, and a
//                                               TicketSignedFor event;
//   by sign-for, someone else assigned it       ASSIGNED, the assign clock still open, and the
//                                               sign-for deadline `sfd` at now + `sign_for`.
// Appends to `t` the status `st`, the clock's met time or the deadline, and the event; call it
// after AppendAssignment. (A CONTACTED ticket handed over keeps its status: not for those.)
void AppendAssignmentEffect(const v1::Ticket& ticket, const config::v1::Handler& handler,
                            bool self, absl::Time now, absl::Duration sign_for, Transition* t);

// The assisting share `index` of `ticket` (unit `share`) gets `handler`: `s<index>` in state
// ASSIGNED, or SIGNED_FOR when the handler took it themself (`self`), with its events.
void AppendShareAssignment(int index, const v1::ShareRef& share,
                           const config::v1::Handler& handler, bool automatic, bool self,
                           absl::Time now, Transition* t);

// The ticket's assignee, if it has one, holds one ticket less in `t` (a handler's load counts
// the open tickets assigned to them).
void ReleaseAssignee(const v1::Ticket& ticket, Transition* t);

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROSTER_H_
