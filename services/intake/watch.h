// EventWatcher: IntakeService.WatchTicketEvents — a server stream of ticket events (accepted,
// routed, warned, breached, escalated, resolved, ...) for a unit subtree, for dashboards and
// gateways, resumable without loss or duplicates.
//
// Fan-out: one reader per process (the hub: its own thread and Redis connection, started by
// the first watch) follows the 256 shard streams with XREAD, reads each event's ticket fields
// once (a pipelined HMGET per batch, not per watch), works out which units' subtrees and which
// channel the event belongs to, serializes the event and its cursor once, and hands them to
// the watches registered on those units or that channel; a watch whose filter does not match is
// never visited. Each watch has a bounded queue of events, written by gRPC's callbacks one
// response at a time (no thread per watch): one event a response, or with the request's
// max_events_per_response up to that many, those that gathered while the previous response was
// on its way or that one read brought (a response is put together from the serialized slices,
// not copied). A watch whose queue is full (max_pending events) or whose client has not taken a
// write for write_timeout is cut off (cancelled) without slowing the others; the client resumes
// from its last cursor. An entry that cannot be decoded is logged and skipped.
//
// The cursor sent with every event is the position reached in every shard stream (256 stream
// entry ids, packed by common/stream_cursor.h); resuming from it delivers exactly the entries
// after those positions. A resumed watch first catches up by itself (a thread and connection of
// its own, until it reaches the streams' ends), then joins the hub: the hub keeps the last
// ring_size events it processed and replays those the watch has not had; a watch still behind
// the ring catches up more. Without a cursor a watch starts with the events that arrive after
// it began.
//
// Access (the gate admits the call first): a person's watch (handler, dispatcher, supervisor)
// keeps the events of tickets in a unit subtree, the request's unit within the caller's own,
// or the caller's own when the request names none (access::UnitFilter; NOT_FOUND for a unit
// outside it): tickets whose current lead unit is the unit or lies below it as stored on the
// ticket (`unit`, `up`), or with an assisting unit there (`hdl`); a TicketAccepted of a ticket
// not routed yet is judged by its location. A gateway's watch keeps the events of tickets
// that came in on its channels (`ch`; tickets stored before issue 14 lack it and are not
// sent).
//
// Thread-safe; the watcher must outlive its watches (the server's shutdown cancels them).
#ifndef DISPATCH_SERVICES_INTAKE_WATCH_H_
#define DISPATCH_SERVICES_INTAKE_WATCH_H_

#include <atomic>
#include <mutex>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "dispatch/v1/intake.pb.h"
#include "services/org/org_holder.h"

namespace dispatch::intake {

struct WatchState;  // one watch's queue and place in the streams (watch.cc)

// Where a watch's responses go: the gRPC stream (watch.cc), or the HTTP gateway's server-sent
// events (services/dispatchd/gateway.cc). The watch calls StartWrite, Finish and Cancel under
// its lock (they must not block); the sink reports back with Written and, once, Done.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Sends one response (a serialized WatchTicketEventsResponse); then the sink calls
  // Written(ok): false when the client is gone. One write at a time.
  virtual void StartWrite(const grpc::ByteBuffer& response) = 0;
  // The watch is over with `status`: never while a write is in flight, at most once.
  virtual void Finish(const grpc::Status& status) = 0;
  // A client that does not keep up is cut off: ends a write stuck in flow control.
  virtual void Cancel() = 0;

  // For the sink.
  void Written(bool ok);
  // The client went away (the watch finishes CANCELLED).
  void ClientGone();
  // The transport is done with the call (after Finish): frees the watch's slot. Once.
  void Done();

 private:
  friend class EventWatcher;
  std::shared_ptr<WatchState> state_;
  std::shared_ptr<std::atomic<int>> active_;
};

class EventWatcher {
 public:
  // Opens a Redis connection of its own for one watch.
  using Connect = std::function<std::unique_ptr<redis::Client>()>;
  struct Options {
    // At most this many watches at once; more get RESOURCE_EXHAUSTED.
    int max_watches = 64;
    // A watch whose client takes no event for this long is ended.
    absl::Duration write_timeout = absl::Seconds(30);
    // A watch with this many responses waiting for its client is ended.
    int max_pending = 1000;
    // Events the hub keeps for watches that join (resume) late.
    int ring_size = 2048;
    // The hub starts a read of the streams at most this often while it keeps up (a read that
    // did not fill): a blocking read of the 256 streams costs Redis about as much for one
    // entry as for hundreds. Delays events by up to this much.
    absl::Duration read_interval = absl::Milliseconds(25);
  };
  // `org` must outlive the watcher.
  EventWatcher(Connect connect, const org::OrgHolder* org, Options options);
  ~EventWatcher();

  // Serves one WatchTicketEvents call: the request is at most `max_request_bytes`, `gate`
  // admits the caller, then the request is parsed here.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    const rpc::Gate& gate,
                                                    size_t max_request_bytes);

  // Serves one watch over another transport: `caller` was admitted to
  // IntakeService.WatchTicketEvents by the Gate; the watch writes to `sink` (which must live
  // until it has called Done) until it ends. An error means nothing was started.
  absl::Status Open(const auth::Caller& caller, const v1::WatchTicketEventsRequest& request,
                    std::shared_ptr<WatchSink> sink);

  class Hub;  // the one reader (watch.cc)

 private:
  std::shared_ptr<Hub> StartedHub();

  Connect connect_;
  const org::OrgHolder* const org_;
  const Options options_;
  std::shared_ptr<std::atomic<int>> active_ = std::make_shared<std::atomic<int>>(0);
  std::mutex hub_mu_;
  std::shared_ptr<Hub> hub_;  // started by the first watch; resumed watches share it
  int source_ = 0;            // dispatch_watch_streams
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_WATCH_H_
