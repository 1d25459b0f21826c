#include "services/intake/watch.h"

#include "common/metrics/metrics.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/rpc/unary.h"
#include "common/stream_cursor.h"
#include "common/thread_name.h"
#include "dispatch/v1/intake.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "services/auth/access_policy.h"

namespace dispatch::intake {
namespace {

// A stream entry id, compared as numbers.
struct Pos {
  uint64_t ms = 0;
  uint64_t seq = 0;
};
bool Less(const Pos& a, const Pos& b) { return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq; }
Pos ParsePos(const std::string& id) {
  Pos p;
  ParseStreamId(id, &p.ms, &p.seq);
  return p;
}
std::string PosText(const Pos& p) { return absl::StrCat(p.ms, "-", p.seq); }
std::vector<std::string> Texts(const std::vector<Pos>& ps) {
  std::vector<std::string> out;
  out.reserve(ps.size());
  for (const Pos& p : ps) out.push_back(PosText(p));
  return out;
}

// What a watch lets through: the tickets in `unit`'s subtree (a person's watch: lead or
// assisting unit, or, not routed yet, its location), or those that came in on `channels`
// (a gateway's).
struct WatchFilter {
  std::string unit;
  std::set<int> channels;  // dispatch.v1.Channel numbers
};

// Whose an event is: the units whose subtree watches want it, and its ticket's channel.
struct Membership {
  std::set<std::string> units;
  int channel = 0;
};

// From the ticket's stored `unit`, `up` (its ancestors), `hdl` (its handlings) and `ch` (its
// channel), `f` (an HMGET reply), or for a TicketAccepted of a ticket not routed yet its
// location.
Membership MembershipOf(const std::vector<redis::Reply>& f, const v1::TicketEvent& event,
                        const org::OrgModel& org) {
  Membership m;
  int64_t ch = 0;
  if (event.has_accepted()) {
    ch = event.accepted().channel();
  } else if (!f[3].is_nil()) {
    absl::SimpleAtoi(f[3].str, &ch);
  }
  m.channel = static_cast<int>(ch);
  auto with_ancestors = [&](const std::string& unit) {
    if (unit.empty()) return;
    m.units.insert(unit);
    for (std::string& a : org.Ancestors(unit)) m.units.insert(std::move(a));
  };
  if (f[0].is_nil() || f[0].str.empty()) {
    // Not routed yet: judged by its location, so a county's live watch sees it arrive.
    if (event.has_accepted()) {
      org::OrgModel::Resolution where = org.Resolve(event.accepted().location());
      with_ancestors(where.community_code);
      with_ancestors(where.county_code);
      if (!org.city_code().empty()) m.units.insert(org.city_code());
    }
    return m;
  }
  m.units.insert(f[0].str);
  for (absl::string_view a : absl::StrSplit(f[1].str, ',', absl::SkipEmpty())) {
    m.units.insert(std::string(a));
  }
  // An assisting unit: "<unit>:<Department>:<HandlingRole>" joined by ';'.
  const std::string assist = absl::StrCat(":", v1::HANDLING_ROLE_ASSIST);
  for (absl::string_view h : absl::StrSplit(f[2].str, ';', absl::SkipEmpty())) {
    if (absl::EndsWith(h, assist)) with_ancestors(std::string(h.substr(0, h.find(':'))));
  }
  return m;
}

bool Matches(const WatchFilter& filter, const Membership& m) {
  if (filter.unit.empty()) return filter.channels.count(m.channel) > 0;
  return m.units.count(filter.unit) > 0;
}

// One event on its way to a watch: the serialized TicketEvent and the serialized Cursor after
// it. Slices are reference counted: the hub serializes an event once for all its watches, and
// a response is put together from them (Response) without copying or parsing.
struct Queued {
  grpc::Slice event;
  grpc::Slice cursor;
};
Queued QueuedOf(const v1::TicketEvent& event, std::string cursor_token) {
  v1::Cursor cursor;
  cursor.set_token(std::move(cursor_token));
  return Queued{grpc::Slice(event.SerializeAsString()), grpc::Slice(cursor.SerializeAsString())};
}

// A length-delimited field's tag (wire type 2) and length, as a slice of its own.
grpc::Slice FieldHeader(uint32_t field, size_t length) {
  using google::protobuf::io::CodedOutputStream;
  uint8_t buf[16];
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray((field << 3) | 2, buf);
  end = CodedOutputStream::WriteVarint64ToArray(length, end);
  return grpc::Slice(buf, end - buf);
}

// The WatchTicketEventsResponse of `items` (at least one), as its wire form: the events (in
// `event` when `batched` is false, which takes exactly one; else in `events`) and the cursor
// after the last. Fields of a protobuf message may follow one another in any order.
grpc::ByteBuffer Response(const std::deque<Queued>& items, size_t count, bool batched) {
  constexpr uint32_t kEvent = v1::WatchTicketEventsResponse::kEventFieldNumber;
  constexpr uint32_t kCursor = v1::WatchTicketEventsResponse::kCursorFieldNumber;
  constexpr uint32_t kEvents = v1::WatchTicketEventsResponse::kEventsFieldNumber;
  std::vector<grpc::Slice> slices;
  slices.reserve(2 * count + 2);
  for (size_t i = 0; i < count; ++i) {
    slices.push_back(FieldHeader(batched ? kEvents : kEvent, items[i].event.size()));
    slices.push_back(items[i].event);
  }
  slices.push_back(FieldHeader(kCursor, items[count - 1].cursor.size()));
  slices.push_back(items[count - 1].cursor);
  return grpc::ByteBuffer(slices.data(), slices.size());
}

// One processed entry, as every watch receives it.
struct HubEvent {
  int shard = 0;
  Pos pos;
  Membership membership;
  std::string cursor;  // the hub's positions once it had this entry (a cursor token)
  Queued queued;       // the event and that cursor, serialized once
};

// Entries one XREAD takes from each stream at most.
constexpr int kReadCount = 200;
// WatchTicketEventsRequest.max_events_per_response at most.
constexpr int kMaxEventsPerResponse = 500;

// The batch of one XREAD: decoded entries and the fields of their tickets (one pipelined
// HMGET for all of them), in stream order per shard.
struct ReadEntry {
  int shard = 0;
  std::string entry_id;
  absl::StatusOr<EventEntry> decoded = absl::UnknownError("");
  std::optional<Membership> membership;  // unknown: not sent
};
absl::StatusOr<std::vector<ReadEntry>> ReadBatch(redis::Client* redis,
                                                 const std::vector<Pos>& from, int block_ms,
                                                 const org::OrgHolder* org) {
  std::vector<std::string> argv = {"XREAD", "COUNT", std::to_string(kReadCount)};
  if (block_ms >= 0) {
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(block_ms));
  }
  argv.push_back("STREAMS");
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(keys::Events(s));
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(PosText(from[s]));
  absl::StatusOr<redis::Reply> r = redis->ExecuteSync(std::move(argv));
  if (!r.ok()) return r.status();
  std::vector<ReadEntry> out;
  if (!r->is_array()) return out;  // timed out: nothing new
  for (const redis::Reply& stream : r->elements) {
    std::optional<int> shard = keys::ShardOfKey(stream.elements[0].str);
    if (!shard) continue;  // XREAD answers only for the keys it was given
    for (const redis::Reply& item : stream.elements[1].elements) {
      ReadEntry e;
      e.shard = *shard;
      if (item.is_array() && !item.elements.empty()) e.entry_id = item.elements[0].str;
      e.decoded = DecodeEventEntry(item);
      out.push_back(std::move(e));
    }
  }
  std::vector<std::vector<std::string>> reads;
  std::vector<size_t> read_for;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].decoded.ok()) continue;
    reads.push_back({"HMGET", keys::Ticket(out[i].shard, out[i].decoded->ticket_id), "unit", "up",
                     "hdl", "ch"});
    read_for.push_back(i);
  }
  std::vector<absl::StatusOr<redis::Reply>> fields = redis->ExecuteAllSync(std::move(reads));
  const std::shared_ptr<const org::OrgSnapshot> snapshot = org->Get();
  for (size_t j = 0; j < fields.size(); ++j) {
    // Redis failing mid-batch: read the batch again rather than skip it for every watch.
    if (!fields[j].ok()) return fields[j].status();
    ReadEntry& e = out[read_for[j]];
    if (fields[j]->elements.size() != 4) continue;
    e.membership = MembershipOf(fields[j]->elements, e.decoded->event, snapshot->model);
  }
  return out;
}

