#include "services/intake/queries.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"
#include "common/ticket_record.h"
#include "services/auth/access_policy.h"
#include "services/intake/intake.h"

namespace dispatch::intake {
namespace {

constexpr int kScanChunk = 500;

// A history page token: "<stream entry id>.<hash of the ticket id>", so that a token from
// another ticket's history (its shard's stream is shared) is refused instead of silently
// skipping this ticket's earlier events.
std::string HistoryToken(const std::string& ticket_id, const std::string& entry_id) {
  return absl::StrCat(entry_id, ".", absl::Hex(keys::StableHash64(ticket_id) & 0xffffffff));
}

struct HistoryScan {
  std::string ticket_id;
  std::string events_key;
  std::string from;  // XRANGE start: an entry id, "(<id>" (exclusive) or "-"
  int64_t current_version = 0;
  int page_size = 100;
  int max_scan = 0;
  int scanned = 0;  // stream entries read by this request
  v1::GetTicketHistoryResponse response;
  rpc::Reply<v1::GetTicketHistoryResponse> done;
};

void ScanHistory(redis::Client* redis, std::shared_ptr<HistoryScan> s) {
  // Never more than what is left of this request's budget.
  const int count = std::max(1, std::min(kScanChunk, s->max_scan - s->scanned));
  redis->Execute(
      {"XRANGE", s->events_key, s->from, "+", "COUNT", std::to_string(count)},
      [redis, s, count](absl::StatusOr<redis::Reply> r) {
        if (!r.ok()) return s->done(r.status());
        for (const redis::Reply& item : r->elements) {
          if (!item.is_array() || item.elements.empty()) {
            return s->done(absl::DataLossError("history: an event entry is not [id, fields]"));
          }
          s->from = absl::StrCat("(", item.elements[0].str);
          ++s->scanned;
          // Other tickets' entries are skipped undecoded (and so are their complaints).
          if (EntryTicket(item) != s->ticket_id) continue;
          auto entry = DecodeEventEntry(item);
          if (!entry.ok()) return s->done(entry.status());
          int64_t version = entry->event.ticket_version();
          *s->response.add_events() = std::move(entry->event);
          if (version >= s->current_version) return s->done(std::move(s->response));
          if (s->response.events_size() == s->page_size) {
            s->response.set_next_page_token(HistoryToken(s->ticket_id, entry->entry_id));
            return s->done(std::move(s->response));
          }
        }
        if (static_cast<int>(r->elements.size()) < count) {
          return s->done(std::move(s->response));  // the stream ends here
        }
        if (s->scanned >= s->max_scan) {
          // This request has read enough: the caller goes on from here with the token.
          s->response.set_next_page_token(HistoryToken(s->ticket_id, s->from.substr(1)));
          return s->done(std::move(s->response));
        }
        ScanHistory(redis, s);
      });
}

// The history of a ticket no longer in Redis, all from the read model.
void ArchivedHistory(readmodel::Reader* reader, const auth::Caller& caller,
                     const org::OrgHolder* org, std::shared_ptr<HistoryScan> s,
                     const std::string& after) {
  absl::StatusOr<v1::Ticket> t = reader->GetTicket(s->ticket_id);
  if (!t.ok()) return s->done(t.status());
  if (absl::Status a = access::CheckRead(caller, *t, org->Get()->model); !a.ok()) {
    return s->done(a);
  }
  auto events = reader->History(s->ticket_id, FromProto(t->accepted_at()), after, s->page_size);
  if (!events.ok()) return s->done(events.status());
  for (readmodel::Reader::HistoryEvent& e : *events) {
    *s->response.add_events() = std::move(e.event);
  }
  if (static_cast<int>(events->size()) == s->page_size &&
      events->back().event.ticket_version() < t->version()) {
    s->response.set_next_page_token(HistoryToken(s->ticket_id, events->back().entry_id));
  }
  s->done(std::move(s->response));
}

// How much later than its acceptance a ticket may enter its shard's acceptance index: only
// when another replica's acceptance a moment later got there first (submit.lua).
constexpr absl::Duration kIndexSlack = absl::Minutes(1);

// Position in the newest-first order: index ms, then ticket id, both descending.
struct Position {
  int64_t accepted_ms;
  std::string id;
  bool operator<(const Position& o) const {  // "comes later in the listing"
    return accepted_ms != o.accepted_ms ? accepted_ms < o.accepted_ms : id < o.id;
  }
};

std::string FilterFingerprint(v1::ListTicketsRequest req) {
  req.clear_page_token();
  req.clear_page_size();
  req.clear_contact_view();
  req.clear_pii_reason();
  return absl::StrCat(absl::Hex(keys::StableHash64(req.SerializeAsString())));
}

// `unit`: the effective unit filter (the request's, or the caller's unit).
bool Matches(const v1::ListTicketsRequest& req, const std::string& unit, const org::OrgModel& org,
             const v1::Ticket& t) {
  const int64_t accepted = ToUnixMs(t.accepted_at());
  if (req.has_accepted_from() && accepted < ToUnixMs(req.accepted_from())) return false;
  if (req.has_accepted_to() && accepted >= ToUnixMs(req.accepted_to())) return false;
  if (!unit.empty() && !ticket_record::InSubtree(t, unit)) {
    // Not routed yet: where its location leads; else an assisting unit in the subtree.
    bool assists = t.responsible_unit_code().empty() &&
                   access::LocationIn(t.complaint().location(), unit, org);
    for (const v1::Handling& h : t.handlings()) {
      assists |= h.role() == v1::HANDLING_ROLE_ASSIST && org.InSubtree(h.unit_code(), unit);
    }
    if (!assists) return false;
  }
  if (req.supervision_tier() != v1::TIER_UNSPECIFIED &&
      t.supervision_tier() != req.supervision_tier()) {
    return false;
  }
  if (!req.statuses().empty() &&
      std::find(req.statuses().begin(), req.statuses().end(), t.status()) == req.statuses().end()) {
    return false;
  }
  if (!req.categories().empty() &&
      std::find(req.categories().begin(), req.categories().end(), t.complaint().category()) ==
          req.categories().end()) {
    return false;
  }
  if (req.breached_only()) {
    bool breached = false;
    for (const v1::SlaClock& c : t.clocks()) breached |= c.breached();
    if (!breached) return false;
  }
  return true;
}

}  // namespace

TicketQueries::TicketQueries(redis::Client* redis, Clock* clock, const org::OrgHolder* org,
                             Options options)
    : redis_(redis),
      store_(redis),
      clock_(clock),
      org_(org),
      options_(options),
      pii_(redis, clock),
      work_(options.threads) {}

void TicketQueries::History(const v1::GetTicketHistoryRequest& req, const auth::Caller& caller,
                            rpc::Reply<v1::GetTicketHistoryResponse> done) {
  std::optional<int> shard = keys::ShardOfTicketId(req.ticket_id());
  if (!shard) return done(absl::InvalidArgumentError("ticket_id: not a ticket id"));
  if (req.page_size() < 0 || req.page_size() > 500) {
    return done(absl::InvalidArgumentError("page_size: must be within [0, 500]"));
  }
  auto s = std::make_shared<HistoryScan>();
  s->ticket_id = req.ticket_id();
  s->events_key = keys::Events(*shard);
  s->page_size = req.page_size() == 0 ? 100 : req.page_size();
  s->max_scan = options_.max_history_scan;
  s->done = std::move(done);
  if (!req.page_token().empty()) {
    const size_t dot = req.page_token().find('.');
    const std::string entry_id = req.page_token().substr(0, dot);
    uint64_t ms, seq;
    if (dot == std::string::npos || !ParseStreamId(entry_id, &ms, &seq) ||
        req.page_token() != HistoryToken(req.ticket_id(), entry_id)) {
      return s->done(absl::InvalidArgumentError(
          "page_token: not from a previous GetTicketHistory response for this ticket"));
    }
    s->from = absl::StrCat("(", entry_id);
  }
  // Only a caller that may read the ticket reads its history (NOT_FOUND otherwise).
  const std::string after = s->from.empty() ? "" : s->from.substr(1);
  store_.Get(req.ticket_id(), [this, caller, shard = *shard, s,
                               after](absl::StatusOr<v1::Ticket> t) {
    if (absl::IsNotFound(t.status()) && options_.read_model != nullptr) {
      // Gone from Redis (archived): the read model holds all of it.
      work_.Submit([this, caller, s, after] { ArchivedHistory(options_.read_model, caller, org_, s, after); });
      return;
    }
    if (!t.ok()) return s->done(t.status());
    if (absl::Status a = access::CheckRead(caller, *t, org_->Get()->model); !a.ok()) {
      return s->done(a);
    }
    redis_->Execute(
        {"HMGET", keys::Ticket(shard, s->ticket_id), "ver", "e0"},
        [this, s, after, accepted_at = FromProto(t->accepted_at())](
            absl::StatusOr<redis::Reply> r) {
          if (!r.ok()) return s->done(r.status());
          if (r->elements.size() != 2 || r->elements[0].is_nil()) {
            return s->done(
                absl::NotFoundError(absl::StrCat("ticket_id: no ticket ", s->ticket_id)));
          }
          if (!absl::SimpleAtoi(r->elements[0].str, &s->current_version)) {
            return s->done(absl::DataLossError("ticket version is corrupt"));
          }
          const std::string e0 = r->elements[1].is_nil() ? "-" : r->elements[1].str;
          if (options_.read_model == nullptr) {
            if (s->from.empty()) s->from = e0;
            return ScanHistory(redis_, s);
          }
          work_.Submit([this, s, after, accepted_at, e0] {
            // What the read model holds first, then the stream from its last projected event:
            // only the projector's lag is scanned. PostgreSQL down: the stream alone.
            int64_t after_version = -1;
            auto projected = options_.read_model->History(s->ticket_id, accepted_at, after,
                                                          s->page_size, &after_version);
            if (!projected.ok() && !absl::IsUnavailable(projected.status())) {
              return s->done(projected.status());
            }
            if (projected.ok()) {
              // Only the projected prefix: versions repeat (one engine pass, several events)
              // but never skip, so a jump is an event not projected yet (several projectors
              // apply in any order); the stream goes on from before it.
              // After a page that ended on an event the read model does not have, none of it
              // can be trusted to follow on: the stream from there.
              int64_t version = after.empty() ? 0 : after_version;
              size_t prefix = 0;
              for (; version >= 0 && prefix < projected->size(); ++prefix) {
                const int64_t v = (*projected)[prefix].event.ticket_version();
                if (v > version + 1) break;
                version = v;
              }
              projected->resize(prefix);
            }
            if (projected.ok() && !projected->empty()) {
              int64_t version = 0;
              for (readmodel::Reader::HistoryEvent& e : *projected) {
                version = e.event.ticket_version();
                *s->response.add_events() = std::move(e.event);
              }
              if (version >= s->current_version) return s->done(std::move(s->response));
              if (s->response.events_size() == s->page_size) {
                s->response.set_next_page_token(HistoryToken(s->ticket_id, projected->back().entry_id));
                return s->done(std::move(s->response));
              }
              s->from = absl::StrCat("(", projected->back().entry_id);
            }
            if (s->from.empty()) s->from = e0;
            ScanHistory(redis_, s);
          });
        });
  });
}

void TicketQueries::List(const v1::ListTicketsRequest& req, const auth::Caller& caller,
                         rpc::Reply<v1::ListTicketsResponse> done) {
  work_.Submit([this, req, caller, done = std::move(done)] { done(ListSync(req, caller)); });
}

absl::StatusOr<v1::ListTicketsResponse> TicketQueries::ListSync(const v1::ListTicketsRequest& req,
                                                                const auth::Caller& caller) {
  if (req.page_size() < 0 || req.page_size() > 500) {
    return absl::InvalidArgumentError("page_size: must be within [0, 500]");
  }
  const int page_size = req.page_size() == 0 ? 50 : req.page_size();
  if (absl::Status s = CheckView(caller, req.contact_view(), req.pii_reason()); !s.ok()) return s;
  const bool full_view = req.contact_view() == v1::CONTACT_VIEW_FULL;
  for (int st : req.statuses()) {
    if (!v1::TicketStatus_IsValid(st) || st == 0) {
      return absl::InvalidArgumentError(absl::StrCat("statuses: unknown status ", st));
    }
  }
  const std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  // The subtree listed: the request's unit within the caller's, or the caller's own.
  absl::StatusOr<std::string> unit = access::UnitFilter(caller, req.unit_code(), org->model);
  if (!unit.ok()) return unit.status();
  const std::string fingerprint = FilterFingerprint(req);
  if (options_.read_model != nullptr) {
    return ListFromReadModel(req, caller, *unit, fingerprint, page_size);
  }
  // The scan of the index starts below `upper` (exclusive) and stops at `lower` (inclusive).
  // The index time is the acceptance time or a little later (keys::AcceptedIndex), so a
  // bounded range reads kIndexSlack past accepted_to and Matches() applies the range itself.
  Position upper{std::numeric_limits<int64_t>::max(), ""};
  if (req.has_accepted_to()) {
    const int64_t to = ToUnixMs(req.accepted_to());
    if (to <= 0) return v1::ListTicketsResponse();  // nothing was accepted before 1970
    upper = {to + absl::ToInt64Milliseconds(kIndexSlack), ""};
  }
  if (!req.page_token().empty()) {
    std::vector<std::string> parts = absl::StrSplit(req.page_token(), ':');
    int64_t ms;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &ms) || ms < 0) {
      return absl::InvalidArgumentError("page_token: not from a previous response");
    }
    if (parts[2] != fingerprint) {
      return absl::InvalidArgumentError(
          "page_token: the filters differ from those of the request that returned it");
    }
    upper = {ms, parts[1]};
  }
  const std::string lower = req.has_accepted_from() && ToUnixMs(req.accepted_from()) > 0
                                ? absl::StrCat(ToUnixMs(req.accepted_from()), "-0")
                                : "-";
  const bool unbounded = req.page_token().empty() && !req.has_accepted_to();

  // Per shard: candidates fetched but not yet used (in listing order), the position after which
  // the next fetch continues, and whether the shard may hold more.
  struct ShardScan {
    std::deque<Position> buffered;
    Position cursor;
    bool unbounded = false;
    bool more = true;
  };
  std::vector<ShardScan> shards(keys::kShardCount);
  for (auto& s : shards) {
    s.cursor = upper;
    s.unbounded = unbounded;
  }
  const int chunk = page_size + 1;
  // Fetches the next candidates of the given shards from their acceptance indexes (streams,
  // keys::AcceptedIndex): the ones tied with the cursor's millisecond but after it by id (all
  // of them; ties are few), then a chunk strictly older. A stream orders a millisecond's
  // entries by arrival, not by id, so a full chunk's oldest millisecond is left to the next
  // refill's read of ties, which takes all of it.
  auto refill = [&](const std::vector<int>& which) -> absl::Status {
    // Both reads of every shard go out at once (the chunk's bound is the cursor, not the ties'
    // answer); the answers are used once all are in.
    std::vector<std::vector<std::string>> reads;
    std::vector<bool> tied(keys::kShardCount, false);
    for (int shard : which) {
      const ShardScan& s = shards[shard];
      // The ties only when resuming inside a millisecond.
      tied[shard] = !s.unbounded && !s.cursor.id.empty();
      if (tied[shard]) {
        std::string ms = std::to_string(s.cursor.accepted_ms);
        reads.push_back({"XREVRANGE", keys::AcceptedIndex(shard), ms + "-18446744073709551615",
                         ms + "-0"});
      }
      std::string max = s.unbounded ? "+" : absl::StrCat("(", s.cursor.accepted_ms, "-0");
      reads.push_back({"XREVRANGE", keys::AcceptedIndex(shard), max, lower, "COUNT",
                       std::to_string(chunk)});
    }
    std::vector<absl::StatusOr<redis::Reply>> replies = redis_->ExecuteAllSync(std::move(reads));
    size_t next = 0;
    for (int shard : which) {
      const absl::StatusOr<redis::Reply>* ties = tied[shard] ? &replies[next++] : nullptr;
      const absl::StatusOr<redis::Reply>& chunk_read = replies[next++];
      if (ties != nullptr && !ties->ok()) return ties->status();
      if (!chunk_read.ok()) return chunk_read.status();
      // [[entry id "<ms>-<n>", ["t", ticket id]], ...] in listing order (newest first).
      auto positions =
          [shard](const redis::Reply& reply) -> absl::StatusOr<std::vector<Position>> {
        std::vector<Position> out;
        for (const redis::Reply& e : reply.elements) {
          Position p;
          if (e.elements.size() != 2 || e.elements[1].elements.size() != 2 ||
              !absl::SimpleAtoi(e.elements[0].str.substr(0, e.elements[0].str.find('-')),
                                &p.accepted_ms)) {
            return absl::DataLossError(
                absl::StrCat("acceptance index of shard ", shard, ": a malformed entry"));
          }
          p.id = e.elements[1].elements[1].str;
          out.push_back(std::move(p));
        }
        std::sort(out.begin(), out.end(),
                  [](const Position& a, const Position& b) { return b < a; });
        return out;
      };
      ShardScan& s = shards[shard];
      const Position cursor = s.cursor;
      if (ties != nullptr) {
        absl::StatusOr<std::vector<Position>> tied_positions = positions(**ties);
        if (!tied_positions.ok()) return tied_positions.status();
        for (Position& p : *tied_positions) {
          if (p < cursor) s.buffered.push_back(std::move(p));
        }
      }
      absl::StatusOr<std::vector<Position>> older = positions(*chunk_read);
      if (!older.ok()) return older.status();
      s.more = older->size() == static_cast<size_t>(chunk);
      if (s.more) {
        // The oldest millisecond may go on past the chunk: leave all of it to the next refill.
        const int64_t last_ms = older->back().accepted_ms;
        while (!older->empty() && older->back().accepted_ms == last_ms) older->pop_back();
        for (Position& p : *older) s.buffered.push_back(std::move(p));
        s.cursor = Position{last_ms, std::string(1, '\xff')};  // after every id of last_ms
        s.unbounded = false;
        continue;
      }
      for (Position& p : *older) s.buffered.push_back(std::move(p));
      if (!s.buffered.empty()) {
        s.cursor = s.buffered.back();
        s.unbounded = false;
      }
    }
    return absl::OkStatus();
  };
  std::vector<int> all(keys::kShardCount);
  for (int i = 0; i < keys::kShardCount; ++i) all[i] = i;
  if (absl::Status s = refill(all); !s.ok()) return s;

  v1::ListTicketsResponse response;
  const absl::Time now = clock_->Now();
  Position last_returned{0, ""};
  bool page_full = false;
  int scanned = 0;  // candidates read by this request
  bool scan_spent = false;
  while (!page_full && !scan_spent) {
    // A shard that may hold more but has nothing buffered could hold the next candidate.
    std::vector<int> starved;
    for (int i = 0; i < keys::kShardCount; ++i) {
      if (shards[i].buffered.empty() && shards[i].more) starved.push_back(i);
    }
    if (!starved.empty()) {
      if (absl::Status s = refill(starved); !s.ok()) return s;
      continue;
    }
    // The next candidates in listing order, up to a page's worth, until a shard runs dry.
    std::vector<std::pair<Position, int>> batch;
    const int room = std::max(1, std::min(page_size, options_.max_list_scan - scanned));
    while (static_cast<int>(batch.size()) < room) {
      int best = -1;
      bool dry = false;
      for (int i = 0; i < keys::kShardCount; ++i) {
        if (shards[i].buffered.empty()) {
          dry |= shards[i].more;
          continue;
        }
        if (best < 0 || shards[best].buffered.front() < shards[i].buffered.front()) best = i;
      }
      if (best < 0 || dry) break;
      batch.emplace_back(shards[best].buffered.front(), best);
      shards[best].buffered.pop_front();
    }
    if (batch.empty()) break;  // nothing buffered and nothing more anywhere
    // Read the candidates (pipelined) and keep the matches, in order.
    std::vector<absl::StatusOr<v1::Ticket>> tickets(batch.size(), absl::UnknownError(""));
    absl::BlockingCounter pending(static_cast<int>(batch.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
      store_.Get(batch[i].first.id, [&, i](absl::StatusOr<v1::Ticket> t) {
        tickets[i] = std::move(t);
        pending.DecrementCount();
      });
    }
    pending.Wait();
    size_t used = 0;
    for (; used < batch.size() && !page_full; ++used) {
      last_returned = batch[used].first;
      ++scanned;
      if (absl::IsNotFound(tickets[used].status())) continue;
      if (!tickets[used].ok()) return tickets[used].status();
      v1::Ticket& t = *tickets[used];
      if (!access::CheckRead(caller, t, org->model).ok()) continue;
      ticket_record::PrepareForReader(now, full_view, &t);  // (breached now: Matches reads it)
      if (!Matches(req, *unit, org->model, t)) continue;
      *response.add_tickets() = std::move(t);
      page_full = response.tickets_size() == page_size;
    }
    // Candidates read but not reached go back to the fronts of their shards.
    for (size_t i = batch.size(); i-- > used;) {
      shards[batch[i].second].buffered.push_front(batch[i].first);
    }
    scan_spent = scanned >= options_.max_list_scan;
  }
  if (page_full || scan_spent) {
    bool more = false;
    for (const auto& s : shards) more |= s.more || !s.buffered.empty();
    if (more) {
      response.set_next_page_token(
          absl::StrCat(last_returned.accepted_ms, ":", last_returned.id, ":", fingerprint));
    }
  }
  if (full_view) {
    if (absl::Status s = LogFullViews(caller, response, req.pii_reason()); !s.ok()) return s;
  }
  return response;
}

