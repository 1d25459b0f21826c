#include "services/readmodel/reader.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"
#include "services/readmodel/sql.h"

namespace dispatch::readmodel {
namespace {

// "<microseconds>:<id>": the keyset position of a list row.
struct Position {
  int64_t us = 0;
  std::string id;
};

absl::StatusOr<std::optional<Position>> ParsePosition(const std::string& text) {
  if (text.empty()) return std::optional<Position>();
  const size_t colon = text.find(':');
  Position p;
  if (colon == std::string::npos || colon + 1 == text.size() ||
      !absl::SimpleAtoi(text.substr(0, colon), &p.us)) {
    return absl::InvalidArgumentError("page_token: not from a previous response");
  }
  p.id = text.substr(colon + 1);
  return std::optional<Position>(std::move(p));
}

// Builds a statement's text and parameters together, so a value is only ever a $n.
class Statement {
 public:
  explicit Statement(std::string head) : sql_(std::move(head)) {}
  // Appends `text`, each '?' in it becoming the next parameter of `values` in order.
  Statement& Add(const std::string& text, std::vector<pg::Param> values = {}) {
    size_t next = 0;
    for (char c : text) {
      if (c == '?' && next < values.size()) {
        params_.push_back(std::move(values[next++]));
        absl::StrAppend(&sql_, "$", params_.size());
      } else {
        sql_ += c;
      }
    }
    return *this;
  }
  const std::string& sql() const { return sql_; }
  const std::vector<pg::Param>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<pg::Param> params_;
};

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes, const char* what) {
  Message m;
  if (!m.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("read model: a stored ", what, " does not parse"));
  }
  return m;
}

}  // namespace

std::string PageToken(const std::string& position, const std::string& fingerprint) {
  return position.empty() ? "" : absl::StrCat("pg:", position, ":", fingerprint);
}

absl::StatusOr<std::string> PositionOfToken(const std::string& token,
                                            const std::string& fingerprint) {
  if (token.empty()) return std::string();
  std::vector<std::string> parts = absl::StrSplit(token, ':');
  if (parts.size() != 4 || parts[0] != "pg") {
    return absl::InvalidArgumentError("page_token: not from a previous response");
  }
  if (parts[3] != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: the filters differ from those of the request that returned it");
  }
  return absl::StrCat(parts[1], ":", parts[2]);
}

absl::Status CheckPageSize(int page_size) {
  if (page_size < 0 || page_size > 500) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be within [0, 500], got ", page_size));
  }
  return absl::OkStatus();
}

// A pooled connection, returned to the pool when the lease ends.
class Reader::Lease {
 public:
  explicit Lease(Reader* r) : reader_(r), c_(r->Acquire()) {}
  ~Lease() { reader_->Release(std::move(c_)); }
  pg::Connection& operator*() { return *c_; }
  pg::Connection* operator->() { return c_.get(); }

 private:
  Reader* reader_;
  std::unique_ptr<pg::Connection> c_;
};

Reader::Reader(const pg::Options& pg, Options options) {
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    free_.push_back(pg::Connection::OpenLater(pg));
  }
}

absl::StatusOr<pg::Result> Reader::Query(const std::string& sql,
                                         const std::vector<pg::Param>& params) {
  Lease c(this);
  absl::StatusOr<pg::Result> r = c->Exec(sql, params);
  // A pooled connection finds out that PostgreSQL restarted only when it is used: a read is
  // safe to send again on a fresh connection.
  if (absl::IsUnavailable(r.status()) && !c->healthy()) r = c->Exec(sql, params);
  return r;
}

std::unique_ptr<pg::Connection> Reader::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !free_.empty(); });
  std::unique_ptr<pg::Connection> c = std::move(free_.back());
  free_.pop_back();
  return c;
}

void Reader::Release(std::unique_ptr<pg::Connection> c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(c));
  }
  cv_.notify_one();
}

