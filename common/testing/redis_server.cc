#include "common/testing/redis_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dispatch::testing {
namespace {

// How long a starting redis-server may take to say it is ready.
constexpr int kStartTimeoutMs = 20000;

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/redis-test-XXXXXX");
  char* made = mkdtemp(pattern.data());
  if (made != nullptr) dir_ = made;
  socket_path_ = dir_ + "/redis.sock";
}

RedisServer::~RedisServer() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status RedisServer::Start() {
  if (dir_.empty()) return absl::InternalError("cannot create a temporary directory for redis");
  if (pid_ > 0) return absl::FailedPreconditionError("redis-server already running");
  std::vector<std::string> args = {"redis-server", "--port",      "0",
                                   "--unixsocket", socket_path_,  "--unixsocketperm",
                                   "700",          "--dir",       dir_,
                                   "--save",       "",            "--appendonly",
                                   "no",           "--logfile",   "",
                                   "--daemonize",  "no",          "--maxmemory-policy",
                                   "noeviction"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  // Everything the child needs is built before fork(): a multi-threaded parent's child may only
  // make async-signal-safe calls.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);  // dup2 clears close-on-exec on the copy
    execvp("redis-server", argv.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
  log_fd_ = out[0];

  // Read the server's log until it is ready, it exits, or the timeout passes.
  std::string seen;
  char buf[4096];
  for (;;) {
    pollfd p = {log_fd_, POLLIN, 0};
    int ready = poll(&p, 1, kStartTimeoutMs);
    ssize_t n = ready > 0 ? read(log_fd_, buf, sizeof buf) : -1;
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    if (absl::StrContains(absl::AsciiStrToLower(seen), "ready to accept connections")) {
      return absl::OkStatus();
    }
  }
  (void)Stop();
  return absl::InternalError(absl::StrCat("redis-server did not become ready:\n", seen));
}

absl::Status RedisServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  // Drain its log until it exits, so it can never block on a full pipe while shutting down.
  char buf[4096];
  while (read(log_fd_, buf, sizeof buf) > 0) {
  }
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  close(log_fd_);
  log_fd_ = -1;
  return absl::OkStatus();
}

}  // namespace dispatch::testing
