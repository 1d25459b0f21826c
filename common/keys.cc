#include "common/keys.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/redis/redis_client.h"

namespace dispatch::keys {

uint64_t StableHash64(absl::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

int ShardOf(absl::string_view idempotency_key) {
  return static_cast<int>(StableHash64(idempotency_key) % kShardCount);
}

std::string Fingerprint(absl::string_view data) {
  return absl::StrCat(absl::Hex(StableHash64(data), absl::kZeroPad16));
}

std::string ShardTag(int shard) { return absl::StrFormat("{s:%03d}", shard); }

std::optional<int> ShardOfKey(absl::string_view key) {
  // "{s:" + 3 digits + "}"
  if (key.size() < 7 || !absl::StartsWith(key, "{s:") || key[6] != '}') return std::nullopt;
  int shard;
  if (!absl::SimpleAtoi(key.substr(3, 3), &shard) || shard < 0 || shard >= kShardCount) {
    return std::nullopt;
  }
  return shard;
}

std::optional<int> ShardOfTicketId(absl::string_view id) {
  // T + 8 digits + '-' + 3 digits + '-' + suffix
  if (id.size() < 14 || id[0] != 'T' || id[9] != '-' || id[13] != '-') return std::nullopt;
  int shard;
  if (!absl::SimpleAtoi(id.substr(10, 3), &shard) || shard < 0 || shard >= kShardCount) {
    return std::nullopt;
  }
  return shard;
}

std::string MakeTicketId(absl::string_view yyyymmdd, int shard, absl::string_view suffix) {
  return absl::StrFormat("T%s-%03d-%s", yyyymmdd, shard, suffix);
}

std::string IdempotencyKey(int channel, absl::string_view work_order_id,
                           absl::string_view request_id) {
  if (!work_order_id.empty()) return absl::StrCat(channel, ":", work_order_id);
  return absl::StrCat("req:", request_id);
}

std::string ArchivedIdempotency(int shard, absl::string_view idempotency_key) {
  return absl::StrCat(ShardTag(shard), ":idem:a", redis::Sha1Hex(idempotency_key).substr(0, 2));
}

std::string IdempotencyRecord(int shard, absl::string_view key) {
  return absl::StrCat(ShardTag(shard), ":idem:", key);
}
std::string Ticket(int shard, absl::string_view id) {
  return absl::StrCat(ShardTag(shard), ":t:", id);
}
std::string LegacyComplaint(int shard, absl::string_view id) {
  return absl::StrCat(ShardTag(shard), ":c:", id);
}
std::string Timers(int shard) { return absl::StrCat(ShardTag(shard), ":timers"); }
std::string AcceptedIndex(int shard) { return absl::StrCat(ShardTag(shard), ":idx:acc"); }
std::string TrimCursor(int shard) { return absl::StrCat(ShardTag(shard), ":trim"); }
std::string Events(int shard) { return absl::StrCat(ShardTag(shard), ":events"); }
std::string HandlerLoad(int shard) { return absl::StrCat(ShardTag(shard), ":load"); }
std::string PiiAccessLog() { return "{audit}:pii"; }
std::string Returns(int shard) { return absl::StrCat(ShardTag(shard), ":returns"); }
std::string WriteRecord(int shard, absl::string_view id) {
  return absl::StrCat(ShardTag(shard), ":w:", id);
}

}  // namespace dispatch::keys
