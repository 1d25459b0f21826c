#include "services/readmodel/projector.h"

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"
#include "common/sleep_unless_stopped.h"
#include "common/thread_name.h"
#include "common/ticket_store.h"
#include "services/readmodel/migrations.h"
#include "services/readmodel/personal_data.h"
#include "services/readmodel/sql.h"

namespace dispatch::readmodel {

struct Projector::Item {
  int shard = -1;
  std::string entry_id;
  uint64_t stream_ms = 0;
  uint64_t stream_seq = 0;
  absl::StatusOr<EventEntry> decoded = absl::UnknownError("not decoded");
};

namespace {

using sql::Bool;
using sql::Ts;
using sql::TsOrNull;

std::string EventId(int shard, const std::string& entry_id) {
  return absl::StrCat(shard, "-", entry_id);
}

// `unit` and its ancestors in the organisation (just `unit` if it does not know it).
void AddWithAncestors(const org::OrgModel& org, const std::string& unit,
                      std::set<std::string>* out) {
  if (unit.empty()) return;
  out->insert(unit);
  for (const std::string& a : org.Ancestors(unit)) out->insert(a);
}

// The units whose views the ticket belongs to (projector.h).
std::set<std::string> TicketUnits(const v1::Ticket& t, const org::OrgModel& org) {
  std::set<std::string> units;
  if (!t.responsible_unit_code().empty()) {
    units.insert(t.responsible_unit_code());
    const v1::JurisdictionPath& p = t.responsible_jurisdiction();
    for (const std::string* code :
         {&p.city_code(), &p.county_code(), &p.township_code(), &p.community_code()}) {
      if (!code->empty()) units.insert(*code);
    }
  } else {
    org::OrgModel::Resolution where = org.Resolve(t.complaint().location());
    AddWithAncestors(org, where.community_code, &units);
    AddWithAncestors(org, where.county_code, &units);
  }
  for (const v1::Handling& h : t.handlings()) {
    if (h.role() == v1::HANDLING_ROLE_ASSIST) AddWithAncestors(org, h.unit_code(), &units);
  }
  return units;
}

std::vector<std::string> AssistingUnits(const v1::Ticket& t) {
  std::vector<std::string> out;
  for (const v1::Handling& h : t.handlings()) {
    if (h.role() == v1::HANDLING_ROLE_ASSIST) out.push_back(h.unit_code());
  }
  return out;
}

std::vector<std::string> LeadPath(const v1::Ticket& t) {
  std::vector<std::string> out;
  if (t.responsible_unit_code().empty()) return out;
  out.push_back(t.responsible_unit_code());
  const v1::JurisdictionPath& p = t.responsible_jurisdiction();
  for (const std::string* code :
       {&p.community_code(), &p.township_code(), &p.county_code(), &p.city_code()}) {
    if (!code->empty() && *code != t.responsible_unit_code()) out.push_back(*code);
  }
  return out;
}

bool Breached(const v1::Ticket& t) {
  for (const v1::SlaClock& c : t.clocks()) {
    if (c.breached()) return true;
  }
  return false;
}

v1::Department LeadDepartment(const v1::Ticket& t) {
  for (const v1::Handling& h : t.handlings()) {
    if (h.role() == v1::HANDLING_ROLE_LEAD) return h.department();
  }
  return v1::DEPARTMENT_UNSPECIFIED;
}

// Every ticket of a batch in one statement (only rows older than the snapshot change), then the
// unit memberships of the rows it changed in two more.
absl::Status UpsertTickets(pg::Connection& c, const std::vector<const v1::Ticket*>& tickets,
                           const org::OrgModel& org, const std::string& pii_secret,
                           absl::Time now) {
  if (tickets.empty()) return absl::OkStatus();
  sql::Column id, version, status, channel, work_order, category, priority, tier, unit, path,
      department, assisting, handler, estate, company, accepted, closed, breached, updated, key,
      company_code;
  sql::ByteaColumn body;
  for (const v1::Ticket* t : tickets) {
    const v1::Complaint& complaint = t->complaint();
    id.Add(t->ticket_id());
    version.Add(std::to_string(t->version()));
    status.Add(std::to_string(t->status()));
    channel.Add(std::to_string(complaint.channel()));
    work_order.Add(complaint.channel_work_order_id());
    category.Add(std::to_string(complaint.category()));
    priority.Add(std::to_string(t->priority()));
    tier.Add(std::to_string(t->supervision_tier()));
    unit.Add(t->responsible_unit_code());
    path.AddArray(LeadPath(*t));
    department.Add(std::to_string(LeadDepartment(*t)));
    assisting.AddArray(AssistingUnits(*t));
    handler.Add(t->assignee().id());
    estate.Add(complaint.location().estate_name());
    company.Add(complaint.property_company());
    company_code.Add(t->property_company_code());
    accepted.Add(Ts(t->accepted_at()));
    closed.Add(t->status() == v1::TICKET_STATUS_CLOSED ? Ts(t->updated_at()) : pg::Null());
    breached.Add(Bool(Breached(*t)));
    body.Add(t->SerializeAsString());
    updated.Add(Ts(t->updated_at()));
    key.Add(ComplainantKey(pii_secret, complaint.complainant().phone()));
  }
  absl::StatusOr<pg::Result> r = c.Exec(
      "INSERT INTO tickets (ticket_id, version, status, channel, channel_work_order_id, "
      "  category, priority, supervision_tier, unit_code, unit_path, department, "
      "  assisting_units, handler_id, estate, property_company, accepted_at, closed_at, "
      "  breached, ticket, updated_at, complainant_key, company_code) "
      "SELECT id, version, status, channel, work_order, category, priority, tier, unit, "
      "  path::text[], department, assisting::text[], handler, estate, company, accepted, "
      "  closed, breached, body, updated, key, company_code "
      "FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::smallint[], $5::text[], "
      "  $6::smallint[], $7::smallint[], $8::smallint[], $9::text[], $10::text[], "
      "  $11::smallint[], $12::text[], $13::text[], $14::text[], $15::text[], "
      "  $16::timestamptz[], $17::timestamptz[], $18::boolean[], $19::bytea[], "
      "  $20::timestamptz[], $21::text[], $22::text[]) AS u(id, version, status, channel, "
      "  work_order, category, priority, tier, unit, path, department, assisting, handler, "
      "  estate, company, accepted, closed, breached, body, updated, key, company_code) "
      "ON CONFLICT (ticket_id) DO UPDATE SET version = EXCLUDED.version, "
      "  status = EXCLUDED.status, priority = EXCLUDED.priority, "
      "  company_code = EXCLUDED.company_code, "
      "  supervision_tier = EXCLUDED.supervision_tier, unit_code = EXCLUDED.unit_code, "
      "  unit_path = EXCLUDED.unit_path, department = EXCLUDED.department, "
      "  assisting_units = EXCLUDED.assisting_units, handler_id = EXCLUDED.handler_id, "
      "  closed_at = EXCLUDED.closed_at, breached = EXCLUDED.breached, "
      "  ticket = EXCLUDED.ticket, updated_at = EXCLUDED.updated_at, "
      // Set once (the phone is gone after an erasure), but filled in for rows projected
      // before a key was configured.
      "  complainant_key = CASE WHEN tickets.complainant_key = '' "
      "    THEN EXCLUDED.complainant_key ELSE tickets.complainant_key END "
      "WHERE tickets.version < EXCLUDED.version "
      "RETURNING ticket_id, pii_erased_at",
      {id.Param(), version.Param(), status.Param(), channel.Param(), work_order.Param(),
       category.Param(), priority.Param(), tier.Param(), unit.Param(), path.Param(),
       department.Param(), assisting.Param(), handler.Param(), estate.Param(), company.Param(),
       accepted.Param(), closed.Param(), breached.Param(), body.Param(), updated.Param(),
       key.Param(), company_code.Param()});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return absl::OkStatus();  // every row is as new already
  std::map<std::string, const v1::Ticket*> by_id;
  for (const v1::Ticket* t : tickets) by_id[t->ticket_id()] = t;
  sql::Column changed, u_unit, u_accepted, u_ticket, u_status, u_breached, u_category, u_tier;
  for (int row = 0; row < r->rows(); ++row) {
    const v1::Ticket& t = *by_id.at(r->Get(row, 0));
    changed.Add(t.ticket_id());
    if (!r->IsNull(row, 1) && !t.complaint().complainant().has_erased_at()) {
      // Erased in the archive while Redis still had the complaint: it stays erased.
      v1::Ticket redacted = t;
      Redact(now, redacted.mutable_complaint());
      if (absl::Status s =
              c.Exec("UPDATE tickets SET ticket = $2 WHERE ticket_id = $1",
                     {pg::Text(t.ticket_id()), pg::Bytes(redacted.SerializeAsString())})
                  .status();
          !s.ok()) {
        return s;
      }
    }
    for (const std::string& u : TicketUnits(t, org)) {
      u_unit.Add(u);
      u_accepted.Add(Ts(t.accepted_at()));
      u_ticket.Add(t.ticket_id());
      u_status.Add(std::to_string(t.status()));
      u_breached.Add(Bool(Breached(t)));
      u_category.Add(std::to_string(t.complaint().category()));
      u_tier.Add(std::to_string(t.supervision_tier()));
    }
  }
  if (absl::Status s = c.Exec("DELETE FROM ticket_units WHERE ticket_id = ANY($1::text[])",
                              {changed.Param()})
                           .status();
      !s.ok()) {
    return s;
  }
  return c.Exec("INSERT INTO ticket_units (unit_code, accepted_at, ticket_id, status, breached, "
                "category, supervision_tier) "
                "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::smallint[], "
                "  $5::boolean[], $6::smallint[], $7::smallint[])",
                {u_unit.Param(), u_accepted.Param(), u_ticket.Param(), u_status.Param(),
                 u_breached.Param(), u_category.Param(), u_tier.Param()})
      .status();
}

// A ledger row whose unit memberships are to be written: its event, its id, the unit it
// counts against.
struct LedgerRow {
  const v1::TicketEvent* event;
  std::string event_id;
  std::string unit;
};

// The rows of a ledger's units table (breach_units, revisit_units) for ledger rows: each
// row's unit and that unit's ancestors, at the event's time, in one statement.
absl::Status InsertUnits(pg::Connection& c, const char* table, const char* time_column,
                         const std::vector<LedgerRow>& rows, const org::OrgModel& org) {
  if (rows.empty()) return absl::OkStatus();
  sql::Column unit, at, event_id;
  for (const LedgerRow& row : rows) {
    std::set<std::string> units;
    AddWithAncestors(org, row.unit, &units);
    for (const std::string& u : units) {
      unit.Add(u);
      at.Add(Ts(row.event->occurred_at()));
      event_id.Add(row.event_id);
    }
  }
  return c.Exec(absl::StrCat("INSERT INTO ", table, " (unit_code, ", time_column,
                             ", event_id) "
                             "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[])"),
                {unit.Param(), at.Param(), event_id.Param()})
      .status();
}

// The breaches of a batch (events, their ids): the ledger rows in one statement, the unit
// memberships of the rows it added in another.
absl::Status InsertBreaches(pg::Connection& c,
                            const std::vector<std::pair<const v1::TicketEvent*, std::string>>& in,
                            const org::OrgModel& org) {
  if (in.empty()) return absl::OkStatus();
  sql::Column event_id, ticket, clock, tier, unit, at, deadline, by_ms;
  std::map<std::string, const v1::TicketEvent*> by_id;
  for (const auto& [e, id] : in) {
    const v1::ClockBreached& b = e->breached();
    by_id[id] = e;
    event_id.Add(id);
    ticket.Add(e->ticket_id());
    clock.Add(std::to_string(b.clock()));
    tier.Add(std::to_string(b.tier()));
    unit.Add(b.unit_code());
    at.Add(Ts(e->occurred_at()));
    deadline.Add(TsOrNull(b.has_deadline() ? &b.deadline() : nullptr));
    by_ms.Add(std::to_string(absl::ToInt64Milliseconds(FromProto(b.breached_by()))));
  }
  absl::StatusOr<pg::Result> r = c.Exec(
      "INSERT INTO breaches (event_id, ticket_id, clock_kind, tier, unit_code, breached_at, "
      "deadline, breached_by_ms) "
      "SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[], $5::text[], "
      "  $6::timestamptz[], $7::timestamptz[], $8::bigint[]) "
      "ON CONFLICT DO NOTHING RETURNING event_id",
      {event_id.Param(), ticket.Param(), clock.Param(), tier.Param(), unit.Param(), at.Param(),
       deadline.Param(), by_ms.Param()});
  if (!r.ok()) return r.status();
  std::vector<LedgerRow> added;
  for (int row = 0; row < r->rows(); ++row) {
    const v1::TicketEvent* e = by_id.at(r->Get(row, 0));
    added.push_back({e, r->Get(row, 0), e->breached().unit_code()});
  }
  return InsertUnits(c, "breach_units", "breached_at", added, org);
}

// The ledger row an event makes, if any.
absl::Status ApplyLedger(pg::Connection& c, const std::string& event_id, const v1::TicketEvent& e,
                         const v1::Ticket* snapshot, const org::OrgModel& org) {
  // Breaches: InsertBreaches, for the whole batch at once.
  if (e.has_returned()) {
    return c.Exec("INSERT INTO returns (event_id, ticket_id, unit_code, returned_at, reason) "
                  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                  {pg::Text(event_id), pg::Text(e.ticket_id()),
                   pg::Text(e.returned().unit_code()), Ts(e.occurred_at()), pg::Text(e.reason())})
        .status();
  }
  if (e.has_extension_requested()) {
    const v1::Extension& x = e.extension_requested().extension();
    return c.Exec(
                "INSERT INTO extensions (extension_id, ticket_id, unit_code, clock_kind, "
                "requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT DO NOTHING",
                {pg::Text(x.extension_id()), pg::Text(e.ticket_id()),
                 pg::Text(snapshot != nullptr ? snapshot->responsible_unit_code() : ""),
                 pg::Int(x.clock()), pg::Text(x.requested_by().id()),
                 Ts(x.has_requested_at() ? x.requested_at() : e.occurred_at())})
        .status();
  }
  if (e.has_extension_decided()) {
    const v1::ExtensionDecided& d = e.extension_decided();
    return c.Exec("UPDATE extensions SET decided_at = $2, approved = $3 "
                  "WHERE extension_id = $1 AND decided_at IS NULL",
                  {pg::Text(d.extension_id()), Ts(e.occurred_at()),
                   Bool(d.approved())})
        .status();
  }
  if (e.has_revisited()) {
    const v1::RevisitRecorded& v = e.revisited();
    absl::StatusOr<pg::Result> r = c.Exec(
        "INSERT INTO revisits (event_id, ticket_id, unit_code, revisited_at, satisfaction, "
        "false_closure, revisit, recorded_at, revisited_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING event_id",
        {pg::Text(event_id), pg::Text(e.ticket_id()), pg::Text(v.unit_code()),
         Ts(v.has_revisited_at() ? v.revisited_at() : e.occurred_at()),
         pg::Int(v.satisfaction()), Bool(v.false_closure()), pg::Bytes(v.SerializeAsString()),
         Ts(e.occurred_at()), pg::Bytes(e.actor().SerializeAsString())});
    if (!r.ok() || r->rows() == 0) return r.status();
    return InsertUnits(c, "revisit_units", "recorded_at", {{&e, event_id, v.unit_code()}}, org);
  }
  return absl::OkStatus();
}

}  // namespace

Projector::Projector(redis::Client* redis, pg::Connection* pg, org::OrgHolder* org,
                     Options options)
    : redis_(redis),
      pg_(pg),
      org_(org),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

Projector::~Projector() { Stop(); }

absl::Status Projector::Prepare() {
  if (absl::StatusOr<int> v = Migrate(*pg_); !v.ok()) return v.status();
  return CreateEventGroups(redis_, keys::kProjectorGroup);
}

absl::StatusOr<int> Projector::ClaimAbandoned() {
  absl::StatusOr<int> claimed = ClaimIdleEvents(redis_, keys::kProjectorGroup, options_.consumer,
                                                options_.claim_min_idle, options_.batch);
  if (claimed.ok() && *claimed > 0) pending_checked_ = false;
  return claimed;
}

absl::StatusOr<int> Projector::RunOnce(absl::Duration block) {
  int applied = 0;
  while (!pending_checked_) {
    int read = 0;
    absl::StatusOr<int> pending = ReadAndApply("0", absl::ZeroDuration(), &read);
    if (!pending.ok()) return pending;
    applied += *pending;
    if (read == 0) pending_checked_ = true;
  }
  if (applied > 0) return applied;
  int read = 0;
  absl::StatusOr<int> fresh = ReadAndApply(">", block, &read);
  // What it read is pending for this consumer now: the next run starts with it.
  if (!fresh.ok()) pending_checked_ = false;
  return fresh;
}

absl::Status Projector::EnsurePartition(absl::Time at) {
  const absl::CivilMonth month = absl::ToCivilMonth(at, absl::UTCTimeZone());
  const std::string name = absl::FormatCivilTime(month);  // "2026-11"
  if (partitions_.count(name) > 0) return absl::OkStatus();
  absl::Status s = pg_->Exec(EventPartitionDdl(month)).status();
  // Another projector may have created it between IF NOT EXISTS and CREATE.
  if (!s.ok() && !absl::StrContains(s.message(), "42P07")) return s;
  partitions_.insert(name);
  return absl::OkStatus();
}

namespace {

// Replies in flight: Begin() before each request, End() in its callback (recording what it
// brought, under the same lock), Wait() until every one has ended. What End recorded may be
// read once Wait has returned.
class InFlight {
 public:
  void Begin() {
    absl::MutexLock lock(&mu_);
    ++remaining_;
  }
  template <typename Record>
  void End(Record record) {
    absl::MutexLock lock(&mu_);
    record();
    --remaining_;
  }
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](int* n) { return *n == 0; }, &remaining_));
  }

 private:
  absl::Mutex mu_;
  int remaining_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

