#include "services/escalation/breach_log.h"

#include <deque>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/unit_code.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"

namespace dispatch::escalation {
namespace {

constexpr int kChunk = 64;
constexpr char kNewest[] = "0-0";  // a position before any entry: scan from the newest

// Stream entry ids compare by (ms, seq).
std::pair<uint64_t, uint64_t> IdKey(const std::string& id) {
  std::pair<uint64_t, uint64_t> k{0, 0};
  if (!ParseStreamId(id, &k.first, &k.second)) k = {0, 0};
  return k;
}

}  // namespace

void BreachLog::List(const v1::ListBreachesRequest& req, rpc::Reply<v1::ListBreachesResponse> done) {
  work_.Submit([this, req, done = std::move(done)] { done(ListSync(req)); });
}

absl::StatusOr<v1::ListBreachesResponse> BreachLog::ListSync(const v1::ListBreachesRequest& req) {
  if (req.page_size() < 0 || req.page_size() > 500) {
    return absl::InvalidArgumentError("page_size: must be within [0, 500]");
  }
  const int page_size = req.page_size() == 0 ? 50 : req.page_size();
  std::vector<std::string> returned(keys::kShardCount, kNewest);  // the token's positions
  if (!req.page_token().empty()) {
    auto decoded = DecodeStreamCursor(req.page_token(), "page_token");
    if (!decoded.ok()) return decoded.status();
    returned = *std::move(decoded);
  }
  const absl::Time from = req.has_from() ? FromProto(req.from()) : absl::InfinitePast();
  const absl::Time to = req.has_to() ? FromProto(req.to()) : absl::InfiniteFuture();

  // Newest detection first (within a shard that is stream order), ties by entry id.
  using Key = std::pair<int64_t, std::pair<uint64_t, uint64_t>>;
  struct Found {
    Key key;
    EventEntry entry;
  };
  struct ShardScan {
    std::deque<Found> buffered;  // matching breaches, newest first
    std::string scanned;              // the oldest entry examined so far
    std::string top;                  // the newest entry examined (first page: the snapshot)
    bool more = true;
  };
  std::vector<ShardScan> shards(keys::kShardCount);
  for (int i = 0; i < keys::kShardCount; ++i) shards[i].scanned = returned[i];

  auto matches = [&](const EventEntry& e) {
    absl::Time at = FromProto(e.event.occurred_at());
    if (at < from || at >= to) return false;
    return req.unit_code().empty() ||
           InUnitSubtree(e.event.breached().unit_code(), req.unit_code());
  };
  auto refill = [&](const std::vector<int>& which) -> absl::Status {
    std::vector<std::vector<std::string>> reads;
    for (int shard : which) {
      const std::string& end = shards[shard].scanned;
      reads.push_back({"XREVRANGE", keys::Events(shard), end == kNewest ? "+" : "(" + end, "-",
                       "COUNT", std::to_string(kChunk)});
    }
    std::vector<absl::StatusOr<redis::Reply>> replies = redis_->ExecuteAllSync(std::move(reads));
    for (size_t j = 0; j < which.size(); ++j) {
      if (!replies[j].ok()) return replies[j].status();
      ShardScan& s = shards[which[j]];
      for (const redis::Reply& item : replies[j]->elements) {
        if (!item.is_array() || item.elements.size() != 2) continue;
        s.scanned = item.elements[0].str;
        if (s.top.empty()) s.top = s.scanned;
        // Only breaches are decoded; one that cannot be is skipped.
        if (EntryType(item) != "breached") continue;
        auto e = DecodeEventEntry(item);
        if (!e.ok() || !matches(*e)) continue;
        Key key{ToUnixMs(e->event.occurred_at()), IdKey(e->entry_id)};
        s.buffered.push_back({key, *std::move(e)});
      }
      s.more = replies[j]->elements.size() == static_cast<size_t>(kChunk);
    }
    return absl::OkStatus();
  };

  v1::ListBreachesResponse response;
  while (response.breaches_size() < page_size) {
    std::vector<int> starved;
    for (int i = 0; i < keys::kShardCount; ++i) {
      if (shards[i].buffered.empty() && shards[i].more) starved.push_back(i);
    }
    if (!starved.empty()) {
      if (absl::Status s = refill(starved); !s.ok()) return s;
      continue;
    }
    int best = -1;
    for (int i = 0; i < keys::kShardCount; ++i) {
      if (shards[i].buffered.empty()) continue;
      if (best < 0 || shards[best].buffered.front().key < shards[i].buffered.front().key) {
        best = i;
      }
    }
    if (best < 0) break;  // every shard is exhausted
    EventEntry e = std::move(shards[best].buffered.front().entry);
    shards[best].buffered.pop_front();
    returned[best] = e.entry_id;
    const v1::ClockBreached& b = e.event.breached();
    v1::Breach* out = response.add_breaches();
    out->set_ticket_id(e.ticket_id);
    out->set_clock(b.clock());
    out->set_unit_code(b.unit_code());
    out->set_tier(b.tier());
    *out->mutable_deadline() = b.deadline();
    *out->mutable_detected_at() = e.event.occurred_at();
    *out->mutable_breached_by() = b.breached_by();
  }
  if (response.breaches_size() == page_size) {
    // A shard nothing was returned from yet continues from just above the newest entry this
    // walk saw there (or, if its stream was empty, from nothing at all): breaches recorded
    // after the first page never enter the walk.
    for (int i = 0; i < keys::kShardCount; ++i) {
      if (returned[i] != kNewest) continue;
      if (shards[i].top.empty()) {
        returned[i] = "0-1";
      } else {
        auto [ms, seq] = IdKey(shards[i].top);
        returned[i] = absl::StrCat(ms, "-", seq + 1);
      }
    }
    response.set_next_page_token(EncodeStreamCursor(returned));
  }
  return response;
}

}  // namespace dispatch::escalation
