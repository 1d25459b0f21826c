#include "common/testing/redis_server.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dispatch::testing {

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
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> args = {"redis-server", "--port",      "0",
                                   "--unixsocket", socket_path_,  "--unixsocketperm",
                                   "700",          "--dir",       dir_,
                                   "--save",       "",            "--appendonly",
                                   "no",           "--logfile",   "",
                                   "--daemonize",  "no",          "--maxmemory-policy",
                                   "noeviction"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
  // Block on the server's log until it is ready (or dies).
  FILE* log = fdopen(out[0], "r");
  std::string seen;
  char line[1024];
  bool ready = false;
  while (fgets(line, sizeof line, log) != nullptr) {
    seen += line;
    if (absl::StrContains(absl::AsciiStrToLower(line), "ready to accept connections")) {
      ready = true;
      break;
    }
  }
  if (!ready) {
    fclose(log);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return absl::InternalError(absl::StrCat("redis-server did not start:\n", seen));
  }
  // Keep the pipe open (closing it would SIGPIPE the server); redis logs little after start,
  // far less than a pipe holds during one test.
  log_ = log;
  return absl::OkStatus();
}

absl::Status RedisServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (log_ != nullptr) fclose(log_);
  log_ = nullptr;
  return absl::OkStatus();
}

}  // namespace dispatch::testing
