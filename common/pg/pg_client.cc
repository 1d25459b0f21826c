#include "common/pg/pg_client.h"

#include <chrono>

#include "absl/strings/strip.h"
#include "common/metrics/metrics.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dispatch::pg {
namespace {

std::string ConnError(pg_conn* c) {
  std::string m = c != nullptr ? PQerrorMessage(c) : "out of memory";
  return std::string(absl::StripTrailingAsciiWhitespace(m));
}

}  // namespace

absl::Status StatusFromSqlState(absl::string_view sqlstate, absl::string_view message) {
  const std::string text = absl::StrCat("postgresql: ", message, " (SQLSTATE ", sqlstate, ")");
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      sqlstate == "57014") {
    return absl::UnavailableError(text);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(text);
  if (sqlstate == "23505") return absl::AlreadyExistsError(text);
  if (absl::StartsWith(sqlstate, "53")) return absl::ResourceExhaustedError(text);
  return absl::InternalError(text);
}

// --- Result ---

Result::~Result() {
  if (r_ != nullptr) PQclear(r_);
}
Result::Result(Result&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (r_ != nullptr) PQclear(r_);
    r_ = std::exchange(other.r_, nullptr);
  }
  return *this;
}
int Result::rows() const { return r_ != nullptr ? PQntuples(r_) : 0; }
int Result::columns() const { return r_ != nullptr ? PQnfields(r_) : 0; }
int64_t Result::affected() const {
  int64_t n = 0;
  if (r_ != nullptr) (void)absl::SimpleAtoi(PQcmdTuples(r_), &n);
  return n;
}
bool Result::IsNull(int row, int column) const { return PQgetisnull(r_, row, column) != 0; }
std::string Result::Get(int row, int column) const {
  if (r_ == nullptr || IsNull(row, column)) return "";
  const char* v = PQgetvalue(r_, row, column);
  const int len = PQgetlength(r_, row, column);
  if (PQfformat(r_, column) == 1) return std::string(v, static_cast<size_t>(len));
  // bytea arrives as text in hex ("\x4a6b..."): decode it.
  constexpr Oid kByteaOid = 17;
  if (PQftype(r_, column) == kByteaOid) {
    size_t n = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &n);
    if (bytes == nullptr) return "";
    std::string out(reinterpret_cast<char*>(bytes), n);
    PQfreemem(bytes);
    return out;
  }
  return std::string(v, static_cast<size_t>(len));
}
int64_t Result::GetInt(int row, int column) const {
  int64_t n = 0;
  if (r_ == nullptr || IsNull(row, column)) return 0;
  (void)absl::SimpleAtoi(PQgetvalue(r_, row, column), &n);
  return n;
}

// --- Connection ---

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Options& options) {
  std::unique_ptr<Connection> c(new Connection(options));
  if (absl::Status s = c->Connect(); !s.ok()) return s;
  return c;
}

std::unique_ptr<Connection> Connection::OpenLater(const Options& options) {
  return std::unique_ptr<Connection>(new Connection(options));
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::Status Connection::Connect() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  in_transaction_ = false;
  const int64_t timeout_s = std::max<int64_t>(1, absl::ToInt64Seconds(options_.connect_timeout));
  const int64_t statement_ms = absl::ToInt64Milliseconds(options_.statement_timeout);
  // Ours first: the caller's connection string (key=value or a postgresql:// URI, expanded as
  // "dbname") comes last and may override them.
  const std::string timeout = std::to_string(timeout_s);
  const std::string session = absl::StrCat("-c statement_timeout=", statement_ms,
                                           " -c TimeZone=UTC -c client_min_messages=warning");
  const char* keywords[] = {"connect_timeout", "application_name", "options", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), options_.application_name.c_str(), session.c_str(),
                          options_.conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = ConnError(conn_);
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    return absl::UnavailableError(absl::StrCat("postgresql: cannot connect: ", why));
  }
  return absl::OkStatus();
}

absl::Status Connection::EnsureConnected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  if (in_transaction_) {
    return absl::UnavailableError("postgresql: the connection was lost in a transaction");
  }
  return Connect();
}

bool Connection::healthy() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

absl::StatusOr<Result> Connection::Exec(absl::string_view sql, const std::vector<Param>& params) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].is_null ? nullptr : params[i].value.data();
    lengths[i] = static_cast<int>(params[i].value.size());
    formats[i] = params[i].binary ? 1 : 0;
  }
  const std::string text(sql);
  const auto start = std::chrono::steady_clock::now();
  // Text parameters must be NUL-terminated: std::string::data() is.
  pg_result* r = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), lengths.data(), formats.data(), 0);
  Result result(r);
  absl::Status s = Check(r, /*empty_ok=*/false);
  Record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), !s.ok());
  if (!s.ok()) return s;
  return result;
}

void Connection::Record(double seconds, bool failed) {
  if (duration_ == nullptr) {
    static auto& durations = metrics::HistogramFamily(
        "dispatch_pg_statement_duration_seconds",
        "Time PostgreSQL took to answer one statement, by connection.");
    static auto& errors = metrics::CounterFamily(
        "dispatch_pg_errors_total", "PostgreSQL statements that failed, by connection.");
    const std::string conn(absl::StripPrefix(options_.application_name, "dispatchd-"));
    duration_ = &durations.Add({{"conn", conn}}, metrics::LatencyBuckets());
    errors_ = &errors.Add({{"conn", conn}});
  }
  duration_->Observe(seconds);
  if (failed) errors_->Increment();
}

absl::Status Connection::Check(pg_result* r, bool empty_ok) const {
  if (r == nullptr) {
    return absl::UnavailableError(absl::StrCat("postgresql: ", ConnError(conn_)));
  }
  const ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || (empty_ok && st == PGRES_EMPTY_QUERY)) {
    return absl::OkStatus();
  }
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  // The primary message only: the DETAIL of some errors quotes the row ("Failing row contains
  // (...)"), which may hold personal data, and statuses end up in logs and answers.
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string message(absl::StripTrailingAsciiWhitespace(
      primary != nullptr ? primary : PQresultErrorMessage(r)));
  if (state == nullptr) {
    // No SQLSTATE: libpq's own failure, the connection's.
    return absl::UnavailableError(absl::StrCat("postgresql: ", message));
  }
  return StatusFromSqlState(state, message);
}

absl::Status Connection::ExecScript(absl::string_view sql) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string text(sql);
  const auto start = std::chrono::steady_clock::now();
  Result result(PQexec(conn_, text.c_str()));
  absl::Status s = Check(result.r_, /*empty_ok=*/true);
  Record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), !s.ok());
  return s;
}

absl::Status Connection::Transaction(const std::function<absl::Status(Connection&)>& body) {
  if (in_transaction_) return absl::InternalError("postgresql: nested transaction");
  if (absl::Status s = Exec("BEGIN").status(); !s.ok()) return s;
  in_transaction_ = true;
  absl::Status s = body(*this);
  if (s.ok()) s = Exec("COMMIT").status();
  if (!s.ok() && healthy()) (void)Exec("ROLLBACK");
  in_transaction_ = false;
  return s;
}

}  // namespace dispatch::pg