// The shared state of one watch: its queue of responses and its place in the streams. The
// hub holds it while the call lives; the reactor's callbacks and the hub meet under `mu`.
}  // namespace

struct WatchState {
  std::mutex mu;
  std::condition_variable room;  // the queue got shorter
  WatchSink* reactor = nullptr;  // the transport; null once the call is done
  std::shared_ptr<WatchSink> owned_sink;  // a sink of another transport, kept until Done
  WatchFilter filter;
  size_t max_events = 1;  // in one response (the request's max_events_per_response)
  std::vector<Pos> seen;  // per shard, the newest entry this watch has had (or started past)
  bool ahead = false;     // seen is past the hub somewhere: cursors need the maximum
  std::deque<Queued> queue;     // events not in a response yet
  grpc::ByteBuffer in_flight;   // the response being written
  bool writing = false;
  absl::Time write_started;
  bool finished = false;  // no more writes; Finish called or due after the write in flight
  bool finish_called = false;
  grpc::Status final_status;
  int max_pending = 1000;
  absl::Duration write_timeout;
};

namespace {

// The watch's writes and end, whatever the transport (under the watch's lock).
class WatchReactor {
 public:
  // Under state->mu: one response of what is queued (up to max_events).
  static void StartNext(WatchState& s) {
    const size_t n = std::min(s.queue.size(), s.max_events);
    s.in_flight = Response(s.queue, n, s.max_events > 1);
    s.queue.erase(s.queue.begin(), s.queue.begin() + n);
    s.writing = true;
    s.write_started = absl::Now();
    s.reactor->StartWrite(s.in_flight);
  }
  // Under state->mu: starts a response unless one is being written or nothing waits.
  static void Flush(WatchState& s) {
    if (!s.writing && !s.finished && s.reactor != nullptr && !s.queue.empty()) StartNext(s);
  }
  static void FinishLocked(WatchState& s, const grpc::Status& status) {
    if (!s.finished) {
      s.finished = true;
      s.final_status = status;
    }
    if (!s.writing && !s.finish_called && s.reactor != nullptr) {
      s.finish_called = true;
      s.reactor->Finish(s.final_status);
    }
    s.room.notify_all();
  }
  // Ends a watch whose client does not keep up: cancelled, so a write stuck in flow control
  // completes; the client resumes from its last cursor.
  static void CutOffLocked(WatchState& s, const std::string& why) {
    if (s.finished) return;
    log::Warn("watch", "ending the watch", {{"reason", why}});
    static auto& cutoffs = metrics::CounterFamily(
        "dispatch_watch_cutoffs_total",
        "Event watches ended because their client did not keep up (it resumes from its cursor).");
    static auto* cut = &cutoffs.Add({{"reason", "slow_client"}});
    cut->Increment();
    if (s.reactor != nullptr) s.reactor->Cancel();
    FinishLocked(s, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why));
  }
  // Queues one event (sent at once when `flush`, else by the next Flush); false once the
  // watch is over.
  static bool OfferLocked(WatchState& s, Queued item, bool flush = true) {
    if (s.finished || s.reactor == nullptr) return false;
    if (static_cast<int>(s.queue.size()) >= s.max_pending) {
      CutOffLocked(s, absl::StrCat("a client fell ", s.max_pending, " events behind"));
      return false;
    }
    s.queue.push_back(std::move(item));
    if (flush) Flush(s);
    return true;
  }

