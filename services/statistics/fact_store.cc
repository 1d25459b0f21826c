#include "services/statistics/fact_store.h"

#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/sleep_unless_stopped.h"
#include "common/thread_name.h"
#include "services/readmodel/migrations.h"
#include "services/readmodel/sql.h"
#include "services/statistics/company_lists.h"
#include "services/statistics/rates.h"

namespace dispatch::statistics {
namespace {

namespace sql = readmodel::sql;

// The advisory lock space of the fact store: (kLockSpace, a ticket's 31-bit hash).
constexpr int kLockSpace = 0x5354;  // "ST"
// The month close's advisory lock (kCloseLock, 0): a close holds it exclusively, every fold
// shared, so a fold's changes are either in the published figures or recorded as adjustments.
constexpr int kCloseLock = kLockSpace + 1;

// A fact with the units whose subtree totals count it (the charged unit, then its ancestors).
struct PathFact {
  Fact fact;
  std::vector<std::string> path;
  bool operator==(const PathFact& o) const { return fact == o.fact && path == o.path; }
};
using FactKey = std::pair<int, int>;  // measure, seq

struct Folded {
  std::map<FactKey, PathFact> facts;
  // The company record's entry, when the ticket is about a property company, and the key the
  // record is kept under (company_lists.h CompanyKey).
  std::optional<CompanyComplaint> company;
  std::string company_key;
  std::vector<std::string> lead_path;
};

std::vector<std::string> SplitCodes(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, ',');
}

std::vector<std::string> PathOf(const org::OrgModel& org, const std::string& unit) {
  std::vector<std::string> path = {unit};
  for (std::string& a : org.Ancestors(unit)) path.push_back(std::move(a));
  return path;
}

std::string Describe(const PathFact& f) {
  return absl::StrCat(sql::MonthDate(f.fact.month), " ", f.fact.unit_code, " [",
                      absl::StrJoin(f.path, ","), "] ", f.fact.numerator ? "1/1" : "0/1", " at ",
                      absl::FormatTime(f.fact.at));
}

// Folds the projected histories of `ids` (FoldTicket, CompanyComplaintOf) with the charged
// units' paths under `org`. A ticket without events is absent from the result.
absl::StatusOr<std::map<std::string, Folded>> FoldTickets(pg::Connection& c,
                                                          const std::vector<std::string>& ids,
                                                          const org::OrgModel& org,
                                                          const FactStore::Options& options) {
  std::map<std::string, Folded> out;
  if (ids.empty()) return out;
  const pg::Param id_array = sql::TextArray(ids);
  absl::StatusOr<pg::Result> rows =
      c.Exec(absl::StrCat("SELECT ticket_id, ", sql::MicrosOf("accepted_at"),
                          ", complainant_key, property_company, array_to_string(unit_path, ','), "
                          "company_code "
                          "FROM tickets WHERE ticket_id = ANY($1::text[])"),
             {id_array});
  if (!rows.ok()) return rows.status();
  struct Row {
    std::string key, code, named;
    std::vector<std::string> lead_path;
  };
  std::map<std::string, Row> ticket_rows;
  std::optional<int64_t> earliest_us;
  for (int r = 0; r < rows->rows(); ++r) {
    ticket_rows[rows->Get(r, 0)] = {rows->Get(r, 2), rows->Get(r, 5), rows->Get(r, 3),
                                    SplitCodes(rows->Get(r, 4))};
    const int64_t us = rows->GetInt(r, 1);
    earliest_us = earliest_us ? std::min(*earliest_us, us) : us;
  }
  // A ticket's events are no older than its acceptance: the bound prunes the month partitions.
  // A ticket without a row (not projected yet) lifts it.
  const bool all_rows = static_cast<int>(ticket_rows.size()) == static_cast<int>(ids.size());
  std::string events_sql =
      "SELECT ticket_id, event FROM ticket_events WHERE ticket_id = ANY($1::text[])";
  std::vector<pg::Param> params = {id_array};
  if (all_rows && earliest_us) {
    absl::StrAppend(&events_sql, " AND occurred_at >= ", sql::FromMicros("$2"));
    params.push_back(pg::Int(*earliest_us));
  }
  absl::StrAppend(&events_sql, " ORDER BY ticket_id, stream_ms, stream_seq");
  absl::StatusOr<pg::Result> events = c.Exec(events_sql, params);
  if (!events.ok()) return events.status();
  std::map<std::string, std::vector<v1::TicketEvent>> histories;
  for (int r = 0; r < events->rows(); ++r) {
    v1::TicketEvent e;
    if (!e.ParseFromString(events->Get(r, 1))) {
      return absl::DataLossError(
          absl::StrCat("ticket_events: an event of ", events->Get(r, 0), " does not parse"));
    }
    histories[events->Get(r, 0)].push_back(std::move(e));
  }
  // Who supervises a ticket of a unit raised to a tier: its ancestor (or itself) at that tier.
  const SupervisorOf supervisor_of = [&org](const std::string& unit, v1::Tier tier) {
    for (const std::string& u : PathOf(org, unit)) {
      const org::OrgModel::Unit* found = org.FindUnit(u);
      if (found != nullptr && found->tier == tier) return u;
    }
    return std::string();
  };
  for (const auto& [id, history] : histories) {
    Folded& f = out[id];
    for (Fact& fact : FoldTicket(history, options.zone, supervisor_of)) {
      // Stored to the microsecond (timestamptz): compared and kept at that precision.
      fact.at = absl::FromUnixMicros(absl::ToUnixMicros(fact.at));
      const FactKey key{static_cast<int>(fact.measure), fact.seq};
      std::vector<std::string> path = PathOf(org, fact.unit_code);
      f.facts[key] = PathFact{std::move(fact), std::move(path)};
    }
    auto row = ticket_rows.find(id);
    if (row == ticket_rows.end()) continue;
    // A correction decides, "none" included; before any, the code or the complaint's words.
    const v1::TicketEvent* corrected = nullptr;
    for (const v1::TicketEvent& e : history) {
      if (e.has_company_corrected()) corrected = &e;
    }
    const std::string company = corrected != nullptr
                                    ? corrected->company_corrected().to_code()
                                    : CompanyKey(org, row->second.code, row->second.named);
    if (!company.empty()) {
      f.company = CompanyComplaintOf(history, options.partly_counts);
      f.company->complainant_key = row->second.key;
      f.company_key = company;
      f.lead_path = row->second.lead_path;
    }
  }
  return out;
}

// The stored facts of `ids` (of `month` only, when given).
absl::StatusOr<std::map<std::string, std::map<FactKey, PathFact>>> StoredFacts(
    pg::Connection& c, const std::vector<std::string>& ids,
    std::optional<absl::CivilMonth> month) {
  std::string q = absl::StrCat(
      "SELECT ticket_id, measure, seq, to_char(month, 'YYYY-MM'), unit_code, "
      "array_to_string(unit_path, ','), numerator, ",
      sql::MicrosOf("fact_at"), " FROM ticket_facts WHERE ticket_id = ANY($1::text[])");
  std::vector<pg::Param> params = {sql::TextArray(ids)};
  if (month) {
    q += " AND month = $2::date";
    params.push_back(pg::Text(sql::MonthDate(*month)));
  }
  absl::StatusOr<pg::Result> r = c.Exec(q, params);
  if (!r.ok()) return r.status();
  std::map<std::string, std::map<FactKey, PathFact>> out;
  for (int i = 0; i < r->rows(); ++i) {
    PathFact f;
    f.fact.measure = static_cast<Measure>(r->GetInt(i, 1));
    f.fact.seq = static_cast<int>(r->GetInt(i, 2));
    if (!absl::ParseCivilTime(r->Get(i, 3), &f.fact.month)) {
      return absl::InternalError(absl::StrCat("ticket_facts: month ", r->Get(i, 3)));
    }
    f.fact.unit_code = r->Get(i, 4);
    f.path = SplitCodes(r->Get(i, 5));
    f.fact.numerator = r->Get(i, 6) == "t";
    f.fact.at = sql::TimeOfMicros(r->GetInt(i, 7));
    out[r->Get(i, 0)][{static_cast<int>(f.fact.measure), f.fact.seq}] = std::move(f);
  }
  return out;
}

// The fact_units rows of facts: one for each unit of a fact's path.
struct UnitRows {
  sql::Column unit, month, measure, ticket, seq, numerator;
  void Add(const std::string& ticket_id, const PathFact& f) {
    for (const std::string& u : f.path) {
      unit.Add(u);
      month.Add(sql::MonthDate(f.fact.month));
      measure.Add(std::to_string(static_cast<int>(f.fact.measure)));
      ticket.Add(ticket_id);
      seq.Add(std::to_string(f.fact.seq));
      numerator.Add(sql::Bool(f.fact.numerator));
    }
  }
};

// unit_month_totals deltas: (month, unit, measure) -> (numerator, denominator).
using Totals = std::map<std::tuple<std::string, std::string, int>, std::pair<int64_t, int64_t>>;
void Count(const PathFact& f, int sign, Totals* totals) {
  for (const std::string& unit : f.path) {
    auto& t = (*totals)[{sql::MonthDate(f.fact.month), unit, static_cast<int>(f.fact.measure)}];
    t.first += sign * (f.fact.numerator ? 1 : 0);
    t.second += sign;
  }
}

// Records the changed facts of closed months as adjustments (-1 for a fact taken out, +1 for
// one put in), at `now`.
absl::Status RecordAdjustments(
    pg::Connection& c, const std::vector<std::pair<std::string, const PathFact*>>& removed,
    const std::vector<std::pair<std::string, const PathFact*>>& added, absl::Time now) {
  std::set<std::string> months;
  for (const auto* list : {&removed, &added}) {
    for (const auto& [id, f] : *list) months.insert(sql::MonthDate(f->fact.month));
  }
  if (months.empty()) return absl::OkStatus();
  absl::StatusOr<pg::Result> closed =
      c.Exec("SELECT to_char(month, 'YYYY-MM-DD') FROM month_closes WHERE month = ANY($1::date[])",
             {sql::TextArray(std::vector<std::string>(months.begin(), months.end()))});
  if (!closed.ok()) return closed.status();
  std::set<std::string> final_months;
  for (int r = 0; r < closed->rows(); ++r) final_months.insert(closed->Get(r, 0));
  if (final_months.empty()) return absl::OkStatus();
  sql::Column month, id, measure, seq, unit, path, num, den;
  for (int sign : {-1, +1}) {
    for (const auto& [ticket, f] : sign < 0 ? removed : added) {
      if (final_months.count(sql::MonthDate(f->fact.month)) == 0) continue;
      month.Add(sql::MonthDate(f->fact.month));
      id.Add(ticket);
      measure.Add(std::to_string(static_cast<int>(f->fact.measure)));
      seq.Add(std::to_string(f->fact.seq));
      unit.Add(f->fact.unit_code);
      path.AddArray(f->path);
      num.Add(std::to_string(f->fact.numerator ? sign : 0));
      den.Add(std::to_string(sign));
    }
  }
  return c.Exec("INSERT INTO fact_adjustments (month, ticket_id, measure, fact_seq, unit_code, "
                "unit_path, numerator_delta, denominator_delta, recorded_at) "
                "SELECT mo, id, m, s, u, p::text[], n, d, $9 FROM unnest($1::date[], $2::text[], "
                "$3::smallint[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[]) "
                "AS a(mo, id, m, s, u, p, n, d)",
                {month.Param(), id.Param(), measure.Param(), seq.Param(), unit.Param(),
                 path.Param(), num.Param(), den.Param(), sql::Ts(now)})
      .status();
}

// Writes the difference between `stored` and `folded` facts, the totals' deltas, the
// adjustments of closed months (at `now`) and the company entries of `ids`.
absl::Status WriteDifference(pg::Connection& c, const std::vector<std::string>& ids,
                             std::map<std::string, std::map<FactKey, PathFact>>& stored,
                             std::map<std::string, Folded>& folded, absl::Time now) {
  std::vector<std::pair<std::string, const PathFact*>> removed, added;
  Totals totals;
  for (const std::string& id : ids) {
    const auto& before = stored[id];
    const auto& after = folded[id].facts;
    for (const auto& [key, f] : before) {
      auto it = after.find(key);
      if (it == after.end() || !(it->second == f)) {
        removed.emplace_back(id, &f);
        Count(f, -1, &totals);
      }
    }
    for (const auto& [key, f] : after) {
      auto it = before.find(key);
      if (it == before.end() || !(it->second == f)) {
        added.emplace_back(id, &f);
        Count(f, +1, &totals);
      }
    }
  }
  if (absl::Status s = RecordAdjustments(c, removed, added, now); !s.ok()) return s;
  if (!removed.empty()) {
    sql::Column id, measure, seq;
    UnitRows units;
    for (const auto& [ticket, f] : removed) {
      id.Add(ticket);
      measure.Add(std::to_string(static_cast<int>(f->fact.measure)));
      seq.Add(std::to_string(f->fact.seq));
      units.Add(ticket, *f);
    }
    if (absl::Status s = c.Exec("DELETE FROM ticket_facts f USING unnest($1::text[], "
                                "$2::smallint[], $3::int[]) AS d(id, m, s) "
                                "WHERE f.ticket_id = d.id AND f.measure = d.m AND f.seq = d.s",
                                {id.Param(), measure.Param(), seq.Param()})
                             .status();
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            c.Exec("DELETE FROM fact_units f USING unnest($1::text[], $2::date[], $3::smallint[], "
                   "$4::text[], $5::int[]) AS d(u, mo, m, id, s) WHERE f.unit_code = d.u AND "
                   "f.month = d.mo AND f.measure = d.m AND f.ticket_id = d.id AND f.seq = d.s",
                   {units.unit.Param(), units.month.Param(), units.measure.Param(),
                    units.ticket.Param(), units.seq.Param()})
                .status();
        !s.ok()) {
      return s;
    }
  }
  if (!added.empty()) {
    sql::Column id, measure, seq, month, unit, path, numerator, at;
    UnitRows units;
    for (const auto& [ticket, f] : added) {
      id.Add(ticket);
      measure.Add(std::to_string(static_cast<int>(f->fact.measure)));
      seq.Add(std::to_string(f->fact.seq));
      month.Add(sql::MonthDate(f->fact.month));
      unit.Add(f->fact.unit_code);
      path.AddArray(f->path);
      numerator.Add(sql::Bool(f->fact.numerator));
      at.Add(sql::Ts(f->fact.at));
      units.Add(ticket, *f);
    }
    if (absl::Status s =
            c.Exec("INSERT INTO ticket_facts (ticket_id, measure, seq, month, unit_code, "
                   "unit_path, numerator, fact_at) SELECT id, m, s, mo, u, p::text[], n, at "
                   "FROM unnest($1::text[], $2::smallint[], $3::int[], $4::date[], $5::text[], "
                   "$6::text[], $7::boolean[], $8::timestamptz[]) AS d(id, m, s, mo, u, p, n, at)",
                   {id.Param(), measure.Param(), seq.Param(), month.Param(), unit.Param(),
                    path.Param(), numerator.Param(), at.Param()})
                .status();
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            c.Exec("INSERT INTO fact_units (unit_code, month, measure, ticket_id, seq, numerator) "
                   "SELECT * FROM unnest($1::text[], $2::date[], $3::smallint[], $4::text[], "
                   "$5::int[], $6::boolean[])",
                   {units.unit.Param(), units.month.Param(), units.measure.Param(),
                    units.ticket.Param(), units.seq.Param(), units.numerator.Param()})
                .status();
        !s.ok()) {
      return s;
    }
  }
  // In key order (std::map): stores changing the same totals lock them in the same order.
  sql::Column t_month, t_unit, t_measure, t_num, t_den;
  for (const auto& [key, delta] : totals) {
    if (delta.first == 0 && delta.second == 0) continue;
    t_month.Add(std::get<0>(key));
    t_unit.Add(std::get<1>(key));
    t_measure.Add(std::to_string(std::get<2>(key)));
    t_num.Add(std::to_string(delta.first));
    t_den.Add(std::to_string(delta.second));
  }
  if (absl::Status s =
          c.Exec("INSERT INTO unit_month_totals (month, unit_code, measure, numerator, denominator) "
                 "SELECT * FROM unnest($1::date[], $2::text[], $3::smallint[], $4::bigint[], "
                 "$5::bigint[]) ON CONFLICT (month, unit_code, measure) DO UPDATE SET "
                 "numerator = unit_month_totals.numerator + EXCLUDED.numerator, "
                 "denominator = unit_month_totals.denominator + EXCLUDED.denominator",
                 {t_month.Param(), t_unit.Param(), t_measure.Param(), t_num.Param(),
                  t_den.Param()})
              .status();
      !s.ok()) {
    return s;
  }
  // Company entries: written whole (a ticket's entry is small), removed when no company.
  sql::Column c_id, c_company, c_accepted, c_key, c_sub, c_refused, c_reached, c_satisfied,
      c_path, none;
  for (const std::string& id : ids) {
    const Folded& f = folded[id];
    if (!f.company) {
      none.Add(id);
      continue;
    }
    c_id.Add(id);
    c_company.Add(f.company_key);
    c_accepted.Add(sql::Ts(f.company->accepted_at));
    c_key.Add(f.company->complainant_key);
    c_sub.Add(sql::Bool(f.company->substantiated));
    c_refused.Add(sql::Bool(f.company->refused_to_rectify));
    c_reached.Add(sql::Bool(f.company->reached));
    c_satisfied.Add(sql::Bool(f.company->satisfied));
    c_path.AddArray(f.lead_path);
  }
  if (absl::Status s = c.Exec("DELETE FROM company_complaints WHERE ticket_id = ANY($1::text[])",
                              {none.Param()})
                           .status();
      !s.ok()) {
    return s;
  }
  return c
      .Exec("INSERT INTO company_complaints (ticket_id, company, accepted_at, complainant_key, "
            "substantiated, refused, reached, satisfied, unit_path) "
            "SELECT id, co, at, k, s, r, re, sa, p::text[] FROM unnest($1::text[], $2::text[], "
            "$3::timestamptz[], $4::text[], $5::boolean[], $6::boolean[], $7::boolean[], "
            "$8::boolean[], $9::text[]) AS d(id, co, at, k, s, r, re, sa, p) "
            "ON CONFLICT (ticket_id) DO UPDATE SET company = EXCLUDED.company, "
            "accepted_at = EXCLUDED.accepted_at, complainant_key = EXCLUDED.complainant_key, "
            "substantiated = EXCLUDED.substantiated, refused = EXCLUDED.refused, "
            "reached = EXCLUDED.reached, satisfied = EXCLUDED.satisfied, "
            "unit_path = EXCLUDED.unit_path "
            // Most folds change nothing here: no new row version then.
            "WHERE (company_complaints.company, company_complaints.accepted_at, "
            "company_complaints.complainant_key, company_complaints.substantiated, "
            "company_complaints.refused, company_complaints.reached, "
            "company_complaints.satisfied, company_complaints.unit_path) IS DISTINCT FROM "
            "(EXCLUDED.company, EXCLUDED.accepted_at, EXCLUDED.complainant_key, "
            "EXCLUDED.substantiated, EXCLUDED.refused, EXCLUDED.reached, EXCLUDED.satisfied, "
            "EXCLUDED.unit_path)",
            {c_id.Param(), c_company.Param(), c_accepted.Param(), c_key.Param(), c_sub.Param(),
             c_refused.Param(), c_reached.Param(), c_satisfied.Param(), c_path.Param()})
      .status();
}

}  // namespace

