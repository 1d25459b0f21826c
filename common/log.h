// Structured logs (issue #17): one JSON object per line.
//
//   {"time":"2026-12-07T08:00:00.123Z","level":"warning","component":"watch",
//    "msg":"ending the watch","reason":"a client fell 1000 events behind"}
//
// Three streams, kept apart:
//   operational  Info/Warn/Error: what the process does and what went wrong; to stderr
//                (journald keeps it under systemd).
//   access       one line per call, gRPC or HTTP (Access): transport, method or route, code,
//                duration, the caller's subject when the door admitted it, request id; to
//                logging.access_log when configured (else not written).
//   audit        one line per write that was committed or refused, and per refusal at the door
//                (Audit): who, what, which ticket, the outcome; to logging.audit_log when
//                configured (else not written).
// `time` is the real UTC time in milliseconds; fields are strings (numbers as their text) in the
// order given; text is escaped for JSON, invalid UTF-8 replaced. Never log a request body: names,
// phones, addresses and descriptions stay out of every log (field values are chosen by the
// callers, which pass ids, codes and messages only).
// Lines are written whole (one write(2) each, under a lock), so concurrent writers never
// interleave within a line. Thread-safe. Reopen() (on SIGHUP) reopens the files for log
// rotation.
#ifndef DISPATCH_COMMON_LOG_H_
#define DISPATCH_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dispatch::log {

using Field = std::pair<absl::string_view, std::string>;

void Info(absl::string_view component, absl::string_view msg,
          std::initializer_list<Field> fields = {});
void Warn(absl::string_view component, absl::string_view msg,
          std::initializer_list<Field> fields = {});
void Error(absl::string_view component, absl::string_view msg,
           std::initializer_list<Field> fields = {});

// Whether an access / audit log is configured (callers skip building their fields if not).
bool AccessEnabled();
bool AuditEnabled();
void Access(std::initializer_list<Field> fields);
void Audit(absl::string_view action, std::initializer_list<Field> fields);

// Opens (appending, created 0640) the access and audit log files; an empty path turns that log
// off. INVALID_ARGUMENT naming the field when a file cannot be opened.
absl::Status OpenFiles(const std::string& access_log, const std::string& audit_log);
// Reopens the configured files (after logrotate moved them).
void Reopen();

// One line as written (tests).
std::string Line(absl::string_view level, absl::string_view component, absl::string_view msg,
                 std::initializer_list<Field> fields);

}  // namespace dispatch::log

#endif  // DISPATCH_COMMON_LOG_H_