  static void WriteDone(WatchState& s, bool ok) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.writing = false;
    s.in_flight.Clear();
    s.room.notify_all();
    if (!ok) {
      FinishLocked(s, grpc::Status::CANCELLED);
      return;
    }
    if (s.finished) {
      FinishLocked(s, s.final_status);
      return;
    }
    if (!s.queue.empty()) StartNext(s);
  }
  static void Gone(WatchState& s) {
    std::lock_guard<std::mutex> lock(s.mu);
    FinishLocked(s, grpc::Status::CANCELLED);
  }
  static void Done(WatchState& s, std::atomic<int>& active) {
    std::shared_ptr<WatchSink> owned;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.reactor = nullptr;
      s.finished = true;
      s.room.notify_all();
      owned = std::move(s.owned_sink);
    }
    active.fetch_sub(1);  // the watch's slot
  }
};

// The gRPC stream of one watch.
class GrpcWatch : public grpc::ServerWriteReactor<grpc::ByteBuffer>, public WatchSink {
 public:
  explicit GrpcWatch(grpc::CallbackServerContext* ctx) : ctx_(ctx) {}
  void StartWrite(const grpc::ByteBuffer& response) override {
    grpc::ServerWriteReactor<grpc::ByteBuffer>::StartWrite(&response);
  }
  void Finish(const grpc::Status& status) override {
    metrics::RpcMetrics::For("IntakeService.WatchTicketEvents", "server_stream")
        .Handled(status.error_code(), rpc::internal::SecondsSince(start_));
    grpc::ServerWriteReactor<grpc::ByteBuffer>::Finish(status);
  }
  void Cancel() override { ctx_->TryCancel(); }
  void OnWriteDone(bool ok) override { Written(ok); }
  void OnCancel() override { ClientGone(); }
  void OnDone() override {
    Done();
    delete this;
  }

