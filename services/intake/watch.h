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
// the events that arrive after it began. A unit filter keeps the events of tickets whose
// current responsible unit is in the subtree (code prefix, see queries.h).
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
#include "common/redis/redis_client.h"

namespace dispatch::intake {

class EventWatcher {
 public:
  // Opens a Redis connection of its own for one watch.
  using Connect = std::function<std::unique_ptr<redis::Client>()>;
  // At most `max_watches` watches at once; more get RESOURCE_EXHAUSTED.
  explicit EventWatcher(Connect connect, int max_watches = 64)
      : connect_(std::move(connect)), max_watches_(max_watches) {}

  // Serves one WatchTicketEvents call (the raw request is parsed here).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request);

 private:
  Connect connect_;
  const int max_watches_;
  std::shared_ptr<std::atomic<int>> active_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_WATCH_H_
