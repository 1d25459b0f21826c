// Event stream entries (the shard outboxes {s}:events) and the TicketEvents they hold.
//
// An entry's fields are name/value pairs. Every entry has `type` (short name: accepted, routed,
// assigned, returned, warned, breached, escalated, extension_requested, ...) and `ticket`. Then
// either
//   pb    the serialized dispatch.v1.TicketEvent (entries written with a protobuf at hand:
//         intake, transitions), or
//   the compact form the timer engine writes from Lua (services/escalation/lua/fire.lua), which
//   cannot build protobufs cheaply: one field `e` = "<version>|<at ms>|<ClockKind>|<due ms>|..."
//   followed by, per type: warned <percent>; breached <tier>|<late by ms>|<met late 0/1>|<unit>
//   (the unit code last, so it may contain '|'); escalated <from tier>|<to tier>; routed (a
//   placement on the dispatch desk at the routing grace; clock 0, due = the grace)
//   <Department>|<org version>|<unit>; sign_for_lapsed (clock 1, due = the sign-for deadline)
//   <handler id>. The event id is "<ticket>:<version>:<type>" and the actor "system".
// In the `pb` form the event's ticket_id and event_id are left out when stored (they repeat the
// entry's `ticket` and "<ticket>:<version>:<type>"; ~60 bytes an event): StoredEventBytes does
// that, DecodeEventEntry puts them back. DecodeEventEntry turns either form into the same
// TicketEvent, so readers (routing, history, watch, tests, benches) never care which.
//
// The TicketAccepted entry also holds the ticket's complaint, field `c` (the serialized
// dispatch.v1.Complaint as submitted): it is the only copy of the complaint (the ticket hash's
// `e0` names the entry; TicketStore::Get reads it from there), so the events streams must never
// be trimmed past a live ticket's acceptance. Its event is stored as `pc` ("pb, compact")
// instead of `pb`: without what the complaint and the event already say (the channel, work
// order, category and location, the actor "channel:<Channel>", each clock's start when it is
// the acceptance, a calendar clock's deadline when it is start + target). The writer checks
// that DecodeEventEntry rebuilds exactly the event it was given, and stores `pb` (the event
// whole) when it would not; so the decoded event is always the one written.
#ifndef DISPATCH_COMMON_EVENT_ENTRY_H_
#define DISPATCH_COMMON_EVENT_ENTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch {

struct EventEntry {
  std::string entry_id;  // the stream entry id, e.g. "1700000000000-0"
  std::string type;
  std::string ticket_id;
  v1::TicketEvent event;
};

// The bytes to store as `pb` for `event`, without its ticket_id and event_id (writers need
// not set them).
std::string StoredEventBytes(const v1::TicketEvent& event);

// The actor of a TicketAccepted: "channel:<Channel>", the gateway that submitted it.
std::string ChannelActorId(v1::Channel channel);

// A TicketAccepted `event` stored next to its `complaint` (field `c`): the field name, "pc"
// (compact) or "pb", and the bytes to store under it.
struct StoredEvent {
  std::string field;
  std::string bytes;
};
StoredEvent StoredAcceptedEvent(const v1::TicketEvent& event, const v1::Complaint& complaint);

// The `ticket` field of `entry` (one element of an XRANGE/XREAD reply), without decoding the
// event; "" if there is none.
std::string EntryTicket(const redis::Reply& entry);

// The id of the newest entry of every shard's event stream ("0-0" for an empty one), read in
// one round of concurrent reads: where a reader that wants only what comes next starts.
absl::StatusOr<std::vector<std::string>> EventStreamEnds(redis::Client* redis);

// Consumer groups on the event streams (the routing worker's, the projector's), the same on
// every shard:
// CreateEventGroups makes `group` at the start of every shard's stream; one that exists stays.
absl::Status CreateEventGroups(redis::Client* redis, const char* group);
// XAUTOCLAIM on every shard: `group`'s entries idle for `min_idle` pass to `consumer`, up to
// `count` a shard. Returns how many passed.
absl::StatusOr<int> ClaimIdleEvents(redis::Client* redis, const char* group,
                                    const std::string& consumer, absl::Duration min_idle,
                                    int count);
// The XREADGROUP of `consumer` over every shard's stream from `from_id` ("0": its own pending
// entries, ">": new ones), up to `count` entries a stream, blocking up to `block` if positive.
std::vector<std::string> ReadEventGroupCommand(const char* group, const std::string& consumer,
                                               int count, absl::Duration block,
                                               const std::string& from_id);

// The `type` field of `entry` (one element of an XRANGE/XREAD reply) without decoding the
// event, so a reader can skip the types it does not want cheaply; "" if there is none.
std::string EntryType(const redis::Reply& entry);

// `entry`: one element of an XRANGE/XREAD reply ([id, [field, value, ...]]). DATA_LOSS when it
// cannot be decoded.
absl::StatusOr<EventEntry> DecodeEventEntry(const redis::Reply& entry);

}  // namespace dispatch

#endif  // DISPATCH_COMMON_EVENT_ENTRY_H_