FactStore::FactStore(pg::Connection* pg, org::OrgHolder* org, Options options)
    : pg_(pg),
      org_(org),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

FactStore::~FactStore() { Stop(); }

absl::StatusOr<int> FactStore::RunOnce() {
  int taken = 0;
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  absl::Status s = pg_->Transaction([&](pg::Connection& c) -> absl::Status {
    // Before anything is read: a close waits for this fold, or this fold for the close.
    if (absl::Status l = c.Exec("SELECT pg_advisory_xact_lock_shared($1, 0)", {pg::Int(kCloseLock)})
                             .status();
        !l.ok()) {
      return l;
    }
    const absl::Time now = clock_->Now();  // after a close this waited for: adjusted after it
    // The rows due, and with them every row of their tickets committed by now that no other
    // store holds (waiting for one could deadlock; a row left behind only folds the ticket
    // once more): this statement runs before the histories are read, so their events are
    // read too.
    absl::StatusOr<pg::Result> queue = c.Exec(
        "DELETE FROM fact_queue WHERE seq IN (SELECT seq FROM fact_queue WHERE ticket_id IN "
        "(SELECT ticket_id FROM fact_queue WHERE queued_at <= now() - $2 * interval "
        "'1 microsecond' ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "FOR UPDATE SKIP LOCKED) RETURNING ticket_id",
        {pg::Int(options_.batch), pg::Int(absl::ToInt64Microseconds(options_.fold_delay))});
    if (!queue.ok()) return queue.status();
    taken = queue->rows();
    std::set<std::string> unique;
    for (int r = 0; r < queue->rows(); ++r) unique.insert(queue->Get(r, 0));
    if (unique.empty()) return absl::OkStatus();
    const std::vector<std::string> ids(unique.begin(), unique.end());
    std::set<int64_t> locks;
    for (const std::string& id : ids) locks.insert(keys::StableHash64(id) & 0x7fffffff);
    if (absl::Status l = c.Exec("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int[]) AS k",
                                {pg::Int(kLockSpace), sql::IntArray(locks)})
                             .status();
        !l.ok()) {
      return l;
    }
    auto folded = FoldTickets(c, ids, org->model, options_);
    if (!folded.ok()) return folded.status();
    auto stored = StoredFacts(c, ids, std::nullopt);
    if (!stored.ok()) return stored.status();
    return WriteDifference(c, ids, *stored, *folded, now);
  });
  if (!s.ok()) return s;
  return taken;
}