absl::StatusOr<Reader::TicketPage> Reader::ListTickets(const v1::ListTicketsRequest& f,
                                                       const std::string& unit,
                                                       const std::string& position, int limit) {
  absl::StatusOr<std::optional<Position>> after = ParsePosition(position);
  if (!after.ok()) return after.status();
  // With a unit: its rows of ticket_units (which carry the filter columns), joined to the
  // tickets for their bodies. Without: the tickets themselves.
  const std::string p = unit.empty() ? "t." : "u.";
  Statement q(absl::StrCat("SELECT t.ticket, ", sql::MicrosOf(p + "accepted_at"), ", t.ticket_id "));
  if (unit.empty()) {
    q.Add("FROM tickets t WHERE true");
  } else {
    q.Add("FROM ticket_units u JOIN tickets t ON t.ticket_id = u.ticket_id WHERE u.unit_code = ?",
          {pg::Text(unit)});
  }
  if (!f.statuses().empty()) q.Add(" AND " + p + "status = ANY(?::smallint[])", {sql::IntArray(f.statuses())});
  if (!f.categories().empty()) {
    q.Add(" AND " + p + "category = ANY(?::smallint[])", {sql::IntArray(f.categories())});
  }
  if (f.supervision_tier() != v1::TIER_UNSPECIFIED) {
    q.Add(" AND " + p + "supervision_tier = ?", {pg::Int(f.supervision_tier())});
  }
  if (f.breached_only()) q.Add(" AND " + p + "breached");
  if (f.has_accepted_from()) q.Add(" AND " + p + "accepted_at >= ?", {sql::Ts(f.accepted_from())});
  if (f.has_accepted_to()) q.Add(" AND " + p + "accepted_at < ?", {sql::Ts(f.accepted_to())});
  if (*after) {
    q.Add(absl::StrCat(" AND (", p, "accepted_at, ", p, "ticket_id) < (", sql::FromMicros("?"),
                       ", ?)"),
          {pg::Int((*after)->us), pg::Text((*after)->id)});
  }
  q.Add(absl::StrCat(" ORDER BY ", p, "accepted_at DESC, ", p, "ticket_id DESC LIMIT ?"),
        {pg::Int(limit + 1)});

  absl::StatusOr<pg::Result> r = Query(q.sql(), q.params());
  if (!r.ok()) return r.status();
  TicketPage page;
  const int rows = std::min(r->rows(), limit);
  for (int i = 0; i < rows; ++i) {
    absl::StatusOr<v1::Ticket> t = Parse<v1::Ticket>(r->Get(i, 0), "ticket");
    if (!t.ok()) return t.status();
    page.tickets.push_back(*std::move(t));
  }
  if (r->rows() > limit) {
    page.next_position = absl::StrCat(r->GetInt(rows - 1, 1), ":", r->Get(rows - 1, 2));
  }
  return page;
}

absl::StatusOr<pg::Result> Reader::LedgerPage(const std::string& columns, const std::string& table,
                                              const std::string& units_table,
                                              const std::string& time_column,
                                              const std::string& unit, absl::Time from,
                                              absl::Time to, const std::string& position,
                                              int limit) {
  absl::StatusOr<std::optional<Position>> after = ParsePosition(position);
  if (!after.ok()) return after.status();
  // With a unit: its rows of the units table (the unit the row counts against and that unit's
  // ancestors), joined to the ledger. Without: the ledger itself.
  const std::string p = unit.empty() ? "l." : "u.";
  Statement q(absl::StrCat("SELECT ", columns, ", ", sql::MicrosOf("l." + time_column),
                           ", l.event_id "));
  if (unit.empty()) {
    q.Add(absl::StrCat("FROM ", table, " l WHERE true"));
  } else {
    q.Add(absl::StrCat("FROM ", units_table, " u JOIN ", table,
                       " l ON l.event_id = u.event_id WHERE u.unit_code = ?"),
          {pg::Text(unit)});
  }
  const std::string t = unit.empty() ? "l." + time_column : "u." + time_column;
  if (from != absl::InfinitePast()) q.Add(" AND " + t + " >= ?", {sql::Ts(from)});
  if (to != absl::InfiniteFuture()) q.Add(" AND " + t + " < ?", {sql::Ts(to)});
  if (*after) {
    q.Add(absl::StrCat(" AND (", t, ", ", p, "event_id) < (", sql::FromMicros("?"), ", ?)"),
          {pg::Int((*after)->us), pg::Text((*after)->id)});
  }
  q.Add(absl::StrCat(" ORDER BY ", t, " DESC, ", p, "event_id DESC LIMIT ?"), {pg::Int(limit + 1)});
  return Query(q.sql(), q.params());
}

namespace {
// The next position of a ledger page (LedgerPage's last two columns), or "" at the end.
std::string NextLedgerPosition(const pg::Result& r, int limit) {
  if (r.rows() <= limit) return "";
  const int last = limit - 1;
  return absl::StrCat(r.GetInt(last, r.columns() - 2), ":", r.Get(last, r.columns() - 1));
}
}  // namespace

absl::StatusOr<Reader::BreachPage> Reader::ListBreaches(const std::string& unit, absl::Time from,
                                                        absl::Time to, const std::string& position,
                                                        int limit) {
  absl::StatusOr<pg::Result> r = LedgerPage(
      absl::StrCat("l.ticket_id, l.clock_kind, l.unit_code, l.tier, ", sql::MicrosOf("l.deadline"),
                   ", l.breached_by_ms"),
      "breaches", "breach_units", "breached_at", unit, from, to, position, limit);
  if (!r.ok()) return r.status();
  BreachPage page;
  for (int i = 0; i < std::min(r->rows(), limit); ++i) {
    v1::Breach& b = page.breaches.emplace_back();
    b.set_ticket_id(r->Get(i, 0));
    b.set_clock(static_cast<v1::ClockKind>(r->GetInt(i, 1)));
    b.set_unit_code(r->Get(i, 2));
    b.set_tier(static_cast<v1::Tier>(r->GetInt(i, 3)));
    if (!r->IsNull(i, 4)) *b.mutable_deadline() = ToProto(sql::TimeOfMicros(r->GetInt(i, 4)));
    *b.mutable_breached_by() = ToProto(absl::Milliseconds(r->GetInt(i, 5)));
    *b.mutable_detected_at() = ToProto(sql::TimeOfMicros(r->GetInt(i, 6)));
  }
  page.next_position = NextLedgerPosition(*r, limit);
  return page;
}

