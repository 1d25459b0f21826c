#include "services/readmodel/personal_data.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/proto_time.h"
#include "services/readmodel/lua_scripts.h"
#include "services/readmodel/sql.h"

namespace dispatch::readmodel {
namespace {

const redis::Script& EraseScript() {
  static const redis::Script* const script = new redis::Script(kEraseLua);
  return *script;
}

// The text[] column's value as PostgreSQL prints it: {a,b} (ticket ids need no quoting).
std::vector<std::string> ParseTextArray(const std::string& text) {
  std::vector<std::string> out;
  if (text.size() < 2) return out;
  std::string item;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == ',') {
      out.push_back(item);
      item.clear();
    } else if (text[i] != '"') {
      item += text[i];
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::string ComplainantKey(const std::string& secret, const std::string& phone) {
  if (secret.empty()) return "";
  std::string digits;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  if (digits.empty()) return "";  // no phone (erased): no key, never a shared one
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(digits.data()), digits.size(), mac, &len);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), std::min(len, 16u)));
}

absl::StatusOr<std::string> LoadPiiKey(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("read_model.pii_key_file: cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key(absl::StripAsciiWhitespace(ss.str()));
  if (key.size() < 32) {
    return absl::FailedPreconditionError(absl::StrCat(
        "read_model.pii_key_file: ", path, " holds ", key.size(),
        " bytes; a key needs at least 32 (e.g. head -c 32 /dev/urandom | base64)"));
  }
  return key;
}

void Redact(absl::Time at, v1::Complaint* c) {
  c->mutable_complainant()->clear_name();
  c->mutable_complainant()->clear_phone();
  *c->mutable_complainant()->mutable_erased_at() = ToProto(at);
  c->mutable_location()->clear_address();
}

Eraser::Eraser(redis::Client* redis, pg::Connection* pg, Options options)
    : redis_(redis),
      pg_(pg),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

absl::StatusOr<bool> Eraser::EraseTicket(const std::string& ticket_id, absl::Time now) {
  absl::StatusOr<pg::Result> row = pg_->Exec(
      "SELECT ticket, pii_erased_at IS NOT NULL FROM tickets WHERE ticket_id = $1",
      {pg::Text(ticket_id)});
  if (!row.ok()) return row.status();
  if (row->rows() == 0) return absl::NotFoundError(absl::StrCat("ticket_id: no ticket ", ticket_id));
  if (row->Get(0, 1) == "t") return true;
  v1::Ticket ticket;
  if (!ticket.ParseFromString(row->Get(0, 0))) {
    return absl::DataLossError(absl::StrCat("read model: ticket ", ticket_id, " does not parse"));
  }
  Redact(now, ticket.mutable_complaint());
  // Redis first: while a consumer still needs the accepted entry, nothing changes anywhere.
  const int shard = keys::ShardOfTicketId(ticket_id).value_or(0);
  absl::StatusOr<redis::Reply> live = redis_->EvalSync(
      EraseScript(),
      {keys::Ticket(shard, ticket_id), keys::Events(shard), keys::LegacyComplaint(shard, ticket_id)},
      {ticket.complaint().SerializeAsString()});
  if (!live.ok()) return live.status();
  if (live->integer < 0) return false;
  absl::Status s = pg_->Transaction([&](pg::Connection& c) -> absl::Status {
    // The row as it is now, locked: the projector may have written a newer version since.
    absl::StatusOr<pg::Result> current =
        c.Exec("SELECT ticket FROM tickets WHERE ticket_id = $1 FOR UPDATE", {pg::Text(ticket_id)});
    if (!current.ok()) return current.status();
    v1::Ticket latest;
    if (current->rows() != 1 || !latest.ParseFromString(current->Get(0, 0))) {
      return absl::DataLossError(absl::StrCat("read model: ticket ", ticket_id, " does not parse"));
    }
    Redact(now, latest.mutable_complaint());
    absl::StatusOr<pg::Result> u = c.Exec(
        "UPDATE tickets SET ticket = $2, pii_erased_at = $3 WHERE ticket_id = $1",
        {pg::Text(ticket_id), pg::Bytes(latest.SerializeAsString()), sql::Ts(now)});
    if (!u.ok()) return u.status();
    absl::StatusOr<pg::Result> events = c.Exec(
        "SELECT occurred_at::text, event_id, event FROM ticket_events "
        "WHERE ticket_id = $1 AND type = 'accepted' AND occurred_at >= $2",
        {pg::Text(ticket_id), sql::Ts(FromProto(ticket.accepted_at()) - kMaxClockSkew)});
    if (!events.ok()) return events.status();
    for (int i = 0; i < events->rows(); ++i) {
      v1::TicketEvent e;
      if (!e.ParseFromString(events->Get(i, 2))) {
        return absl::DataLossError("read model: an accepted event does not parse");
      }
      e.mutable_accepted()->mutable_location()->clear_address();
      absl::StatusOr<pg::Result> w = c.Exec(
          "UPDATE ticket_events SET event = $3 WHERE occurred_at = $1::timestamptz AND event_id = $2",
          {pg::Text(events->Get(i, 0)), pg::Text(events->Get(i, 1)),
           pg::Bytes(e.SerializeAsString())});
      if (!w.ok()) return w.status();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return true;
}

absl::Status Eraser::Advance(const std::string& erasure_id, absl::Time now, int* erased) {
  absl::StatusOr<pg::Result> r = pg_->Exec(
      "SELECT pending FROM erasure_requests WHERE erasure_id = $1 AND completed_at IS NULL",
      {pg::Text(erasure_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return absl::OkStatus();
  std::vector<std::string> left;
  for (const std::string& id : ParseTextArray(r->Get(0, 0))) {
    absl::StatusOr<bool> done = EraseTicket(id, now);
    if (absl::IsNotFound(done.status())) continue;  // no such ticket any more: nothing to erase
    if (!done.ok()) return done.status();
    if (*done) {
      ++*erased;
    } else {
      left.push_back(id);
    }
  }
  return pg_->Exec(
                "UPDATE erasure_requests SET pending = $2::text[], "
                "  completed_at = CASE WHEN cardinality($2::text[]) = 0 THEN $3::timestamptz END "
                "WHERE erasure_id = $1",
                {pg::Text(erasure_id), sql::TextArray(left), sql::Ts(now)})
      .status();
}

absl::StatusOr<Eraser::Outcome> Eraser::Progress(const std::string& erasure_id) {
  absl::StatusOr<pg::Result> r = pg_->Exec(
      "SELECT cardinality(ticket_ids) - cardinality(pending), cardinality(pending) "
      "FROM erasure_requests WHERE erasure_id = $1",
      {pg::Text(erasure_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return absl::InternalError("erasure request vanished");
  return Outcome{erasure_id, static_cast<int>(r->GetInt(0, 0)), static_cast<int>(r->GetInt(0, 1))};
}

absl::StatusOr<Eraser::Outcome> Eraser::Request(const std::string& request_id,
                                                const std::string& phone,
                                                const std::string& ticket_id,
                                                const std::string& reason,
                                                const std::string& requested_by) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string erasure_id = absl::StrCat("ER-", keys::Fingerprint(request_id));
  const absl::Time now = clock_->Now();
  absl::StatusOr<pg::Result> known =
      pg_->Exec("SELECT 1 FROM erasure_requests WHERE request_id = $1", {pg::Text(request_id)});
  if (!known.ok()) return known.status();
  if (known->rows() == 0) {
    std::vector<std::string> tickets;
    if (!ticket_id.empty()) {
      absl::StatusOr<pg::Result> r =
          pg_->Exec("SELECT ticket_id FROM tickets WHERE ticket_id = $1", {pg::Text(ticket_id)});
      if (!r.ok()) return r.status();
      if (r->rows() == 0) {
        return absl::NotFoundError(absl::StrCat(
            "ticket_id: no ticket ", ticket_id,
            " in the read model (a ticket accepted moments ago may not be there yet)"));
      }
      tickets.push_back(ticket_id);
    } else {
      if (options_.secret.empty()) {
        return absl::FailedPreconditionError(
            "phone: erasure by phone needs read_model.pii_key_file (the keyed hash that finds "
            "a complainant's tickets); erase by ticket_id");
      }
      absl::StatusOr<pg::Result> r =
          pg_->Exec("SELECT ticket_id FROM tickets WHERE complainant_key = $1 ORDER BY 1",
                    {pg::Text(ComplainantKey(options_.secret, phone))});
      if (!r.ok()) return r.status();
      for (int i = 0; i < r->rows(); ++i) tickets.push_back(r->Get(i, 0));
      if (tickets.empty()) return absl::NotFoundError("phone: no ticket of this complainant");
    }
    absl::StatusOr<pg::Result> inserted = pg_->Exec(
        "INSERT INTO erasure_requests (erasure_id, request_id, requested_by, reason, "
        "requested_at, ticket_ids, pending) VALUES ($1, $2, $3, $4, $5, $6, $6) "
        "ON CONFLICT DO NOTHING",
        {pg::Text(erasure_id), pg::Text(request_id), pg::Text(requested_by), pg::Text(reason),
         sql::Ts(now), sql::TextArray(tickets)});
    if (!inserted.ok()) return inserted.status();
  }
  int erased = 0;
  if (absl::Status s = Advance(erasure_id, now, &erased); !s.ok()) return s;
  return Progress(erasure_id);
}

absl::StatusOr<int> Eraser::RunOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_->Now();
  int erased = 0;
  absl::StatusOr<pg::Result> open = pg_->Exec(
      "SELECT erasure_id FROM erasure_requests WHERE completed_at IS NULL ORDER BY requested_at "
      "LIMIT $1",
      {pg::Int(options_.batch)});
  if (!open.ok()) return open.status();
  for (int i = 0; i < open->rows(); ++i) {
    if (absl::Status s = Advance(open->Get(i, 0), now, &erased); !s.ok()) return s;
  }
  absl::StatusOr<pg::Result> old = pg_->Exec(
      "SELECT ticket_id FROM tickets WHERE pii_erased_at IS NULL AND accepted_at < $1 "
      "ORDER BY accepted_at, ticket_id LIMIT $2",
      {sql::Ts(now - options_.retention), pg::Int(options_.batch)});
  if (!old.ok()) return old.status();
  for (int i = 0; i < old->rows(); ++i) {
    absl::StatusOr<bool> done = EraseTicket(old->Get(i, 0), now);
    if (absl::IsUnavailable(done.status())) return done.status();
    if (!done.ok()) {
      // One bad row must not stop the retention for every other ticket.
      log::Error("eraser", "cannot erase a ticket's personal data, skipped",
                 {{"ticket_id", old->Get(i, 0)}, {"error", done.status().ToString()}});
      continue;
    }
    erased += *done ? 1 : 0;
  }
  return erased;
}

}  // namespace dispatch::readmodel