// The tickets of a transaction's entries as Redis holds them, read concurrently from the moment
// it is made: the projector makes the next transaction's while one commits. Their reads follow
// the read of the entries, so each snapshot is at least as new as the entries of its ticket
// (and the row's version guard keeps an older snapshot from replacing a newer one).
class Projector::Snapshots {
 public:
  Snapshots(redis::Client* redis, const std::vector<Item>& items) : store_(redis) {
    for (const Item& item : items) {
      if (item.decoded.ok()) tickets_.emplace(item.decoded->ticket_id, absl::UnknownError(""));
    }
    for (auto& [id, slot] : tickets_) {
      reads_.Begin();
      store_.GetUnscripted(id, [this, slot = &slot](absl::StatusOr<v1::Ticket> t) {
        reads_.End([&] { *slot = std::move(t); });
      });
    }
  }
  ~Snapshots() { reads_.Wait(); }  // no callback may outlive it
  // Every ticket read: NOT_FOUND for one gone from Redis.
  std::map<std::string, absl::StatusOr<v1::Ticket>>& Wait() {
    reads_.Wait();
    return tickets_;
  }

 private:
  TicketStore store_;
  InFlight reads_;
  std::map<std::string, absl::StatusOr<v1::Ticket>> tickets_;
};

// The acknowledgements of a pass's committed transactions, in flight together.
class Projector::Acks {
 public:
  ~Acks() { acks_.Wait(); }  // no callback may outlive it
  void Send(redis::Client* redis, std::vector<std::string> ack) {
    acks_.Begin();
    redis->Execute(std::move(ack), [this](absl::StatusOr<redis::Reply> r) {
      acks_.End([&] {
        if (!r.ok() && first_error_.ok()) first_error_ = r.status();
      });
    });
  }
  // When every acknowledgement is answered: the first error, if any.
  absl::Status Wait() {
    acks_.Wait();
    return first_error_;
  }

