#include "services/intake/watch.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/unit_code.h"
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
  WatchReactor(std::unique_ptr<redis::Client> redis, std::string unit,
               std::vector<std::string> positions, std::shared_ptr<std::atomic<int>> active)
      : redis_(std::move(redis)),
        unit_(std::move(unit)),
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

  // Writes one response and waits until it is sent; false when the call is over.
  bool Send(const v1::WatchTicketEventsResponse& response) {
    rpc::SerializeResponse(response, &out_);
    std::unique_lock<std::mutex> lock(mu_);
    if (broken_) return false;
    writing_ = true;
    StartWrite(&out_);
    // After a cancellation a started write still completes (OnWriteDone) before OnDone.
    cv_.wait(lock, [this] { return !writing_; });
    return !broken_;
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
        // The current unit of each ticket in this batch, for the subtree filter (pipelined).
        std::vector<std::string> units(entries.size());
        if (!unit_.empty()) {
          std::vector<std::vector<std::string>> reads;
          std::vector<size_t> read_for;  // entry index of each read
          for (size_t i = 0; i < entries.size(); ++i) {
            if (!decoded[i].ok()) continue;
            reads.push_back({"HGET", keys::Ticket(shard, decoded[i]->ticket_id), "unit"});
            read_for.push_back(i);
          }
          std::vector<absl::StatusOr<redis::Reply>> u = redis_->ExecuteAllSync(std::move(reads));
          for (size_t j = 0; j < u.size(); ++j) {
            const size_t i = read_for[j];
            if (!u[j].ok()) continue;  // unknown: not sent
            if (!u[j]->is_nil()) {
              units[i] = u[j]->str;
            } else if (decoded[i]->event.has_accepted()) {
              // Not routed yet (the hash has no unit): its TicketAccepted is judged by the
              // community its location names, so a county's live watch sees it arrive.
              units[i] = decoded[i]->event.accepted().location().jurisdiction().community_code();
            }
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
          if (!unit_.empty() && !InUnitSubtree(units[i], unit_)) continue;
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

  std::unique_ptr<redis::Client> redis_;
  const std::string unit_;
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
                                                               const grpc::ByteBuffer* raw) {
  v1::WatchTicketEventsRequest request;
  if (absl::Status s = rpc::ParseRequest(*raw, &request); !s.ok()) return new FailedWatch(s);
  std::vector<std::string> positions;
  if (!request.resume_after().token().empty()) {
    auto decoded = DecodeStreamCursor(request.resume_after().token(), "resume_after");
    if (!decoded.ok()) return new FailedWatch(decoded.status());
    positions = *std::move(decoded);
  }
  if (active_->fetch_add(1) >= max_watches_) {
    active_->fetch_sub(1);
    return new FailedWatch(absl::ResourceExhaustedError(absl::StrCat(
        "this server already serves ", max_watches_, " watches; retry later or on another replica")));
  }
  return new WatchReactor(connect_(), request.unit_code(), std::move(positions), active_);
}

}  // namespace dispatch::intake