absl::StatusOr<FactStore::MonthCheck> FactStore::Recompute(absl::CivilMonth month,
                                                           int max_differences) {
  MonthCheck check;
  auto differ = [&](std::string line) {
    if (static_cast<int>(check.differences.size()) < max_differences) {
      check.differences.push_back(std::move(line));
    }
    ++check.difference_count;
  };
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  const absl::Time from = absl::FromCivil(absl::CivilSecond(month), options_.zone);
  const absl::Time to = absl::FromCivil(absl::CivilSecond(month + 1), options_.zone);
  absl::StatusOr<pg::Result> candidates = pg_->Exec(
      "SELECT DISTINCT ticket_id FROM ticket_events WHERE occurred_at >= $1 AND occurred_at < $2 "
      "UNION SELECT ticket_id FROM ticket_facts WHERE month = $3::date ORDER BY 1",
      {sql::Ts(from), sql::Ts(to), pg::Text(sql::MonthDate(month))});
  if (!candidates.ok()) return candidates.status();
  std::vector<std::string> all;
  for (int r = 0; r < candidates->rows(); ++r) all.push_back(candidates->Get(r, 0));
  Totals sums;
  constexpr size_t kChunk = 1000;
  for (size_t begin = 0; begin < all.size(); begin += kChunk) {
    std::vector<std::string> ids(all.begin() + begin,
                                 all.begin() + std::min(all.size(), begin + kChunk));
    auto folded = FoldTickets(*pg_, ids, org->model, options_);
    if (!folded.ok()) return folded.status();
    auto stored = StoredFacts(*pg_, ids, month);
    if (!stored.ok()) return stored.status();
    for (const std::string& id : ids) {
      std::map<FactKey, PathFact> mine;
      for (const auto& [key, f] : (*folded)[id].facts) {
        if (f.fact.month == month) mine[key] = f;
      }
      ++check.tickets;
      check.facts += static_cast<int64_t>(mine.size());
      const auto& have = (*stored)[id];
      // "T... response#0: stored ..., folded ..."
      auto fact_differs = [&](const FactKey& key, const PathFact* stored_fact,
                              const PathFact* folded_fact) {
        differ(absl::StrCat(id, " ", MeasureName(static_cast<Measure>(key.first)), "#",
                            key.second, ": stored ", stored_fact ? Describe(*stored_fact) : "none",
                            ", folded ", folded_fact ? Describe(*folded_fact) : "none"));
      };
      for (const auto& [key, f] : mine) {
        Count(f, +1, &sums);
        auto it = have.find(key);
        if (it == have.end()) {
          fact_differs(key, nullptr, &f);
        } else if (!(it->second == f)) {
          fact_differs(key, &it->second, &f);
        }
      }
      for (const auto& [key, f] : have) {
        if (mine.count(key) == 0) fact_differs(key, &f, nullptr);
      }
    }
  }
  absl::StatusOr<pg::Result> totals = pg_->Exec(
      "SELECT unit_code, measure, numerator, denominator FROM unit_month_totals "
      "WHERE month = $1::date",
      {pg::Text(sql::MonthDate(month))});
  if (!totals.ok()) return totals.status();
  std::map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> stored_totals, folded_totals;
  for (int r = 0; r < totals->rows(); ++r) {
    const std::pair<int64_t, int64_t> v{totals->GetInt(r, 2), totals->GetInt(r, 3)};
    if (v.first != 0 || v.second != 0) {
      stored_totals[{totals->Get(r, 0), static_cast<int>(totals->GetInt(r, 1))}] = v;
    }
  }
  for (const auto& [key, v] : sums) folded_totals[{std::get<1>(key), std::get<2>(key)}] = v;
  for (const auto& [key, v] : folded_totals) {
    auto it = stored_totals.find(key);
    const std::pair<int64_t, int64_t> have = it == stored_totals.end() ? std::make_pair(0L, 0L)
                                                                     : it->second;
    if (have != v) {
      differ(absl::StrCat("total ", key.first, " ", MeasureName(static_cast<Measure>(key.second)),
                          ": stored ", have.first, "/", have.second, ", folded ", v.first, "/",
                          v.second));
    }
  }
  for (const auto& [key, v] : stored_totals) {
    if (folded_totals.count(key) == 0) {
      differ(absl::StrCat("total ", key.first, " ", MeasureName(static_cast<Measure>(key.second)),
                          ": stored ", v.first, "/", v.second, ", folded none"));
    }
  }
  // A closed month: what was published plus what was adjusted since is what is kept.
  absl::StatusOr<pg::Result> closed = pg_->Exec(
      "SELECT 1 FROM month_closes WHERE month = $1::date", {pg::Text(sql::MonthDate(month))});
  if (!closed.ok()) return closed.status();
  if (closed->rows() == 0) return check;
  absl::StatusOr<pg::Result> published = pg_->Exec(
      "SELECT unit_code, measure, numerator, denominator FROM closed_unit_totals "
      "WHERE month = $1::date "
      "UNION ALL SELECT unnest(unit_path), measure, sum(numerator_delta), sum(denominator_delta) "
      "FROM fact_adjustments WHERE month = $1::date GROUP BY unit_path, measure",
      {pg::Text(sql::MonthDate(month))});
  if (!published.ok()) return published.status();
  std::map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> adjusted;
  for (int r = 0; r < published->rows(); ++r) {
    auto& v = adjusted[{published->Get(r, 0), static_cast<int>(published->GetInt(r, 1))}];
    v.first += published->GetInt(r, 2);
    v.second += published->GetInt(r, 3);
  }
  for (const auto& live : stored_totals) adjusted[live.first];  // kept, published as none
  for (const auto& [key, v] : adjusted) {
    auto it = stored_totals.find(key);
    const std::pair<int64_t, int64_t> live =
        it == stored_totals.end() ? std::make_pair(0L, 0L) : it->second;
    if (live != v) {
      differ(absl::StrCat("published+adjusted ", key.first, " ",
                          MeasureName(static_cast<Measure>(key.second)), ": ", v.first, "/",
                          v.second, ", kept ", live.first, "/", live.second));
    }
  }
  return check;
}

