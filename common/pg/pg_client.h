// pg::Connection: the boundary between the service and PostgreSQL (the read model and archive,
// issue #15), as common/redis/redis_client.h is for Redis. Plain libpq behind a small RAII
// wrapper; nothing else in the service includes libpq-fe.h.
//
// A Connection is one libpq connection, used by one thread at a time (not thread-safe; give
// each thread its own, or guard it). Statements take text parameters ($1, $2, ...) and are sent
// with PQexecParams, never spliced into SQL. A connection that broke is re-established before
// the next statement (outside a transaction), so a caller recovers by simply trying again.
//
// Errors:
//   UNAVAILABLE         cannot connect, the connection was lost, the server is shutting down
//                       or starting (SQLSTATE classes 08, 57P0x), or a statement timed out
//                       (57014). A statement that failed this way may or may not have been
//                       applied when it was not in a transaction; in one, nothing was.
//   ABORTED             serialization failure or deadlock (40001, 40P01): retry the transaction.
//   ALREADY_EXISTS      a unique constraint (23505).
//   RESOURCE_EXHAUSTED  the server is out of disk, memory or connections (class 53).
//   INTERNAL            anything else (a bug: bad SQL, a type mismatch); the message carries
//                       the SQLSTATE and the server's words.
#ifndef DISPATCH_COMMON_PG_PG_CLIENT_H_
#define DISPATCH_COMMON_PG_PG_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;
namespace prometheus {
class Counter;
class Histogram;
}  // namespace prometheus

namespace dispatch::pg {

struct Options {
  // A libpq connection string: "host=/run/postgresql dbname=dispatch user=dispatch", or a
  // postgresql:// URI.
  // Passwords belong in a file (passfile=..., ~/.pgpass) or PGPASSWORD, never in a flag.
  std::string conninfo;
  absl::Duration connect_timeout = absl::Seconds(2);
  // Every statement is cancelled by the server after this long (statement_timeout).
  absl::Duration statement_timeout = absl::Seconds(10);
  // Shown in pg_stat_activity.
  std::string application_name = "dispatchd";
};

// One statement parameter: text (the server parses it as the parameter's type), binary bytes
// (for bytea) or NULL.
struct Param {
  std::string value;
  bool is_null = false;
  bool binary = false;
};
inline Param Text(std::string v) { return Param{std::move(v), false, false}; }
inline Param Int(int64_t v) { return Param{std::to_string(v), false, false}; }
inline Param Bytes(std::string v) { return Param{std::move(v), false, true}; }
inline Param Null() { return Param{"", true, false}; }

// The rows of a statement, as text (bytea columns as the bytes themselves). Move-only.
class Result {
 public:
  Result() = default;
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  int columns() const;
  // Rows changed by an INSERT / UPDATE / DELETE.
  int64_t affected() const;
  bool IsNull(int row, int column) const;
  // The value as sent by the server: text, or for bytea the decoded bytes.
  std::string Get(int row, int column) const;
  int64_t GetInt(int row, int column) const;  // 0 when NULL or not a number

 private:
  friend class Connection;
  explicit Result(pg_result* r) : r_(r) {}
  pg_result* r_ = nullptr;
};

class Connection {
 public:
  // Connects and sets the session's statement_timeout and time zone (UTC). UNAVAILABLE when
  // the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Options& options);
  // A connection that connects at its first statement (for a worker that starts while
  // PostgreSQL is down and must catch up when it returns).
  static std::unique_ptr<Connection> OpenLater(const Options& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters $1..$n.
  absl::StatusOr<Result> Exec(absl::string_view sql, const std::vector<Param>& params = {});
  // Several statements separated by ';', no parameters (migrations). Runs as one implicit
  // transaction unless the text says otherwise.
  absl::Status ExecScript(absl::string_view sql);
  // BEGIN; body; COMMIT. Any error from the body (or the commit) rolls back and is returned.
  absl::Status Transaction(const std::function<absl::Status(Connection&)>& body);

  // Whether the last statement left the connection usable.
  bool healthy() const;

 private:
  explicit Connection(Options options) : options_(std::move(options)) {}
  absl::Status Connect();
  absl::Status EnsureConnected();
  // OK for a result that succeeded (an empty script too when `empty_ok`); else the error by
  // the rules above.
  absl::Status Check(pg_result* r, bool empty_ok) const;

  // Times a statement and counts its failure (dispatch_pg_statement_duration_seconds,
  // dispatch_pg_errors_total, by the application name less "dispatchd-").
  void Record(double seconds, bool failed);

  const Options options_;
  pg_conn* conn_ = nullptr;
  bool in_transaction_ = false;
  prometheus::Histogram* duration_ = nullptr;  // made at the first statement
  prometheus::Counter* errors_ = nullptr;
};

// "postgresql: <what>" as a Status, by the rules above. Exposed for tests.
absl::Status StatusFromSqlState(absl::string_view sqlstate, absl::string_view message);

}  // namespace dispatch::pg

#endif  // DISPATCH_COMMON_PG_PG_CLIENT_H_
