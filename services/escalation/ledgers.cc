#include "services/escalation/ledgers.h"

#include <deque>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"
#include "services/auth/access_policy.h"

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

// The exclusive upper bound of a walk that must still see entry `id`: the id just above it.
std::string JustAbove(const std::string& id) {
  auto [ms, seq] = IdKey(id);
  return absl::StrCat(ms, "-", seq + 1);
}

}  // namespace

absl::StatusOr<EventPage> ScanEvents(redis::Client* redis, const std::string& type,
                                     const std::function<bool(const EventEntry&)>& keep,
                                     int page_size, const std::string& page_token,
                                     int max_scan) {
  // Each shard's position: the walk goes on strictly below it ("0-0": from the newest).
  std::vector<std::string> start(keys::kShardCount, kNewest);
  if (!page_token.empty()) {
    auto decoded = DecodeStreamCursor(page_token, "page_token");
    if (!decoded.ok()) return decoded.status();
    start = *std::move(decoded);
  }
  // Newest event time first (within a shard that is stream order), ties by entry id.
  using Key = std::pair<int64_t, std::pair<uint64_t, uint64_t>>;
  struct Found {
    Key key;
    EventEntry entry;
  };
  struct ShardScan {
    std::deque<Found> buffered;  // kept entries not returned yet, newest first
    std::string scanned;         // the oldest entry examined so far (or the start position)
    bool examined = false;       // whether any entry of this shard was read
    bool more = true;
  };
  std::vector<ShardScan> shards(keys::kShardCount);
  for (int i = 0; i < keys::kShardCount; ++i) shards[i].scanned = start[i];
  int scanned = 0;

  auto refill = [&](const std::vector<int>& which) -> absl::Status {
    std::vector<std::vector<std::string>> reads;
    for (int shard : which) {
      const std::string& end = shards[shard].scanned;
      reads.push_back({"XREVRANGE", keys::Events(shard), end == kNewest ? "+" : "(" + end, "-",
                       "COUNT", std::to_string(kChunk)});
    }
    std::vector<absl::StatusOr<redis::Reply>> replies = redis->ExecuteAllSync(std::move(reads));
    for (size_t j = 0; j < which.size(); ++j) {
      if (!replies[j].ok()) return replies[j].status();
      ShardScan& s = shards[which[j]];
      for (const redis::Reply& item : replies[j]->elements) {
        if (!item.is_array() || item.elements.size() != 2) continue;
        s.scanned = item.elements[0].str;
        s.examined = true;
        ++scanned;
        // Only the wanted type is decoded; an entry that cannot be is skipped.
        if (EntryType(item) != type) continue;
        auto e = DecodeEventEntry(item);
        if (!e.ok() || !keep(*e)) continue;
        Key key{ToUnixMs(e->event.occurred_at()), IdKey(e->entry_id)};
        s.buffered.push_back({key, *std::move(e)});
      }
      s.more = replies[j]->elements.size() == static_cast<size_t>(kChunk);
    }
    return absl::OkStatus();
  };

  EventPage page;
  bool refilled = false;
  while (static_cast<int>(page.entries.size()) < page_size) {
    std::vector<int> starved;
    for (int i = 0; i < keys::kShardCount; ++i) {
      if (shards[i].buffered.empty() && shards[i].more) starved.push_back(i);
    }
    if (!starved.empty()) {
      // The budget stops further reads, never the first one: every request moves the walk on
      // (it returns entries, or its starved shards' positions advance).
      if (refilled && scanned >= max_scan) break;
      if (absl::Status s = refill(starved); !s.ok()) return s;
      refilled = true;
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
    page.entries.push_back(std::move(shards[best].buffered.front().entry));
    shards[best].buffered.pop_front();
  }
  bool more = false;
  for (const ShardScan& s : shards) more |= s.more || !s.buffered.empty();
  if (more) {
    // Each shard goes on just above the first entry it kept and has not returned, or else
    // below the oldest entry it examined (everything newer was returned or not wanted). A
    // shard whose stream was empty goes on from nothing: entries recorded after the first page
    // are newer than the walk.
    std::vector<std::string> next(keys::kShardCount);
    for (int i = 0; i < keys::kShardCount; ++i) {
      const ShardScan& s = shards[i];
      if (!s.buffered.empty()) {
        next[i] = JustAbove(s.buffered.front().entry.entry_id);
      } else if (s.examined || s.scanned != kNewest) {
        next[i] = s.scanned;
      } else {
        next[i] = "0-1";
      }
    }
    page.next_page_token = EncodeStreamCursor(next);
  }
  return page;
}

absl::StatusOr<std::function<bool(const std::string&)>> Ledgers::SubtreeOf(
    const std::string& unit_code) {
  if (unit_code.empty()) return std::function<bool(const std::string&)>();
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  if (org->model.FindUnit(unit_code) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unit_code: no unit \"", unit_code, "\" in the organisation"));
  }
  return std::function<bool(const std::string&)>(
      [org, unit_code](const std::string& unit) { return org->model.InSubtree(unit, unit_code); });
}

