#include "services/intake/watch.h"

#include <atomic>
#include <condition_variable>
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
#include "common/rpc/unary.h"
#include "common/stream_cursor.h"
#include "dispatch/v1/intake.pb.h"
#include "services/auth/access_policy.h"

namespace dispatch::intake {
namespace {

// What a watch lets through: the tickets in `unit`'s subtree (a person's watch: lead or
// assisting unit, or, not routed yet, its location), or those that came in on `channels`
// (a gateway's).
struct WatchFilter {
  std::string unit;
  std::set<int> channels;  // dispatch.v1.Channel numbers
};

// One watch: a thread that reads the streams and writes events, one write at a time.
class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(grpc::CallbackServerContext* ctx, std::unique_ptr<redis::Client> redis,
               WatchFilter filter, const org::OrgHolder* org, absl::Duration write_timeout,
               std::vector<std::string> positions, std::shared_ptr<std::atomic<int>> active)
      : ctx_(ctx),
        redis_(std::move(redis)),
        filter_(std::move(filter)),
        org_(org),
        write_timeout_(write_timeout),
        positions_(std::move(positions)),
        active_(std::move(active)) {
    std::thread([this] { Run(); }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) broken_ = true;
    cv_.notify_all();
  }
  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    broken_ = true;
    cv_.notify_all();
  }
  void OnDone() override { delete this; }

 private:
  bool Broken() {
    std::lock_guard<std::mutex> lock(mu_);
    return broken_;
  }

  // Writes one response and waits until it is sent; false when the call is over. A client
  // that does not take the write within write_timeout (it stopped reading: the call's
  // flow-control window is full) is cut off: the call is cancelled.
  bool Send(const v1::WatchTicketEventsResponse& response) {
    rpc::SerializeResponse(response, &out_);
    std::unique_lock<std::mutex> lock(mu_);
    if (broken_) return false;
    writing_ = true;
    StartWrite(&out_);
    if (!cv_.wait_for(lock, absl::ToChronoMilliseconds(write_timeout_),
                      [this] { return !writing_; })) {
      fprintf(stderr, "watch: a client took no event for %s; ending its watch\n",
              absl::FormatDuration(write_timeout_).c_str());
      broken_ = true;
      ctx_->TryCancel();
    }
    // After a cancellation a started write still completes (OnWriteDone) before OnDone.
    cv_.wait(lock, [this] { return !writing_; });
    return !broken_;
  }

  // Whether an event of a ticket whose stored fields `unit`, `up` (its ancestors), `hdl` (its
  // handlings) and `ch` (its channel) are `f` (an HMGET reply), or, for a TicketAccepted,
  // `accepted`, passes the filter.
  bool Wanted(const std::vector<redis::Reply>& f, const v1::TicketAccepted* accepted) const {
    if (filter_.unit.empty()) {
      int64_t ch = 0;
      if (accepted != nullptr) {
        ch = accepted->channel();
      } else if (!f[3].is_nil()) {
        absl::SimpleAtoi(f[3].str, &ch);
      }
      return filter_.channels.count(static_cast<int>(ch)) > 0;
    }
    const std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
    const std::string& root = filter_.unit;
    if (f[0].is_nil() || f[0].str.empty()) {
      // Not routed yet: judged by its location, so a county's live watch sees it arrive.
      return accepted != nullptr && access::LocationIn(accepted->location(), root, org->model);
    }
    if (f[0].str == root) return true;
    for (absl::string_view a : absl::StrSplit(f[1].str, ',', absl::SkipEmpty())) {
      if (a == root) return true;
    }
    // An assisting unit in the subtree: "<unit>:<Department>:<HandlingRole>" joined by ';'.
    const std::string assist = absl::StrCat(":", v1::HANDLING_ROLE_ASSIST);
    for (absl::string_view h : absl::StrSplit(f[2].str, ';', absl::SkipEmpty())) {
      if (!absl::EndsWith(h, assist)) continue;
      const std::string unit(h.substr(0, h.find(':')));
      if (org->model.InSubtree(unit, root)) return true;
    }
    return false;
  }

  // Starting positions when the client gave no cursor: the current end of every stream.
  absl::Status StartAtEnd() {
    absl::StatusOr<std::vector<std::string>> ends = EventStreamEnds(redis_.get());
    if (!ends.ok()) return ends.status();
    positions_ = *std::move(ends);
    return absl::OkStatus();
  }

