// EventWatcher: IntakeService.WatchTicketEvents — a server stream of ticket events (accepted,
// routed, warned, breached, escalated, resolved, ...) for a unit subtree, for dashboards and
// gateways, resumable without loss or duplicates.
//
// Each watch has its own thread and Redis connection (at most max_watches at once), blocking
// on XREAD over the 256 shard streams; an entry that cannot be decoded is logged and skipped.
// The cursor sent with every event is the position reached in every shard stream (256 stream
// entry ids, packed by common/stream_cursor.h); resuming from it delivers exactly the entries
// after those positions, so a client that stores the cursor of the last event it processed and
// reconnects with it misses nothing and sees nothing twice. Without a cursor a watch starts with
// the events that arrive after it began.
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
// A client that stops reading is dropped: when one event has not gone out for `write_timeout`
// (the HTTP/2 flow-control window of the call is full), the call is cancelled and its slot and
// Redis connection freed; the client resumes from its last cursor.
//
// Thread-safe; the watcher must outlive its watches (the server's shutdown cancels them).
#ifndef DISPATCH_SERVICES_INTAKE_WATCH_H_
#define DISPATCH_SERVICES_INTAKE_WATCH_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "services/org/org_holder.h"

namespace dispatch::intake {

class EventWatcher {
 public:
  // Opens a Redis connection of its own for one watch.
  using Connect = std::function<std::unique_ptr<redis::Client>()>;
  struct Options {
    // At most this many watches at once; more get RESOURCE_EXHAUSTED.
    int max_watches = 64;
    // A watch whose client takes no event for this long is ended.
    absl::Duration write_timeout = absl::Seconds(30);
  };
  // `org` must outlive the watcher.
  EventWatcher(Connect connect, const org::OrgHolder* org, Options options)
      : connect_(std::move(connect)), org_(org), options_(options) {}

  // Serves one WatchTicketEvents call: the request is at most `max_request_bytes`, `gate`
  // admits the caller, then the request is parsed here.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    const rpc::Gate& gate,
                                                    size_t max_request_bytes);

 private:
  Connect connect_;
  const org::OrgHolder* const org_;
  const Options options_;
  std::shared_ptr<std::atomic<int>> active_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_WATCH_H_
