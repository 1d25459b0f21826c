// RedisServer: a real redis-server for tests, started and stopped by the test itself.
//
// Start() launches Debian's redis-server on a unix socket inside a fresh temporary directory
// (no TCP port, so parallel tests never collide) and returns once the server logs that it is
// ready to accept connections — no sleeping (it gives up after 20 s). Stop() shuts it down;
// Start() again brings it back on the same socket with the same data directory, which is how
// tests simulate a Redis outage. Persistence is off unless `extra_args` turn it on, so the data
// comes back only if the test saved it (SAVE) before Stop(). The destructor stops the server
// and removes the directory. Not thread-safe.
#ifndef DISPATCH_COMMON_TESTING_REDIS_SERVER_H_
#define DISPATCH_COMMON_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/redis/hiredis_client.h"

namespace dispatch::testing {

class RedisServer {
 public:
  // `extra_args` are passed to redis-server, e.g. {"--appendonly", "yes"}.
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // More arguments for the next Start().
  void AddArgs(const std::vector<std::string>& args) {
    extra_args_.insert(extra_args_.end(), args.begin(), args.end());
  }

  absl::Status Start();
  absl::Status Stop();

  // "unix:///tmp/redis-test-XXXX/redis.sock"
  std::string address() const { return "unix://" + socket_path_; }
  // Options for a client of this server (defaults otherwise).
  redis::HiredisOptions client_options() const {
    redis::HiredisOptions o;
    o.address = *redis::ParseAddress(address());
    return o;
  }
  const std::string& socket_path() const { return socket_path_; }

 private:
  std::vector<std::string> extra_args_;
  std::string dir_;
  std::string socket_path_;
  pid_t pid_ = -1;
  int log_fd_ = -1;  // read end of the server's stdout
};

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_REDIS_SERVER_H_
