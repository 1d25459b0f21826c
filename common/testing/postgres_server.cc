#include "common/testing/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pg/pg_client.h"

namespace dispatch::testing {
namespace {

constexpr int kStartTimeoutMs = 30000;

std::string BinDir() {
  if (const char* d = getenv("DISPATCH_PG_BINDIR"); d != nullptr && *d != '\0') return d;
  return "/usr/lib/postgresql/15/bin";
}

// The user the cluster belongs to: ourselves, or `postgres` when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<RunAs> ServerUser() {
  RunAs r;
  if (geteuid() != 0) return r;
  passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return absl::FailedPreconditionError(
        "running as root, and there is no postgres user to run PostgreSQL as (install Debian's "
        "postgresql-15)");
  }
  r.switch_user = true;
  r.uid = pw->pw_uid;
  r.gid = pw->pw_gid;
  return r;
}

// Forks and execs `args` as `as`, in its own process group, stdout and stderr to `log_path`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const RunAs& as,
                            const std::string& log_path) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));
  if (as.switch_user && fchown(log, as.uid, as.gid) != 0) {
    close(log);
    return absl::InternalError(absl::StrCat("cannot chown ", log_path));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    setpgid(0, 0);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    if (as.switch_user && (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 ||
                           setuid(as.uid) != 0)) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log);
  return pid;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The pids whose parent is `parent`, from /proc.
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadAll(e.path().string() + "/stat");
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// Whether `pid` still runs (a zombie waiting for its new parent to reap it does not).
bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  const std::string stat = ReadAll(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

}  // namespace

PostgresServer::PostgresServer() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/pg-test-XXXXXX");
  char* made = mkdtemp(pattern.data());
  if (made != nullptr) dir_ = made;
}

PostgresServer::~PostgresServer() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status PostgresServer::InitDb() {
  absl::StatusOr<RunAs> as = ServerUser();
  if (!as.ok()) return as.status();
  if (as->switch_user && chown(dir_.c_str(), as->uid, as->gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot chown ", dir_, " to postgres"));
  }
  const std::string log = dir_ + "/initdb.log";
  absl::StatusOr<pid_t> pid =
      Spawn({BinDir() + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E",
             "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            *as, log);
  if (!pid.ok()) return pid.status();
  int status = 0;
  waitpid(*pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("initdb failed:\n", ReadAll(log)));
  }
  initialised_ = true;
  return absl::OkStatus();
}

absl::Status PostgresServer::Start() {
  if (dir_.empty()) return absl::InternalError("cannot create a temporary directory for postgres");
  if (pid_ > 0) return absl::FailedPreconditionError("postgres already running");
  if (!initialised_) {
    if (absl::Status s = InitDb(); !s.ok()) return s;
  }
  absl::StatusOr<RunAs> as = ServerUser();
  if (!as.ok()) return as.status();
  const std::string log = dir_ + "/server.log";
  const size_t log_before = ReadAll(log).size();
  absl::StatusOr<pid_t> pid = Spawn(
      {BinDir() + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-c", "listen_addresses=",
       "-c", "fsync=off", "-c", "full_page_writes=off", "-c",
       "max_connections=60", "-c", "shared_buffers=32MB", "-c", "logging_collector=off"},
      *as, log);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  // Wait for this start's "ready to accept connections" (or the server's exit).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = ReadAll(log);
    if (text.size() > log_before &&
        absl::StrContains(text.substr(log_before), "ready to accept connections")) {
      return absl::OkStatus();
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("postgres exited at start:\n", text.substr(log_before)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (void)Kill();
  return absl::InternalError(
      absl::StrCat("postgres did not become ready:\n", ReadAll(log).substr(log_before)));
}

absl::Status PostgresServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGINT);  // fast shutdown
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PostgresServer::Kill() {
  if (pid_ <= 0) return absl::OkStatus();
  // Every backend calls setsid() (InitPostmasterChild), so the postmaster's process group is
  // the postmaster alone: a backend outlives a group kill until it notices, and may still
  // answer a statement. Freeze the postmaster so it forks nothing more, kill its children by
  // pid, then the postmaster.
  kill(pid_, SIGSTOP);
  const std::vector<pid_t> children = ChildrenOf(pid_);
  for (pid_t c : children) kill(c, SIGKILL);
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // The children are not ours to reap: wait until each is gone (or a zombie) so none still
  // holds the shared memory or the socket when the server starts again.
  for (pid_t c : children) {
    for (int i = 0; i < 500 && Alive(c); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return absl::OkStatus();
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return absl::StrCat("host=", dir_, " port=5432 user=postgres dbname=", database);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  pg::Options o;
  o.conninfo = conninfo();
  absl::StatusOr<std::unique_ptr<pg::Connection>> c = pg::Connection::Open(o);
  if (!c.ok()) return c.status();
  if (absl::Status s = (*c)->Exec(absl::StrCat("CREATE DATABASE \"", name, "\"")).status(); !s.ok()) {
    return s;
  }
  return conninfo(name);
}

}  // namespace dispatch::testing