 private:
  grpc::CallbackServerContext* const ctx_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

void WatchSink::Written(bool ok) { WatchReactor::WriteDone(*state_, ok); }
void WatchSink::ClientGone() { WatchReactor::Gone(*state_); }
void WatchSink::Done() { WatchReactor::Done(*state_, *active_); }

namespace {

// Hands one hub event to a watch (under the hub's lock; takes the watch's); sent by the next
// Flush unless `flush`.
bool Deliver(WatchState& w, const HubEvent& e, bool flush) {
  std::lock_guard<std::mutex> lock(w.mu);
  if (w.finished) return false;
  if (!Less(w.seen[e.shard], e.pos)) return true;  // it had this one (it caught up by itself)
  w.seen[e.shard] = e.pos;
  if (!w.ahead) return WatchReactor::OfferLocked(w, e.queued, flush);
  // Past the hub in some shard: the cursor is the larger of the two positions, per shard.
  absl::StatusOr<std::vector<std::string>> hub_cursor = DecodeStreamCursor(e.cursor, "cursor");
  if (!hub_cursor.ok()) return false;  // never: the hub encoded it
  std::vector<Pos> cursor;
  for (const std::string& id : *hub_cursor) cursor.push_back(ParsePos(id));
  bool still_ahead = false;
  for (int s = 0; s < keys::kShardCount; ++s) {
    if (Less(cursor[s], w.seen[s])) {
      cursor[s] = w.seen[s];
      still_ahead = true;
    }
  }
  w.ahead = still_ahead;
  v1::Cursor merged;
  merged.set_token(EncodeStreamCursor(Texts(cursor)));
  return WatchReactor::OfferLocked(
      w, Queued{e.queued.event, grpc::Slice(merged.SerializeAsString())}, flush);
}

}  // namespace

// The one reader of the process (see watch.h).
class EventWatcher::Hub {
 public:
  Hub(std::unique_ptr<redis::Client> redis, const org::OrgHolder* org, const Options& options)
      : redis_(std::move(redis)), org_(org), options_(options) {}
  ~Hub() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Start() {
    absl::StatusOr<std::vector<std::string>> ends = EventStreamEnds(redis_.get());
    if (!ends.ok()) return ends.status();
    for (const std::string& id : *ends) positions_.push_back(ParsePos(id));
    floor_ = positions_;
    thread_ = std::thread([this] {
      NameThisThread("watch-hub");
      Run();
    });
    return absl::OkStatus();
  }

  std::vector<Pos> Positions() {
    std::lock_guard<std::mutex> lock(mu_);
    return positions_;
  }

  // Registers `w` (its `seen` set) and replays what the ring holds after it; false when the
  // watch is behind the ring (it must catch up more first).
  bool Join(const std::shared_ptr<WatchState>& w) {
    std::lock_guard<std::mutex> lock(mu_);
    {
      std::lock_guard<std::mutex> wl(w->mu);
      for (int s = 0; s < keys::kShardCount; ++s) {
        if (Less(w->seen[s], floor_[s])) return false;
      }
      // Replayed events carry the cursors the hub had then, which may be behind what the watch
      // read by itself: merge them per event (Deliver clears the flag once it is behind).
      w->ahead = true;
    }
    for (const std::shared_ptr<const HubEvent>& e : ring_) {
      if (Matches(w->filter, e->membership)) Deliver(*w, *e, /*flush=*/false);
    }
    {
      std::lock_guard<std::mutex> wl(w->mu);
      WatchReactor::Flush(*w);
    }
    if (w->filter.unit.empty()) {
      for (int ch : w->filter.channels) by_channel_[ch].push_back(w);
    } else {
      by_unit_[w->filter.unit].push_back(w);
    }
    return true;
  }