absl::Status FactStore::PublishLists(pg::Connection& c, absl::CivilMonth month) {
  absl::StatusOr<pg::Result> evaluations = c.Exec(kEvaluationsUpToYear, {pg::Int(month.year())});
  if (!evaluations.ok()) return evaluations.status();
  auto listed = ListCompanies(*evaluations, static_cast<int>(month.year()), options_.credit,
                              org_->Get()->model);
  if (!listed.ok()) return listed.status();
  if (listed->empty()) return absl::OkStatus();
  sql::Column list, code, name, latest_year, latest, previous_year, previous;
  for (const ListedCompany& l : *listed) {
    list.Add(std::to_string(static_cast<int>(l.list)));
    code.Add(l.credit_code);
    name.Add(l.name);
    latest_year.Add(std::to_string(l.latest_year));
    latest.Add(absl::StrFormat("%.2f", l.latest_score));
    previous_year.Add(std::to_string(l.previous_year));
    previous.Add(absl::StrFormat("%.2f", l.previous_score));
  }
  return c.Exec("INSERT INTO company_lists (month, list, credit_code, name, latest_year, "
                "latest_score, previous_year, previous_score) SELECT $1::date, l, c, n, ly, ls, "
                "py, ps FROM unnest($2::smallint[], $3::text[], $4::text[], $5::int[], "
                "$6::numeric[], $7::int[], $8::numeric[]) AS u(l, c, n, ly, ls, py, ps)",
                {pg::Text(sql::MonthDate(month)), list.Param(), code.Param(), name.Param(),
                 latest_year.Param(), latest.Param(), previous_year.Param(), previous.Param()})
      .status();
}

