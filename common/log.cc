#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/text.h"

namespace dispatch::log {
namespace {

void AppendJsonString(absl::string_view raw, std::string* out) {
  std::string s(raw);
  if (!IsValidUtf8(s)) {
    for (char& c : s) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';  // not text: keep the line valid JSON
    }
  }
  out->append(JsonQuote(s));
}

void AppendField(absl::string_view key, absl::string_view value, std::string* out) {
  out->push_back(',');
  AppendJsonString(key, out);
  out->push_back(':');
  AppendJsonString(value, out);
}

std::atomic<bool> access_on{false}, audit_on{false};

struct Files {
  std::mutex mu;
  std::string access_path, audit_path;
  int access = -1, audit = -1;
};
Files& TheFiles() {
  static auto* f = new Files();
  return *f;
}

void WriteAll(int fd, const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n <= 0) return;  // a log that cannot be written must not stop the service
    off += static_cast<size_t>(n);
  }
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

void Operational(absl::string_view level, absl::string_view component, absl::string_view msg,
                 std::initializer_list<Field> fields) {
  static std::mutex mu;
  const std::string line = Line(level, component, msg, fields);
  std::lock_guard<std::mutex> lock(mu);
  WriteAll(STDERR_FILENO, line);
}

int OpenAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

// time, then the non-empty fields of `head`, then `fields`.
std::string Compose(std::initializer_list<Field> head, std::initializer_list<Field> fields) {
  std::string out = "{\"time\":\"";
  out += Now();
  out += "\"";
  for (const Field& f : head) {
    if (!f.second.empty()) AppendField(f.first, f.second, &out);
  }
  for (const Field& f : fields) AppendField(f.first, f.second, &out);
  out += "}\n";
  return out;
}

}  // namespace

std::string Line(absl::string_view level, absl::string_view component, absl::string_view msg,
                 std::initializer_list<Field> fields) {
  return Compose({{"level", std::string(level)},
                  {"component", std::string(component)},
                  {"msg", std::string(msg)}},
                 fields);
}

void Info(absl::string_view component, absl::string_view msg, std::initializer_list<Field> fields) {
  Operational("info", component, msg, fields);
}
void Warn(absl::string_view component, absl::string_view msg, std::initializer_list<Field> fields) {
  Operational("warning", component, msg, fields);
}
void Error(absl::string_view component, absl::string_view msg,
           std::initializer_list<Field> fields) {
  Operational("error", component, msg, fields);
}

bool AccessEnabled() { return access_on.load(std::memory_order_relaxed); }
bool AuditEnabled() { return audit_on.load(std::memory_order_relaxed); }

void Access(std::initializer_list<Field> fields) {
  Files& f = TheFiles();
  const std::string line = Compose({}, fields);
  std::lock_guard<std::mutex> lock(f.mu);
  if (f.access >= 0) WriteAll(f.access, line);
}

void Audit(absl::string_view action, std::initializer_list<Field> fields) {
  Files& f = TheFiles();
  const std::string line = Compose({{"action", std::string(action)}}, fields);
  std::lock_guard<std::mutex> lock(f.mu);
  if (f.audit >= 0) WriteAll(f.audit, line);
}

absl::Status OpenFiles(const std::string& access_log, const std::string& audit_log) {
  Files& f = TheFiles();
  std::lock_guard<std::mutex> lock(f.mu);
  for (auto [path, fd, field] : {std::make_tuple(&access_log, &f.access, "logging.access_log"),
                                 std::make_tuple(&audit_log, &f.audit, "logging.audit_log")}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
    if (path->empty()) continue;
    *fd = OpenAppend(*path);
    if (*fd < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": cannot open ", *path, " for appending"));
    }
  }
  f.access_path = access_log;
  f.audit_path = audit_log;
  access_on.store(f.access >= 0);
  audit_on.store(f.audit >= 0);
  return absl::OkStatus();
}

void Reopen() {
  Files& f = TheFiles();
  std::lock_guard<std::mutex> lock(f.mu);
  for (auto [path, fd] : {std::make_pair(&f.access_path, &f.access),
                          std::make_pair(&f.audit_path, &f.audit)}) {
    if (path->empty()) continue;
    const int fresh = OpenAppend(*path);
    if (fresh < 0) continue;  // keep writing to the old one
    if (*fd >= 0) ::close(*fd);
    *fd = fresh;
  }
}

}  // namespace dispatch::log