 private:
  void Run() {
    while (!stop_.load()) {
      const absl::Time started = absl::Now();
      absl::StatusOr<std::vector<ReadEntry>> batch =
          ReadBatch(redis_.get(), positions_, 500, org_);
      if (!batch.ok()) {
        log::Warn("watch", "cannot read the streams, retrying",
                  {{"error", batch.status().ToString()}});
        absl::SleepFor(absl::Milliseconds(500));
        continue;
      }
      Process(&*batch);
      // Keeping up (no stream gave a whole COUNT): let the next events gather for one read.
      if (batch->size() < static_cast<size_t>(kReadCount)) {
        absl::SleepFor(started + options_.read_interval - absl::Now());
      }
    }
  }

  // Hands the batch to the watches and keeps it in the ring. A watch's events of one batch
  // go out together: queued first, then one response each (up to its max_events).
  void Process(std::vector<ReadEntry>* batch) {
    std::lock_guard<std::mutex> lock(mu_);
    for (ReadEntry& r : *batch) {
      if (!r.decoded.ok()) {
        log::Warn("watch", "skipping an entry that cannot be decoded",
                  {{"shard", std::to_string(r.shard)},
                   {"entry_id", r.entry_id},
                   {"error", r.decoded.status().ToString()}});
        if (!r.entry_id.empty()) positions_[r.shard] = ParsePos(r.entry_id);
        continue;
      }
      positions_[r.shard] = ParsePos(r.entry_id);
      if (!r.membership) continue;  // its ticket's fields could not be read: not sent
      auto e = std::make_shared<HubEvent>();
      e->shard = r.shard;
      e->pos = positions_[r.shard];
      e->membership = *std::move(r.membership);
      e->cursor = EncodeStreamCursor(Texts(positions_));
      e->queued = QueuedOf(r.decoded->event, e->cursor);
      Dispatch(*e);
      ring_.push_back(std::move(e));
      if (static_cast<int>(ring_.size()) > options_.ring_size) {
        floor_[ring_.front()->shard] = ring_.front()->pos;
        ring_.pop_front();
      }
    }
    for (const std::shared_ptr<WatchState>& w : touched_) {
      std::lock_guard<std::mutex> wl(w->mu);
      WatchReactor::Flush(*w);
    }
    touched_.clear();
    Sweep();
  }

  // To the watches registered on the event's units and channel only.
  void Dispatch(const HubEvent& e) {
    for (const std::string& unit : e.membership.units) {
      auto it = by_unit_.find(unit);
      if (it != by_unit_.end()) DeliverAll(&it->second, e);
    }
    auto it = by_channel_.find(e.membership.channel);
    if (it != by_channel_.end()) DeliverAll(&it->second, e);
  }
  void DeliverAll(std::vector<std::shared_ptr<WatchState>>* watches, const HubEvent& e) {
    for (size_t i = 0; i < watches->size();) {
      if (Deliver(*(*watches)[i], e, /*flush=*/false)) {
        touched_.insert((*watches)[i]);
        ++i;
      } else {
        (*watches)[i] = std::move(watches->back());
        watches->pop_back();
      }
    }
  }

  // Cuts off watches whose client has not taken a write for write_timeout, and forgets ended
  // ones.
  void Sweep() {
    const absl::Time now = absl::Now();
    if (now - last_sweep_ < absl::Milliseconds(200)) return;
    last_sweep_ = now;
    auto sweep = [&](auto& index) {
      for (auto it = index.begin(); it != index.end();) {
        auto& watches = it->second;
        for (size_t i = 0; i < watches.size();) {
          WatchState& w = *watches[i];
          bool gone;
          {
            std::lock_guard<std::mutex> lock(w.mu);
            if (!w.finished && w.writing && now - w.write_started > w.write_timeout) {
              WatchReactor::CutOffLocked(
                  w, absl::StrCat("a client took no event for ",
                                  absl::FormatDuration(w.write_timeout)));
            }
            gone = w.finished;
          }
          if (gone) {
            watches[i] = std::move(watches.back());
            watches.pop_back();
          } else {
            ++i;
          }
        }
        it = watches.empty() ? index.erase(it) : std::next(it);
      }
    };
    sweep(by_unit_);
    sweep(by_channel_);
  }