 private:
  InFlight acks_;
  absl::Status first_error_;  // written in InFlight::End, read after its Wait
};

absl::Status Projector::Apply(std::vector<Item>& items, Snapshots& pending_snapshots) {
  std::map<std::string, absl::StatusOr<v1::Ticket>>& snapshots = pending_snapshots.Wait();
  for (const auto& [id, t] : snapshots) {
    // Gone from Redis: its row stays as it is (the archive). Anything else: retry the batch.
    if (!t.ok() && !absl::IsNotFound(t.status())) return t.status();
  }
  for (const Item& item : items) {
    if (!item.decoded.ok()) continue;
    if (absl::Status s = EnsurePartition(FromProto(item.decoded->event.occurred_at())); !s.ok()) {
      return s;
    }
  }
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  const absl::Time transaction_began = absl::Now();
  // A few statements per batch, each carrying every row (unnest of arrays), not one per row.
  absl::Status committed = pg_->Transaction([&](pg::Connection& c) -> absl::Status {
    sql::Column at, event_id, ticket, stream_ms, stream_seq, version, type, actor;
    sql::ByteaColumn body;
    std::vector<std::pair<const v1::TicketEvent*, std::string>> breaches;
    for (const Item& item : items) {
      if (!item.decoded.ok()) continue;
      const v1::TicketEvent& e = item.decoded->event;
      const std::string id = EventId(item.shard, item.entry_id);
      at.Add(Ts(e.occurred_at()));
      event_id.Add(id);
      ticket.Add(e.ticket_id());
      stream_ms.Add(std::to_string(item.stream_ms));
      stream_seq.Add(std::to_string(item.stream_seq));
      version.Add(std::to_string(e.ticket_version()));
      type.Add(item.decoded->type);
      actor.Add(e.actor().id());
      body.Add(e.SerializeAsString());
      if (e.has_breached()) breaches.emplace_back(&e, id);
    }
    if (absl::Status s =
            c.Exec("INSERT INTO ticket_events (occurred_at, event_id, ticket_id, stream_ms, "
                   "stream_seq, version, type, actor_id, event) "
                   "SELECT o, i, t, ms, seq, v, ty, a, ev "
                   "FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[], "
                   "  $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::bytea[]) "
                   "  AS u(o, i, t, ms, seq, v, ty, a, ev) "
                   "ON CONFLICT DO NOTHING",
                   {at.Param(), event_id.Param(), ticket.Param(), stream_ms.Param(),
                    stream_seq.Param(), version.Param(), type.Param(), actor.Param(),
                    body.Param()})
                .status();
        !s.ok()) {
      return s;
    }
    if (absl::Status s = InsertBreaches(c, breaches, org->model); !s.ok()) return s;
    for (const Item& item : items) {
      if (!item.decoded.ok()) continue;
      const v1::TicketEvent& e = item.decoded->event;
      const auto& snap = snapshots.at(e.ticket_id());
      if (absl::Status s = ApplyLedger(c, EventId(item.shard, item.entry_id), e,
                                       snap.ok() ? &*snap : nullptr, org->model);
          !s.ok()) {
        return s;
      }
    }
    std::vector<const v1::Ticket*> tickets;
    std::vector<std::string> touched;
    for (const auto& [id, t] : snapshots) {
      if (t.ok()) tickets.push_back(&*t);
      touched.push_back(id);
    }
    if (absl::Status s = UpsertTickets(c, tickets, org->model, options_.pii_secret, clock_->Now());
        !s.ok()) {
      return s;
    }
    // Their statistics facts are folded again (services/statistics/fact_store.h).
    return c.Exec("INSERT INTO fact_queue (ticket_id) SELECT unnest($1::text[])",
                  {sql::TextArray(touched)})
        .status();
  });
  pass_.transaction += absl::Now() - transaction_began;
  return committed;
}