absl::Status TicketQueries::LogFullViews(const auth::Caller& caller,
                                         const v1::ListTicketsResponse& page,
                                         const std::string& reason) {
  if (page.tickets().empty()) return absl::OkStatus();
  // The page is shown only once every full view on it is logged.
  std::vector<std::string> shown;
  for (const v1::Ticket& t : page.tickets()) shown.push_back(t.ticket_id());
  absl::Notification logged;
  absl::Status status;
  pii_.Record(caller, shown, reason, [&](absl::Status s) {
    status = std::move(s);
    logged.Notify();
  });
  logged.WaitForNotification();
  return status;
}

absl::StatusOr<v1::ListTicketsResponse> TicketQueries::ListFromReadModel(
    const v1::ListTicketsRequest& req, const auth::Caller& caller, const std::string& unit,
    const std::string& fingerprint, int page_size) {
  absl::StatusOr<std::string> position =
      readmodel::PositionOfToken(req.page_token(), fingerprint);
  if (!position.ok()) return position.status();
  // Read before the page: everything recorded before it is in the page.
  absl::StatusOr<std::optional<absl::Time>> caught_up = options_.read_model->CaughtUpTo();
  if (!caught_up.ok()) return caught_up.status();
  absl::StatusOr<readmodel::Reader::TicketPage> page =
      options_.read_model->ListTickets(req, unit, *position, page_size);
  if (!page.ok()) return page.status();
  v1::ListTicketsResponse response;
  const std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  const absl::Time now = clock_->Now();
  const bool full_view = req.contact_view() == v1::CONTACT_VIEW_FULL;
  for (v1::Ticket& t : page->tickets) {
    // The unit filter is the caller's subtree already; the rule decides the rest (channels).
    if (!access::CheckRead(caller, t, org->model).ok()) continue;
    ticket_record::PrepareForReader(now, full_view, &t);
    *response.add_tickets() = std::move(t);
  }
  response.set_next_page_token(readmodel::PageToken(page->next_position, fingerprint));
  if (*caught_up) *response.mutable_read_model()->mutable_caught_up_to() = ToProto(**caught_up);
  if (full_view) {
    if (absl::Status s = LogFullViews(caller, response, req.pii_reason()); !s.ok()) return s;
  }
  return response;
}

}  // namespace dispatch::intake