absl::StatusOr<Reader::RevisitPage> Reader::ListRevisits(const std::string& unit, absl::Time from,
                                                         absl::Time to,
                                                         const std::string& position, int limit) {
  absl::StatusOr<pg::Result> r =
      LedgerPage("l.ticket_id, l.unit_code, l.revisited_by, l.revisit", "revisits",
                 "revisit_units", "recorded_at", unit, from, to, position, limit);
  if (!r.ok()) return r.status();
  RevisitPage page;
  for (int i = 0; i < std::min(r->rows(), limit); ++i) {
    v1::Revisit& v = page.revisits.emplace_back();
    v.set_ticket_id(r->Get(i, 0));
    v.set_unit_code(r->Get(i, 1));
    if (!v.mutable_revisited_by()->ParseFromString(r->Get(i, 2)) ||
        !v.mutable_revisit()->ParseFromString(r->Get(i, 3))) {
      return absl::DataLossError("read model: a stored revisit does not parse");
    }
    *v.mutable_recorded_at() = ToProto(sql::TimeOfMicros(r->GetInt(i, 4)));
  }
  page.next_position = NextLedgerPosition(*r, limit);
  return page;
}

absl::StatusOr<std::vector<Reader::HistoryEvent>> Reader::History(const std::string& ticket_id,
                                                                  absl::Time accepted_at,
                                                                  const std::string& after,
                                                                  int limit,
                                                                  int64_t* after_version) {
  // Events are partitioned by month: a lower bound on their time (clocks of replicas may
  // differ by up to kMaxClockSkew) leaves out the months before the ticket.
  Statement s("SELECT event, stream_ms, stream_seq FROM ticket_events");
  s.Add(" WHERE ticket_id = ? AND occurred_at >= ?",
        {pg::Text(ticket_id), sql::Ts(accepted_at - kMaxClockSkew)});
  if (!after.empty()) {
    uint64_t ms = 0, seq = 0;
    if (!ParseStreamId(after, &ms, &seq)) {
      return absl::InvalidArgumentError("page_token: not from a previous response");
    }
    // From `after` itself: its version, when the read model has it, is the caller's baseline.
    s.Add(" AND (stream_ms, stream_seq) >= (?, ?)",
          {pg::Int(static_cast<int64_t>(ms)), pg::Int(static_cast<int64_t>(seq))});
  }
  s.Add(" ORDER BY stream_ms, stream_seq LIMIT ?", {pg::Int(limit + 1)});
  absl::StatusOr<pg::Result> r = Query(s.sql(), s.params());
  if (!r.ok()) return r.status();
  std::vector<HistoryEvent> out;
  if (after_version != nullptr) *after_version = -1;
  for (int i = 0; i < r->rows(); ++i) {
    absl::StatusOr<v1::TicketEvent> e = Parse<v1::TicketEvent>(r->Get(i, 0), "event");
    if (!e.ok()) return e.status();
    std::string entry_id = absl::StrCat(r->Get(i, 1), "-", r->Get(i, 2));
    if (entry_id == after) {
      if (after_version != nullptr) *after_version = e->ticket_version();
      continue;
    }
    out.push_back({*std::move(e), std::move(entry_id)});
  }
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

absl::StatusOr<v1::Ticket> Reader::GetTicket(const std::string& ticket_id) {
  absl::StatusOr<pg::Result> r =
      Query("SELECT ticket FROM tickets WHERE ticket_id = $1", {pg::Text(ticket_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return absl::NotFoundError(absl::StrCat("ticket_id: no ticket ", ticket_id));
  return Parse<v1::Ticket>(r->Get(0, 0), "ticket");
}

absl::StatusOr<v1::Ticket> Reader::LookupTicket(v1::Channel channel,
                                                const std::string& work_order_id) {
  absl::StatusOr<pg::Result> r = Query(
      "SELECT ticket FROM tickets WHERE channel = $1 AND channel_work_order_id = $2 "
      "ORDER BY accepted_at DESC LIMIT 1",
      {pg::Int(channel), pg::Text(work_order_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("channel_work_order_id: no ticket for work order ", work_order_id));
  }
  return Parse<v1::Ticket>(r->Get(0, 0), "ticket");
}

absl::StatusOr<std::optional<absl::Time>> Reader::CaughtUpTo() {
  absl::StatusOr<pg::Result> r = Query(absl::StrCat(
      "SELECT ",
      sql::MicrosOf("COALESCE(min(caught_up_to) FILTER (WHERE updated_at > now() - "
                    "interval '2 minutes'), max(caught_up_to))"),
      " FROM projector_progress"));
  if (!r.ok()) return r.status();
  if (r->rows() == 0 || r->IsNull(0, 0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(sql::TimeOfMicros(r->GetInt(0, 0)));
}

}  // namespace dispatch::readmodel
