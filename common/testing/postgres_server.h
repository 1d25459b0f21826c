// PostgresServer: a real PostgreSQL 15 (Debian's) for tests, started and stopped by the test.
//
// Start() makes a cluster with initdb in a fresh temporary directory (once per object), starts
// `postgres` on a unix socket in that directory (no TCP, so parallel tests never collide) and
// returns once the server says it is ready to accept connections (it gives up after 30 s).
// Durability against a machine crash is traded for speed (fsync off), not against a process
// crash: a commit has reached the operating system when it returns (synchronous_commit stays
// on), so a test that kills the server with Kill() and starts it again finds every committed
// transaction, recovered from the WAL. Stop() shuts it down fast;
// Start() again brings it back with the same data. The destructor stops it and removes the
// directory. PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres`
// user (Debian's package creates it) and the server runs as that user. The superuser is
// always called "postgres" and trusted on the socket. Not thread-safe.
#ifndef DISPATCH_COMMON_TESTING_POSTGRES_SERVER_H_
#define DISPATCH_COMMON_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dispatch::testing {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  absl::Status Start();
  // Fast shutdown (SIGINT): open transactions are rolled back.
  absl::Status Stop();
  // SIGKILL of the postmaster and every backend (by pid: backends call setsid()): a crash.
  absl::Status Kill();

  // A connection string for `database` ("postgres" exists from the start).
  std::string conninfo(const std::string& database = "postgres") const;
  // A new, empty database; returns its connection string.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  const std::string& socket_dir() const { return dir_; }

 private:
  absl::Status InitDb();

  std::string dir_;
  bool initialised_ = false;
  pid_t pid_ = -1;
  int log_fd_ = -1;  // read end of the server's stderr
};

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_POSTGRES_SERVER_H_