absl::StatusOr<int> Projector::ReadAndApply(const std::string& from_id, absl::Duration block,
                                            int* read) {
  // COUNT is per stream: a read takes up to batch/8 entries of each of the 256 streams.
  const int per_stream = std::max(1, options_.batch / 8);
  const absl::Time started = clock_->Now();
  const absl::Time pass_began = absl::Now();
  pass_ = PassTimes{};
  absl::StatusOr<redis::Reply> reply = redis_->ExecuteSync(
      ReadEventGroupCommand(keys::kProjectorGroup, options_.consumer, per_stream, block, from_id));
  if (!reply.ok()) return reply.status();
  const absl::Duration read_time = absl::Now() - pass_began;

  std::vector<Item> items;
  bool saturated = false;  // a stream gave all it was asked for: it may hold more
  for (const redis::Reply& stream : reply->elements) {
    if (stream.elements.size() != 2) continue;
    saturated |= static_cast<int>(stream.elements[1].elements.size()) >= per_stream;
    const int shard = keys::ShardOfKey(stream.elements[0].str).value_or(-1);
    for (const redis::Reply& entry : stream.elements[1].elements) {
      // A pending entry deleted from the stream meanwhile comes back as [id, nil].
      if (entry.elements.size() != 2) continue;
      Item item;
      item.shard = shard;
      item.entry_id = entry.elements[0].str;
      item.decoded = DecodeEventEntry(entry);
      if (item.decoded.ok() && !ParseStreamId(item.entry_id, &item.stream_ms, &item.stream_seq)) {
        item.decoded = absl::DataLossError("not a stream entry id");
      }
      if (!item.decoded.ok()) {
        log::Error("projector", "cannot decode an entry, acknowledged",
                   {{"shard", std::to_string(shard)},
                    {"entry_id", item.entry_id},
                    {"error", item.decoded.status().ToString()}});
      }
      items.push_back(std::move(item));
    }
  }
  *read = static_cast<int>(items.size());
  // Transactions of at most `batch` entries, each acknowledged once it has committed; the
  // tickets of the next one are read from Redis while one is applied.
  std::vector<std::vector<Item>> chunks;
  for (size_t from = 0; from < items.size(); from += options_.batch) {
    chunks.emplace_back(std::make_move_iterator(items.begin() + from),
                        std::make_move_iterator(items.begin() +
                                                std::min(items.size(), from + options_.batch)));
  }
  int applied = 0;
  Acks pending_acks;  // declared before `next`: outlives the snapshots' reads, waited on last
  std::unique_ptr<Snapshots> next;
  if (!chunks.empty()) next = std::make_unique<Snapshots>(redis_, chunks[0]);
  for (size_t k = 0; k < chunks.size(); ++k) {
    std::vector<Item>& chunk = chunks[k];
    std::unique_ptr<Snapshots> current = std::move(next);
    const absl::Time wait_began = absl::Now();
    current->Wait();
    pass_.snapshots += absl::Now() - wait_began;  // what the overlap did not hide
    if (k + 1 < chunks.size()) next = std::make_unique<Snapshots>(redis_, chunks[k + 1]);
    if (absl::Status s = Apply(chunk, *current); !s.ok()) return s;
    std::map<int, std::vector<std::string>> by_shard;
    for (const Item& item : chunk) by_shard[item.shard].push_back(item.entry_id);
    std::vector<std::vector<std::string>> acks;
    for (auto& [shard, ids] : by_shard) {
      std::vector<std::string> ack = {"XACK", keys::Events(shard), keys::kProjectorGroup};
      ack.insert(ack.end(), ids.begin(), ids.end());
      acks.push_back(std::move(ack));
    }
    // Sent now, answered while the next transaction runs; the pass waits for them at its end.
    // (Applied but not acknowledged: delivered again later, and applying it again is a no-op.)
    for (auto& ack : acks) pending_acks.Send(redis_, std::move(ack));
    for (const Item& item : chunk) applied += item.decoded.ok() ? 1 : 0;
  }
  const absl::Time acks_began = absl::Now();
  if (absl::Status s = pending_acks.Wait(); !s.ok()) return s;
  pass_.acks += absl::Now() - acks_began;
  // A pass that kept new events from the read model for a second or more: say where the time
  // went (the read of the streams, without its blocking wait when nothing was there; the ticket
  // snapshots from Redis; the PostgreSQL transactions; the acknowledgements).
  if (const absl::Duration took = absl::Now() - pass_began - (items.empty() ? read_time : absl::ZeroDuration());
      took >= absl::Seconds(1)) {
    auto ms = [](absl::Duration d) { return absl::StrFormat("%.0f", absl::ToDoubleMilliseconds(d)); };
    log::Warn("projector", "a slow pass",
              {{"entries", std::to_string(items.size())},
               {"took_ms", ms(took)},
               {"read_ms", ms(read_time)},
               {"snapshots_ms", ms(pass_.snapshots)},
               {"transactions_ms", ms(pass_.transaction)},
               {"acks_ms", ms(pass_.acks)}});
  }
  if (from_id == ">") drained_ = !saturated;
  if (from_id == ">" && !saturated) {
    // Everything appended before `started` was handed to this consumer or to another one
    // (whose own progress says how far it is), and what it handed here is applied.
    absl::StatusOr<pg::Result> r = pg_->Exec(
        "INSERT INTO projector_progress (consumer, caught_up_to, updated_at) "
        "VALUES ($1, $2, now()) ON CONFLICT (consumer) DO UPDATE SET "
        "  caught_up_to = GREATEST(projector_progress.caught_up_to, EXCLUDED.caught_up_to), "
        "  updated_at = now()",
        {pg::Text(options_.consumer), Ts(started)});
    if (!r.ok()) return r.status();
  }
  return applied;
}

void Projector::Start() {
  thread_ = std::thread([this] {
    NameThisThread("projector");
    bool prepared = false;
    absl::Duration pause = absl::Milliseconds(100);
    while (!stop_.load()) {
      absl::Status s = absl::OkStatus();
      if (!prepared) {
        s = Prepare();
        prepared = s.ok();
      }
      if (s.ok()) {
        const absl::Time started = absl::Now();
        drained_ = false;
        absl::StatusOr<int> n = RunOnce(absl::Milliseconds(500));
        s = n.status();
        // Keeping up: let the next entries gather for one read (Options::read_interval).
        if (s.ok() && drained_) absl::SleepFor(started + options_.read_interval - absl::Now());
      }
      if (s.ok()) {
        pause = absl::Milliseconds(100);
        continue;
      }
      log::Warn("projector", "projector pass failed, retrying",
                {{"error", s.ToString()}, {"retry_in", absl::FormatDuration(pause)}});
      SleepUnlessStopped(stop_, pause);
      pause = std::min(pause * 2, absl::Seconds(5));
    }
  });
}

void Projector::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace dispatch::readmodel