void Ledgers::Breaches(const v1::ListBreachesRequest& req, const auth::Caller& caller,
                       rpc::Reply<v1::ListBreachesResponse> done) {
  auto unit = access::UnitFilter(caller, req.unit_code(), org_->Get()->model);
  if (!unit.ok()) return done(unit.status());
  v1::ListBreachesRequest scoped = req;
  scoped.set_unit_code(*unit);
  work_.Submit([this, scoped, done = std::move(done)] { done(BreachesSync(scoped)); });
}

void Ledgers::Revisits(const v1::ListRevisitsRequest& req, const auth::Caller& caller,
                       rpc::Reply<v1::ListRevisitsResponse> done) {
  auto unit = access::UnitFilter(caller, req.unit_code(), org_->Get()->model);
  if (!unit.ok()) return done(unit.status());
  v1::ListRevisitsRequest scoped = req;
  scoped.set_unit_code(*unit);
  work_.Submit([this, scoped, done = std::move(done)] { done(RevisitsSync(scoped)); });
}

absl::StatusOr<EventPage> Ledgers::Walk(
    const std::string& type, const std::string& unit_code, absl::Time from, absl::Time to,
    int page_size, const std::string& page_token,
    const std::function<const std::string&(const v1::TicketEvent&)>& unit_of) {
  if (absl::Status s = readmodel::CheckPageSize(page_size); !s.ok()) return s;
  auto in_subtree = SubtreeOf(unit_code);
  if (!in_subtree.ok()) return in_subtree.status();
  return ScanEvents(
      redis_, type,
      [&](const EventEntry& e) {
        absl::Time at = FromProto(e.event.occurred_at());
        return at >= from && at < to && (!*in_subtree || (*in_subtree)(unit_of(e.event)));
      },
      page_size == 0 ? 50 : page_size, page_token);
}

