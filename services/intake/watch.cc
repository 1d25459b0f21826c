#include "services/intake/watch.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/rpc/unary.h"
#include "common/stream_cursor.h"
#include "dispatch/v1/intake.pb.h"

namespace dispatch::intake {
namespace {

// One watch: a thread that reads the streams and writes events, one write at a time.
class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(grpc::CallbackServerContext* ctx, std::unique_ptr<redis::Client> redis,
               std::string unit, const org::OrgHolder* org, absl::Duration write_timeout,
               std::vector<std::string> positions, std::shared_ptr<std::atomic<int>> active)
      : ctx_(ctx),
        redis_(std::move(redis)),
        unit_(std::move(unit)),
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

  // Whether an event of a ticket whose stored `unit` and ancestors `up` (HMGET replies) are
  // given, or, not routed yet, whose location names `community`, belongs to the subtree.
  bool InSubtree(const redis::Reply& unit, const redis::Reply& up,
                 const std::string& community) const {
    if (unit.is_nil() || unit.str.empty()) {
      return !community.empty() && org_->Get()->model.InSubtree(community, unit_);
    }
    if (unit.str == unit_) return true;
    for (absl::string_view a : absl::StrSplit(up.str, ',', absl::SkipEmpty())) {
      if (a == unit_) return true;
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
        // Whether each ticket in this batch is in the subtree now (pipelined reads of its
        // unit and that unit's ancestors).
        std::vector<bool> wanted(entries.size(), unit_.empty());
        if (!unit_.empty()) {
          std::vector<std::vector<std::string>> reads;
          std::vector<size_t> read_for;  // entry index of each read
          for (size_t i = 0; i < entries.size(); ++i) {
            if (!decoded[i].ok()) continue;
            reads.push_back({"HMGET", keys::Ticket(shard, decoded[i]->ticket_id), "unit", "up"});
            read_for.push_back(i);
          }
          std::vector<absl::StatusOr<redis::Reply>> u = redis_->ExecuteAllSync(std::move(reads));
          for (size_t j = 0; j < u.size(); ++j) {
            const size_t i = read_for[j];
            if (!u[j].ok() || u[j]->elements.size() != 2) continue;  // unknown: not sent
            // Not routed yet (the hash has no unit): its TicketAccepted is judged by the
            // community its location names, so a county's live watch sees it arrive.
            const std::string community =
                decoded[i]->event.has_accepted()
                    ? decoded[i]->event.accepted().location().jurisdiction().community_code()
                    : "";
            wanted[i] = InSubtree(u[j]->elements[0], u[j]->elements[1], community);
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
  const std::string unit_;
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
                                                               size_t max_request_bytes) {
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
  if (!request.unit_code().empty() &&
      org_->Get()->model.FindUnit(request.unit_code()) == nullptr) {
    return new FailedWatch(absl::NotFoundError(absl::StrCat(
        "unit_code: no unit \"", request.unit_code(), "\" in the organisation")));
  }
  if (active_->fetch_add(1) >= options_.max_watches) {
    active_->fetch_sub(1);
    return new FailedWatch(absl::ResourceExhaustedError(
        absl::StrCat("this server already serves ", options_.max_watches,
                     " watches; retry later or on another replica")));
  }
  return new WatchReactor(ctx, connect_(), request.unit_code(), org_, options_.write_timeout,
                          std::move(positions), active_);
}

}  // namespace dispatch::intake