absl::Time FactStore::CloseInstant(absl::CivilMonth month) const {
  const absl::CivilMonth next = month + 1;
  return absl::FromCivil(absl::CivilDay(next.year(), next.month(), options_.close_day),
                         options_.zone);
}

absl::StatusOr<int> FactStore::CloseDueMonths() {
  const absl::Time now = clock_->Now();
  // From the first month with figures (or the first closed one) to the last month due; none
  // while the fold is behind (a change queued longer than fold_delay and a minute ago: after an
  // outage or an upgrade's refold the figures would be published incomplete).
  absl::StatusOr<pg::Result> r = pg_->Exec(
      "SELECT to_char(least((SELECT min(month) FROM unit_month_totals), "
      "(SELECT min(month) FROM month_closes)), 'YYYY-MM'), "
      "coalesce((SELECT array_to_string(array_agg(to_char(month, 'YYYY-MM')), ',') "
      "FROM month_closes), ''), "
      "EXISTS (SELECT 1 FROM fact_queue WHERE queued_at < now() - interval '1 minute' - "
      "$1 * interval '1 microsecond')",
      {pg::Int(absl::ToInt64Microseconds(options_.fold_delay))});
  if (!r.ok()) return r.status();
  if (r->rows() == 0 || r->IsNull(0, 0)) return 0;  // no figures yet
  if (r->Get(0, 2) == "t") return 0;                 // the fold is behind: not yet
  absl::CivilMonth first;
  if (!absl::ParseCivilTime(r->Get(0, 0), &first)) {
    return absl::InternalError(absl::StrCat("month_closes: bad month ", r->Get(0, 0)));
  }
  const std::vector<std::string> closed_list = SplitCodes(r->Get(0, 1));
  const std::set<std::string> closed(closed_list.begin(), closed_list.end());
  int closed_now = 0;
  for (absl::CivilMonth m = first; CloseInstant(m) <= now; ++m) {
    if (closed.count(absl::FormatCivilTime(m))) continue;
    absl::Status s = pg_->Transaction([&](pg::Connection& c) -> absl::Status {
      // Waits for the folds in flight; the folds after it see the close.
      if (absl::Status l = c.Exec("SELECT pg_advisory_xact_lock($1, 0)", {pg::Int(kCloseLock)})
                               .status();
          !l.ok()) {
        return l;
      }
      absl::StatusOr<pg::Result> added =
          c.Exec("INSERT INTO month_closes (month, closed_at) VALUES ($1::date, $2) "
                 "ON CONFLICT (month) DO NOTHING RETURNING month",
                 {pg::Text(sql::MonthDate(m)), sql::Ts(now)});
      if (!added.ok()) return added.status();
      if (added->rows() == 0) return absl::OkStatus();  // another store closed it
      ++closed_now;
      if (absl::Status s = c.Exec("INSERT INTO closed_unit_totals (month, unit_code, measure, "
                                  "numerator, denominator) SELECT month, unit_code, measure, "
                                  "numerator, denominator FROM unit_month_totals "
                                  "WHERE month = $1::date",
                                  {pg::Text(sql::MonthDate(m))})
                           .status();
          !s.ok()) {
        return s;
      }
      return PublishLists(c, m);
    });
    if (!s.ok()) return s;
  }
  return closed_now;
}