  std::unique_ptr<redis::Client> redis_;
  const org::OrgHolder* const org_;
  const Options options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Time last_sweep_ = absl::InfinitePast();
  std::mutex mu_;
  std::vector<Pos> positions_;  // the hub's place in every stream
  std::vector<Pos> floor_;      // the ring holds every processed entry after these
  std::deque<std::shared_ptr<const HubEvent>> ring_;
  std::map<std::string, std::vector<std::shared_ptr<WatchState>>> by_unit_;
  std::map<int, std::vector<std::shared_ptr<WatchState>>> by_channel_;
  std::set<std::shared_ptr<WatchState>> touched_;  // given events by this batch, not flushed
};

namespace {

class FailedWatch : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedWatch(const absl::Status& s) {
    metrics::RpcMetrics::For("IntakeService.WatchTicketEvents", "server_stream")
        .Handled(static_cast<grpc::StatusCode>(s.code()), 0);
    Finish(rpc::ToGrpcStatus(s));
  }
  void OnDone() override { delete this; }
};

// A resumed watch's catch-up: reads after its cursor with its own connection, sending what
// its filter keeps with its own cursor, until it has reached the streams' ends and the hub
// takes it (it may take a few rounds while the hub moves on).
void CatchUp(std::shared_ptr<WatchState> w, std::unique_ptr<redis::Client> redis,
             std::shared_ptr<EventWatcher::Hub> hub, const org::OrgHolder* org) {
  NameThisThread("watch-catchup");
  absl::Status status;
  std::vector<Pos> positions;
  {
    std::lock_guard<std::mutex> lock(w->mu);
    positions = w->seen;
  }
  for (;;) {
    absl::StatusOr<std::vector<ReadEntry>> batch = ReadBatch(redis.get(), positions, -1, org);
    if (!batch.ok()) {
      status = batch.status();
      break;
    }
    if (batch->empty()) {
      {
        std::lock_guard<std::mutex> lock(w->mu);
        if (w->finished) break;
        w->seen = positions;
      }
      if (hub->Join(w)) return;
      continue;  // the hub's ring moved past it meanwhile: more to read
    }
    std::unique_lock<std::mutex> lock(w->mu);
    for (ReadEntry& r : *batch) {
      if (!r.entry_id.empty()) positions[r.shard] = ParsePos(r.entry_id);
      if (!r.decoded.ok() || !r.membership || !Matches(w->filter, *r.membership)) continue;
      // Room for it first: a slow client slows its own catch-up only, and one that takes
      // nothing for write_timeout is cut off.
      while (!w->finished && static_cast<int>(w->queue.size()) >= w->max_pending / 2) {
        WatchReactor::Flush(*w);
        w->room.wait_for(lock, std::chrono::milliseconds(200));
        if (!w->finished && w->writing && absl::Now() - w->write_started > w->write_timeout) {
          WatchReactor::CutOffLocked(*w, absl::StrCat("a client took no event for ",
                                                      absl::FormatDuration(w->write_timeout)));
        }
      }
      if (!WatchReactor::OfferLocked(
              *w, QueuedOf(r.decoded->event, EncodeStreamCursor(Texts(positions))),
              /*flush=*/false)) {
        break;
      }
    }
    // The batch's events go out together (up to max_events a response).
    WatchReactor::Flush(*w);
    if (w->finished) break;
  }
  std::lock_guard<std::mutex> lock(w->mu);
  WatchReactor::FinishLocked(*w, status.ok() ? grpc::Status::CANCELLED : rpc::ToGrpcStatus(status));
}

}  // namespace

EventWatcher::EventWatcher(Connect connect, const org::OrgHolder* org, Options options)
    : connect_(std::move(connect)), org_(org), options_(options) {
  source_ = metrics::AddSource([active = active_](std::vector<prometheus::MetricFamily>* out) {
    out->push_back(metrics::GaugeSnapshot("dispatch_watch_streams",
                                          "Event watches open (gRPC streams and HTTP event streams).",
                                          {{{}, static_cast<double>(active->load())}}));
  });
}

EventWatcher::~EventWatcher() { metrics::RemoveSource(source_); }