  void Run() {
    absl::Status status;
    if (positions_.empty()) status = StartAtEnd();
    while (status.ok() && !Broken()) {
      std::vector<std::string> argv = {"XREAD", "COUNT", "200", "BLOCK", "500", "STREAMS"};
      for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(keys::Events(s));
      for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(positions_[s]);
      auto r = redis_->ExecuteSync(std::move(argv));
      if (!r.ok()) {
        status = r.status();
        break;
      }
      if (!r->is_array()) continue;  // timed out: nothing new
      // (entries of one stream come in order; the streams in any order)
      for (const redis::Reply& stream : r->elements) {
        std::optional<int> found = keys::ShardOfKey(stream.elements[0].str);
        if (!found) continue;  // XREAD answers only for the keys it was given
        int shard = *found;
        const auto& entries = stream.elements[1].elements;
        // Entries that cannot be decoded are skipped (and logged), never allowed to stop every
        // watch that reaches them.
        std::vector<absl::StatusOr<EventEntry>> decoded;
        for (const redis::Reply& item : entries) decoded.push_back(DecodeEventEntry(item));
        // Whether each ticket in this batch passes the filter now (pipelined reads of the
        // fields it looks at).
        std::vector<bool> wanted(entries.size(), false);
        {
          std::vector<std::vector<std::string>> reads;
          std::vector<size_t> read_for;  // entry index of each read
          for (size_t i = 0; i < entries.size(); ++i) {
            if (!decoded[i].ok()) continue;
            reads.push_back(
                {"HMGET", keys::Ticket(shard, decoded[i]->ticket_id), "unit", "up", "hdl", "ch"});
            read_for.push_back(i);
          }
          std::vector<absl::StatusOr<redis::Reply>> u = redis_->ExecuteAllSync(std::move(reads));
          for (size_t j = 0; j < u.size(); ++j) {
            const size_t i = read_for[j];
            if (!u[j].ok() || u[j]->elements.size() != 4) continue;  // unknown: not sent
            const v1::TicketEvent& event = decoded[i]->event;
            wanted[i] = Wanted(u[j]->elements, event.has_accepted() ? &event.accepted() : nullptr);
          }
        }
        for (size_t i = 0; i < entries.size(); ++i) {
          if (!decoded[i].ok()) {
            fprintf(stderr, "watch: skipping an entry of shard %d: %s\n", shard,
                    decoded[i].status().ToString().c_str());
            if (entries[i].is_array() && !entries[i].elements.empty()) {
              positions_[shard] = entries[i].elements[0].str;
            }
            continue;
          }
          EventEntry& e = *decoded[i];
          positions_[shard] = e.entry_id;
          if (!wanted[i]) continue;
          v1::WatchTicketEventsResponse response;
          *response.mutable_event() = std::move(e.event);
          response.mutable_cursor()->set_token(EncodeStreamCursor(positions_));
          if (!Send(response)) return Done(grpc::Status::CANCELLED);
        }
      }
    }
    // Reached only on an error or a cancellation; a cancelled call ignores the status.
    Done(status.ok() ? grpc::Status::CANCELLED : rpc::ToGrpcStatus(status));
  }

  // The last thing the thread does: release the watch slot and finish the call.
  void Done(const grpc::Status& status) {
    active_->fetch_sub(1);
    Finish(status);
  }

  grpc::CallbackServerContext* const ctx_;
  std::unique_ptr<redis::Client> redis_;
  const WatchFilter filter_;
  const org::OrgHolder* const org_;
  const absl::Duration write_timeout_;
  std::vector<std::string> positions_;
  std::shared_ptr<std::atomic<int>> active_;
  grpc::ByteBuffer out_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool writing_ = false;
  bool broken_ = false;
};

class FailedWatch : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedWatch(const absl::Status& s) { Finish(rpc::ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventWatcher::Watch(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* raw,
                                                               const rpc::Gate& gate,
                                                               size_t max_request_bytes) {
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
  std::vector<std::string> positions;
  if (!request.resume_after().token().empty()) {
    auto decoded = DecodeStreamCursor(request.resume_after().token(), "resume_after");
    if (!decoded.ok()) return new FailedWatch(decoded.status());
    positions = *std::move(decoded);
  }
  // A person watches a subtree (the request's within its own, or its own); a gateway watches
  // the tickets of its channels.
  WatchFilter filter;
  const auth::Principal& p = (*caller)->principal;
  if (p.Has(auth::Role::kHandler) || p.Has(auth::Role::kDispatcher) ||
      p.Has(auth::Role::kSupervisor)) {
    absl::StatusOr<std::string> unit =
        access::UnitFilter(**caller, request.unit_code(), org_->Get()->model);
    if (!unit.ok()) return new FailedWatch(unit.status());
    filter.unit = *std::move(unit);
  } else {
    if (!request.unit_code().empty()) {
      return new FailedWatch(absl::InvalidArgumentError(
          "unit_code: a gateway watches the tickets of its own channels; leave it empty"));
    }
    filter.channels = p.channels;
  }
  if (active_->fetch_add(1) >= options_.max_watches) {
    active_->fetch_sub(1);
    return new FailedWatch(absl::ResourceExhaustedError(
        absl::StrCat("this server already serves ", options_.max_watches,
                     " watches; retry later or on another replica")));
  }
  return new WatchReactor(ctx, connect_(), std::move(filter), org_, options_.write_timeout,
                          std::move(positions), active_);
}

}  // namespace dispatch::intake
