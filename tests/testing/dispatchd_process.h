// Dispatchd: the real dispatchd binary (DISPATCHD_BINARY) as a child process for tests, on
// port 0; learns the port from its start-up line. Killed (SIGKILL) in the destructor.
#ifndef DISPATCH_TESTS_TESTING_DISPATCHD_PROCESS_H_
#define DISPATCH_TESTS_TESTING_DISPATCHD_PROCESS_H_

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"

namespace dispatch::testing {

// Runs dispatchd on port 0 and learns the port from its start-up line.
class Dispatchd {
 public:
  explicit Dispatchd(std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) return;
    args.insert(args.begin(), DISPATCHD_BINARY);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    std::string line = ReadLine();
    size_t at = line.find("(port ");
    if (at != std::string::npos) {
      (void)absl::SimpleAtoi(line.substr(at + 6, line.find(')', at) - at - 6), &port_);
    }
  }
  ~Dispatchd() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  std::string ReadLine() {
    char buf[512];
    return fgets(buf, sizeof buf, out_) != nullptr ? buf : "";
  }
  int port() const { return port_; }
  // SIGKILL, as a crash would: no shutdown code runs.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Sends SIGTERM and returns the exit status.
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
};

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_DISPATCHD_PROCESS_H_