absl::Status Ledgers::CheckReadModelFilter(int page_size, const std::string& unit_code) {
  if (absl::Status s = readmodel::CheckPageSize(page_size); !s.ok()) return s;
  if (!unit_code.empty() && org_->Get()->model.FindUnit(unit_code) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unit_code: no unit \"", unit_code, "\" in the organisation"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListBreachesResponse> Ledgers::BreachesFromReadModel(
    const v1::ListBreachesRequest& req) {
  if (absl::Status s = CheckReadModelFilter(req.page_size(), req.unit_code()); !s.ok()) return s;
  absl::StatusOr<readmodel::Paging> paging = readmodel::PagingOf(req);
  if (!paging.ok()) return paging.status();
  // Read before the page: everything recorded before it is in the page.
  absl::StatusOr<std::optional<absl::Time>> caught_up = read_model_->CaughtUpTo();
  if (!caught_up.ok()) return caught_up.status();
  auto page = read_model_->ListBreaches(
      req.unit_code(), req.has_from() ? FromProto(req.from()) : absl::InfinitePast(),
      req.has_to() ? FromProto(req.to()) : absl::InfiniteFuture(), paging->position,
      req.page_size() == 0 ? 50 : req.page_size());
  if (!page.ok()) return page.status();
  v1::ListBreachesResponse response;
  for (v1::Breach& b : page->breaches) *response.add_breaches() = std::move(b);
  response.set_next_page_token(readmodel::PageToken(page->next_position, paging->fingerprint));
  if (*caught_up) *response.mutable_read_model()->mutable_caught_up_to() = ToProto(**caught_up);
  return response;
}

absl::StatusOr<v1::ListRevisitsResponse> Ledgers::RevisitsFromReadModel(
    const v1::ListRevisitsRequest& req, absl::Time from, absl::Time to) {
  if (absl::Status s = CheckReadModelFilter(req.page_size(), req.unit_code()); !s.ok()) return s;
  absl::StatusOr<readmodel::Paging> paging = readmodel::PagingOf(req);
  if (!paging.ok()) return paging.status();
  auto page = read_model_->ListRevisits(req.unit_code(), from, to, paging->position,
                                        req.page_size() == 0 ? 50 : req.page_size());
  if (!page.ok()) return page.status();
  v1::ListRevisitsResponse response;
  for (v1::Revisit& v : page->revisits) *response.add_revisits() = std::move(v);
  response.set_next_page_token(readmodel::PageToken(page->next_position, paging->fingerprint));
  return response;
}

absl::StatusOr<v1::ListBreachesResponse> Ledgers::BreachesSync(
    const v1::ListBreachesRequest& req) {
  if (read_model_ != nullptr) return BreachesFromReadModel(req);
  auto page = Walk("breached", req.unit_code(),
                   req.has_from() ? FromProto(req.from()) : absl::InfinitePast(),
                   req.has_to() ? FromProto(req.to()) : absl::InfiniteFuture(), req.page_size(),
                   req.page_token(), [](const v1::TicketEvent& e) -> const std::string& {
                     return e.breached().unit_code();
                   });
  if (!page.ok()) return page.status();
  v1::ListBreachesResponse response;
  for (const EventEntry& e : page->entries) {
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
  response.set_next_page_token(page->next_page_token);
  return response;
}

absl::StatusOr<v1::ListRevisitsResponse> Ledgers::RevisitsSync(
    const v1::ListRevisitsRequest& req) {
  absl::Time from = req.has_from() ? FromProto(req.from()) : absl::InfinitePast();
  absl::Time to = req.has_to() ? FromProto(req.to()) : absl::InfiniteFuture();
  if (!req.month().empty()) {
    if (req.has_from() || req.has_to()) {
      return absl::InvalidArgumentError("month: give a month or from/to, not both");
    }
    int year = 0, month = 0;
    if (req.month().size() != 7 || req.month()[4] != '-' ||
        !absl::SimpleAtoi(req.month().substr(0, 4), &year) ||
        !absl::SimpleAtoi(req.month().substr(5, 2), &month) || month < 1 || month > 12) {
      return absl::InvalidArgumentError(
          absl::StrCat("month: \"", req.month(), "\" is not a month \"YYYY-MM\""));
    }
    const absl::CivilMonth m(year, month);
    from = absl::FromCivil(m, zone_);
    to = absl::FromCivil(m + 1, zone_);
  }
  if (read_model_ != nullptr) return RevisitsFromReadModel(req, from, to);
  auto page = Walk("revisited", req.unit_code(), from, to, req.page_size(), req.page_token(),
                   [](const v1::TicketEvent& e) -> const std::string& {
                     return e.revisited().unit_code();
                   });
  if (!page.ok()) return page.status();
  v1::ListRevisitsResponse response;
  for (EventEntry& e : page->entries) {
    v1::Revisit* out = response.add_revisits();
    out->set_ticket_id(e.ticket_id);
    out->set_unit_code(e.event.revisited().unit_code());
    *out->mutable_revisited_by() = e.event.actor();
    *out->mutable_recorded_at() = e.event.occurred_at();
    *out->mutable_revisit() = std::move(*e.event.mutable_revisited());
  }
  response.set_next_page_token(page->next_page_token);
  return response;
}

}  // namespace dispatch::escalation
