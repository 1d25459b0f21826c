// HiredisClient: a RedisClient over hiredis with a small pool of pipelined connections.
//
// Each connection has one I/O thread. Commands queue on a connection (round-robin); its thread
// takes everything queued (up to max_batch), writes it in one go, then reads the replies in
// order and runs the callbacks. Under load batches grow by themselves, so many concurrent RPCs
// share round trips instead of serialising on one connection.
//
// A new connection authenticates first (AUTH, when HiredisOptions has a password).
// A connection that fails (connect error, I/O error, timeout) fails its batch with UNAVAILABLE
// and reconnects when the next command arrives; there is no global back-off, so the service
// serves again as soon as Redis is back, without a restart. A connection Redis closed while it
// sat idle (restart, failover, CLIENT KILL, idle timeout) is replaced before its next batch.
//
// Thread-safe. The destructor sends what is still queued, then joins the threads; commands
// sent after destruction began fail at once, on the caller's thread, with UNAVAILABLE. Constructing a client sets SIGPIPE to SIG_IGN for
// the process (hiredis writes with write(2), and a vanished peer must be an error, not death).
#ifndef DISPATCH_COMMON_REDIS_HIREDIS_CLIENT_H_
#define DISPATCH_COMMON_REDIS_HIREDIS_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace dispatch::redis {

struct Address {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // kTcp
  int port = 0;      // kTcp
  std::string path;  // kUnix

  std::string ToString() const;
};

// "tcp://127.0.0.1:6379", "127.0.0.1:6379" or "unix:///run/redis.sock".
absl::StatusOr<Address> ParseAddress(absl::string_view spec);

struct HiredisOptions {
  Address address;
  int pool_size = 2;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(2);
  int max_batch = 256;
  // Commands that may wait per connection; beyond that Send fails at once with UNAVAILABLE
  // (Redis is down or far behind: fail fast instead of growing memory and latency).
  int max_queue = 100000;
  // AUTH on every new connection when `password` is set: as the ACL user `username`, or the
  // default user when it is empty. A refused AUTH fails the batch with UNAVAILABLE naming the
  // user (never the password).
  std::string username;
  std::string password;
  // The client's name in the metrics (dispatch_redis_roundtrip_seconds{client},
  // dispatch_redis_errors_total{client,kind}): "rpc", "timers", "projector", ...
  std::string name = "rpc";
};

class HiredisClient : public Client {
 public:
  explicit HiredisClient(HiredisOptions options);
  ~HiredisClient() override;
  HiredisClient(const HiredisClient&) = delete;
  HiredisClient& operator=(const HiredisClient&) = delete;

  void Send(Command command, Callback done) override;

 private:
  class Connection;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<unsigned> next_{0};
};

}  // namespace dispatch::redis

#endif  // DISPATCH_COMMON_REDIS_HIREDIS_CLIENT_H_
