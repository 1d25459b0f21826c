// The Redis key layout. Every key the service writes is built here, and nowhere else.
//
// The keyspace is cut into kShardCount logical shards; every key of shard N carries the hash tag
// "{s:NNN}", so all keys one Lua script touches live in one Redis Cluster slot. A new ticket's
// shard is derived from its idempotency key, and the shard is embedded in the ticket id, so the
// duplicate check, the ticket, its timers and its events share one slot and any later request
// finds the shard from the ticket id alone. See README.md, "Redis key layout".
#ifndef DISPATCH_COMMON_KEYS_H_
#define DISPATCH_COMMON_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace dispatch::keys {

inline constexpr int kShardCount = 256;

// FNV-1a 64: stable across releases, processes and machines (unlike absl::Hash).
uint64_t StableHash64(absl::string_view data);

// StableHash64(data) as 16 hex digits: the stored fingerprint of a submission or a write, which
// tells a retry from a different request with the same id. Changing it breaks every retry of a
// request accepted before the change.
std::string Fingerprint(absl::string_view data);

// StableHash64(key) modulo kShardCount. Changing it orphans every stored idempotency key.
int ShardOf(absl::string_view idempotency_key);

// "{s:042}"
std::string ShardTag(int shard);

// Reads the shard out of a key built here ("{s:042}:events" -> 42); nullopt for another key.
std::optional<int> ShardOfKey(absl::string_view key);

// Reads the shard out of a ticket id made by MakeTicketId; nullopt if `ticket_id` is malformed.
std::optional<int> ShardOfTicketId(absl::string_view ticket_id);

// "T20261122-042-7KQ2M9XZ": 'T', the acceptance date (yyyymmdd, local), the shard, and
// `random_suffix` (8 Crockford base-32 characters).
std::string MakeTicketId(absl::string_view yyyymmdd, int shard, absl::string_view random_suffix);

// Idempotency key of a submission: "<channel number>:<work-order id>", or "req:<request id>"
// for channels without a work-order id.
std::string IdempotencyKey(int channel, absl::string_view work_order_id,
                           absl::string_view request_id);

// {s}:idem:<idempotency key>  string "<ticket id> <fingerprint>", while the ticket is in Redis
std::string IdempotencyRecord(int shard, absl::string_view idempotency_key);
// {s}:idem:a<xx>              hash <idempotency key> -> "<ticket id> <fingerprint> <end unix
//                             ms>": the records of archived tickets, until their end (the
//                             idempotency window), 256 buckets a shard by the first two hex
//                             digits of SHA-1(<idempotency key>). Read by submit.lua (given
//                             this name), written by archive.lua and pruned by trim.lua, which
//                             build the name themselves (redis.sha1hex) exactly as this does. A record costs 130 bytes
//                             with the buckets nearly empty (50,000 records), less as they
//                             fill; a key with an expiry costs 162 (docs/BENCHMARKS.md).
std::string ArchivedIdempotency(int shard, absl::string_view idempotency_key);
// {s}:t:<ticket id>           hash, the ticket's state (fields in common/ticket_record.h)
std::string Ticket(int shard, absl::string_view ticket_id);
// {s}:c:<ticket id>           string, the serialized dispatch.v1.Complaint of a ticket accepted
//                             before the complaint moved into its TicketAccepted entry
//                             (common/event_entry.h). Read only, by TicketStore::Get.
std::string LegacyComplaint(int shard, absl::string_view ticket_id);
// {s}:timers                  zset of ticket ids scored by the ticket's next wake-up (unix ms):
//                             the earliest deadline among its open clocks. One entry per open
//                             ticket; whoever handles a wake-up re-arms the next one.
std::string Timers(int shard);
// {s}:idx:acc                 stream, one entry per ticket in acceptance order: entry id
//                             "<accepted unix ms>-<n>" (or the shard's latest ms, when
//                             acceptances race), field t = the ticket id. The time index list
//                             views page through and the sweep walks; ~40 bytes a ticket at
//                             any size (a sorted set costs ~129 past 128 members).
std::string AcceptedIndex(int shard);
// {s}:trim                    hash, where the archive's stream trim left its walk of the
//                             acceptance index (services/readmodel/lua/trim.lua): at = the
//                             last index entry done with, e0 = the newest e0 of a live ticket
//                             walked
std::string TrimCursor(int shard);
// {s}:events                  stream of TicketEvent (the outbox; common/event_entry.h). Also
//                             the only copy of each complaint, in its TicketAccepted entry:
//                             never trim it past a live ticket's acceptance.
std::string Events(int shard);
// {s}:load                    hash handler id -> tickets assigned to them in this shard
std::string HandlerLoad(int shard);
// {s}:returns                 hash unit code -> tickets it returned (退单) in this shard
std::string Returns(int shard);
// {s}:w:<ticket id>           hash request id -> fingerprint of the write (idempotent retries)
std::string WriteRecord(int shard, absl::string_view ticket_id);

// {audit}:pii                 stream, the personal-data access log (services/intake/pii_log.h)
std::string PiiAccessLog();

// Consumer group of the routing worker on every shard's event stream.
inline constexpr char kRoutingGroup[] = "routing";
// Consumer group of the read model's projector (services/readmodel/projector.h).
inline constexpr char kProjectorGroup[] = "projector";

}  // namespace dispatch::keys

#endif  // DISPATCH_COMMON_KEYS_H_
