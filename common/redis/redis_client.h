// RedisClient: the boundary between the service and Redis.
//
// Commands are argv vectors (binary-safe: any byte may appear in any argument). Execute() is
// asynchronous: it queues the command and calls `done` exactly once, on a client thread, with
// the reply or an error. `done` must not block; it may call Execute() again. Commands queued on
// one client may be pipelined and batched; replies are delivered in the order the commands
// were sent on their connection, but callers must not rely on ordering between calls.
//
// Errors:
//   UNAVAILABLE        cannot connect, connection lost, timed out, or Redis is LOADING/BUSY.
//                      A command that failed this way may or may not have been applied: every
//                      write the service sends is idempotent so that a retry is safe.
//                      Also NOAUTH / WRONGPASS / NOPERM: Redis refused our credentials
//                      (configuration, named in the message).
//   RESOURCE_EXHAUSTED Redis answered OOM (maxmemory reached, noeviction): it refused the
//                      command whole (a script that may write never starts), nothing written.
//   INTERNAL           any other error reply (a bug: a wrong command or a script error).
// Top-level Redis error replies never arrive as Reply values.
//
// Implementations: HiredisClient (common/redis/hiredis_client.h). Thread-safe.
#ifndef DISPATCH_COMMON_REDIS_REDIS_CLIENT_H_
#define DISPATCH_COMMON_REDIS_REDIS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dispatch::redis {

// One reply, decoded. Strings are binary-safe.
struct Reply {
  // kError only appears nested inside an array (e.g. a script returning an error element);
  // a top-level error reply is a Status, never a Reply.
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

using Callback = std::function<void(absl::StatusOr<Reply>)>;

// A command's argv, shared so that a retry (EVALSHA -> EVAL) needs no copy of its arguments.
using Command = std::shared_ptr<std::vector<std::string>>;

// A Lua script, sent by SHA1 (EVALSHA) and re-sent whole when Redis answers NOSCRIPT (after a
// restart or SCRIPT FLUSH). Immutable; share one instance per script.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // lowercase hex
};

class Client {
 public:
  virtual ~Client() = default;

  // Queues `command`; the client keeps it alive until `done` has run.
  virtual void Send(Command command, Callback done) = 0;

  void Execute(std::vector<std::string> argv, Callback done) {
    Send(std::make_shared<std::vector<std::string>>(std::move(argv)), std::move(done));
  }

  // EVALSHA script.sha1 keys args, falling back to EVAL on NOSCRIPT. `script` must outlive the
  // call (scripts are long-lived constants).
  void Eval(const Script& script, std::vector<std::string> keys, std::vector<std::string> args,
            Callback done);

  // Blocks the calling thread until the reply arrives. Never call it from a Callback.
  absl::StatusOr<Reply> ExecuteSync(std::vector<std::string> argv);
  // Sends every command at once (they share round trips) and blocks until all have answered;
  // the replies in the order of `commands`. Never call it from a Callback.
  std::vector<absl::StatusOr<Reply>> ExecuteAllSync(
      std::vector<std::vector<std::string>> commands);
  absl::StatusOr<Reply> EvalSync(const Script& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args);
};

// Maps a Redis error reply text ("ERR ...", "OOM ...") to a Status (see the table above).
absl::Status StatusFromErrorReply(absl::string_view error);

// Lowercase hex SHA-1 of `data` (for EVALSHA).
std::string Sha1Hex(absl::string_view data);

}  // namespace dispatch::redis

#endif  // DISPATCH_COMMON_REDIS_REDIS_CLIENT_H_