std::shared_ptr<EventWatcher::Hub> EventWatcher::StartedHub() {
  std::lock_guard<std::mutex> lock(hub_mu_);
  if (hub_ == nullptr) {
    auto hub = std::make_shared<Hub>(connect_(), org_, options_);
    if (!hub->Start().ok()) return nullptr;
    hub_ = std::move(hub);
  }
  return hub_;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventWatcher::Watch(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* raw,
                                                               const rpc::Gate& gate,
                                                               size_t max_request_bytes) {
  const metrics::RpcMetrics& m =
      metrics::RpcMetrics::For("IntakeService.WatchTicketEvents", "server_stream");
  m.Started();
  if (absl::Status s = rpc::CheckSize(*raw, max_request_bytes, "limits.max_request_bytes");
      !s.ok()) {
    return new FailedWatch(s);
  }
  absl::StatusOr<std::shared_ptr<const auth::Caller>> caller =
      gate.Admit(ctx, "IntakeService.WatchTicketEvents");
  if (!caller.ok()) return new FailedWatch(caller.status());
  v1::WatchTicketEventsRequest request;
  if (absl::Status s = rpc::ParseRequest(*raw, &request, max_request_bytes); !s.ok()) {
    return new FailedWatch(s);
  }
  auto* watch = new GrpcWatch(ctx);
  // The gRPC stream owns itself (deleted in OnDone); the watch holds it by a non-owning
  // pointer until then.
  std::shared_ptr<WatchSink> unowned(std::shared_ptr<WatchSink>(), watch);
  if (absl::Status s = Open(**caller, request, unowned); !s.ok()) {
    delete watch;
    return new FailedWatch(s);
  }
  return watch;
}

absl::Status EventWatcher::Open(const auth::Caller& caller,
                                const v1::WatchTicketEventsRequest& request,
                                std::shared_ptr<WatchSink> sink) {
  const int max_events = request.max_events_per_response();
  if (max_events < 0 || max_events > kMaxEventsPerResponse) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_events_per_response: at most ", kMaxEventsPerResponse, " (0 or 1: one event a response)"));
  }
  std::vector<Pos> resume;
  if (!request.resume_after().token().empty()) {
    auto decoded = DecodeStreamCursor(request.resume_after().token(), "resume_after");
    if (!decoded.ok()) return decoded.status();
    for (const std::string& id : *decoded) resume.push_back(ParsePos(id));
  }
  // A person watches a subtree (the request's within its own, or its own); a gateway watches
  // the tickets of its channels.
  auto state = std::make_shared<WatchState>();
  const auth::Principal& p = caller.principal;
  if (p.Has(auth::Role::kHandler) || p.Has(auth::Role::kDispatcher) ||
      p.Has(auth::Role::kSupervisor)) {
    absl::StatusOr<std::string> unit =
        access::UnitFilter(caller, request.unit_code(), org_->Get()->model);
    if (!unit.ok()) return unit.status();
    state->filter.unit = *std::move(unit);
  } else {
    if (!request.unit_code().empty()) {
      return absl::InvalidArgumentError(
          "unit_code: a gateway watches the tickets of its own channels; leave it empty");
    }
    state->filter.channels = p.channels;
  }
  std::shared_ptr<Hub> hub = StartedHub();
  if (hub == nullptr) return absl::UnavailableError("watch: cannot read the event streams");
  if (active_->fetch_add(1) >= options_.max_watches) {
    active_->fetch_sub(1);
    return absl::ResourceExhaustedError(
        absl::StrCat("this server already serves ", options_.max_watches,
                     " watches; retry later or on another replica"));
  }
  state->max_events = std::max(max_events, 1);
  state->max_pending = options_.max_pending;
  state->write_timeout = options_.write_timeout;
  sink->state_ = state;
  sink->active_ = active_;
  state->reactor = sink.get();
  // A sink owned elsewhere (the gRPC stream) comes with no owner; another transport's is kept
  // until it is Done.
  if (sink.use_count() > 0) state->owned_sink = sink;
  if (resume.empty()) {
    // At the hub's position: within the ring unless it moved on by a whole ring meanwhile.
    do {
      state->seen = hub->Positions();
    } while (!hub->Join(state));
  } else {
    state->seen = std::move(resume);
    std::thread(CatchUp, state, connect_(), hub, org_).detach();
  }
  return absl::OkStatus();
}

}  // namespace dispatch::intake