void FactStore::Start() {
  thread_ = std::thread([this] {
    NameThisThread("fact-store");
    bool prepared = false;
    while (!stop_.load()) {
      absl::StatusOr<int> n = 0;
      if (!prepared) {
        // The schema first (the projector applies it too; whoever comes first).
        n = readmodel::Migrate(*pg_);
        prepared = n.ok();
        if (prepared) continue;
      } else if (absl::StatusOr<bool> behind = ProjectorBehind(); !behind.ok()) {
        n = behind.status();
      } else if (!*behind) {
        if (absl::StatusOr<int> closed = CloseDueMonths(); !closed.ok()) {
          log::Warn("facts", "cannot close due months", {{"error", closed.status().ToString()}});
        }
        n = RunOnce();
        if (n.ok() && *n >= options_.batch) continue;  // more waiting
      }
      if (!n.ok()) {
        log::Warn("facts", "fact store pass failed, retrying",
                  {{"error", n.status().ToString()},
                   {"retry_in", absl::FormatDuration(options_.interval)}});
      }
      SleepUnlessStopped(stop_, options_.interval);
    }
  });
}

absl::StatusOr<bool> FactStore::ProjectorBehind() {
  // The projector records its progress at every read that drained the streams (several times
  // a second while it keeps up, about twice a second when idle).
  absl::StatusOr<pg::Result> r = pg_->Exec(
      "SELECT (SELECT coalesce(max(updated_at), now()) FROM projector_progress) < "
      "now() - interval '1 second' AND coalesce((SELECT min(queued_at) FROM fact_queue), "
      "now()) > now() - $1 * interval '1 microsecond'",
      {pg::Int(absl::ToInt64Microseconds(options_.max_yield))});
  if (!r.ok()) return r.status();
  return r->rows() > 0 && r->Get(0, 0) == "t";
}

void FactStore::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace dispatch::statistics
