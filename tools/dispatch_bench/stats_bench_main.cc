// stats_bench: the supervision outputs at a year of tickets (issue #16). tools/bench stats runs
// it (tools/lib/bench_stats.sh) against a throwaway PostgreSQL and a dispatchd serving
// StatisticsService.
//
//   1. Writes --tickets tickets spread evenly over the --months calendar months (Asia/Shanghai)
//      ending with --end_month, with their event histories, straight into the read model's
//      `tickets` and `ticket_events` (the projector's tables and encodings): the statistics
//      fold what the events say, and loading a year through the API would take hours here.
//      By the ticket's number: 10 % nobody handles (the assign and preliminary clocks breach),
//      5 % returned by the community and dispatched to its neighbour, the rest signed for,
//      contacted (a tenth late: a recorded breach), resolved within 1-4 days (about 40 % after
//      the 3-day deadline), found substantiated / partly / not (3:1:1; one in 99,991 a refusal
//      to rectify), revisited a day later (1 in 20 not reached; 1 in 10 dissatisfied: reopened,
//      resolved again, revisited satisfied) and closed. Complaints name one of --companies
//      property companies; complainants come from a pool of a third as many phones. The
//      returned ones go to the next community of the organisation's list.
//   2. Queues every ticket and folds them with services/statistics/fact_store.h (the work an
//      upgrade to the statistics or a full refold does), timed.
//   3. Recomputes one month from the events (FactStore::Recompute), timed; any difference from
//      the stored facts is printed and fails the run.
//   4. Through the API, --reps times each: a county's scorecard, the ranking of the city's
//      counties and of a county's townships, a company's record (12 months).
// Last line: stats tickets=N scorecard_p99_ms=A rankings_p99_ms=B company_p99_ms=C
//            recompute_month_s=D
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "common/keys.h"
#include "common/pg/pg_client.h"
#include "common/proto_time.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/statistics.grpc.pb.h"
#include "services/org/org_holder.h"
#include "services/readmodel/migrations.h"
#include "services/readmodel/sql.h"
#include "services/statistics/fact_store.h"

ABSL_FLAG(std::string, pg, "", "libpq conninfo of the read model");
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "dispatchd serving StatisticsService");
ABSL_FLAG(std::string, ca, "", "CA certificate (PEM) of the server");
ABSL_FLAG(std::string, token_file, "", "a supervisor's token at the city");
ABSL_FLAG(std::string, org, "deploy/org.textproto", "the organisation (dispatchd's)");
ABSL_FLAG(int, tickets, 1000000, "tickets to write");
ABSL_FLAG(int, months, 12, "calendar months they span");
ABSL_FLAG(std::string, end_month, "2026-11", "the last of those months");
ABSL_FLAG(int, companies, 200, "property companies the complaints name");
ABSL_FLAG(int, reps, 200, "timed calls of each read");

namespace {

namespace v1 = dispatch::v1;
namespace sql = dispatch::readmodel::sql;
using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  fprintf(stderr, "stats_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  exit(1);
}

double P99(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(0.99 * v.size()))];
}

struct Community {
  std::string code, township, county, city;
};

// One ticket's events, built in order (versions, stream positions).
class History {
 public:
  History(std::string id, int shard, uint64_t* seq) : id_(std::move(id)), shard_(shard), seq_(seq) {}
  v1::TicketEvent& Add(absl::Time at, const std::string& actor_unit) {
    v1::TicketEvent& e = events_.emplace_back();
    e.set_ticket_id(id_);
    e.set_ticket_version(static_cast<int64_t>(events_.size()));
    *e.mutable_occurred_at() = dispatch::ToProto(at);
    e.mutable_actor()->set_id(actor_unit.empty() ? "system" : "h-" + actor_unit);
    e.mutable_actor()->set_unit_code(actor_unit);
    return e;
  }
  void Clocks(google::protobuf::RepeatedPtrField<v1::SlaClock>* clocks, absl::Time at, int round) {
    for (auto [kind, after] : {std::pair{v1::CLOCK_KIND_ASSIGN, absl::Minutes(30)},
                               std::pair{v1::CLOCK_KIND_PRELIMINARY, absl::Hours(3)},
                               std::pair{v1::CLOCK_KIND_RESOLVE, absl::Hours(72)}}) {
      v1::SlaClock* c = clocks->Add();
      c->set_kind(kind);
      c->set_round(round);
      *c->mutable_deadline() = dispatch::ToProto(at + after);
    }
  }
  const std::vector<v1::TicketEvent>& events() const { return events_; }
  const std::string& id() const { return id_; }
  int shard() const { return shard_; }
  uint64_t NextSeq() { return (*seq_)++; }

 private:
  std::string id_;
  int shard_;
  uint64_t* seq_;
  std::vector<v1::TicketEvent> events_;
};

// The story of ticket `i` (see the top of the file).
void Tell(int i, absl::Time t0, const Community& c, const Community& neighbour, History* h) {
  const std::string& unit = c.code;
  auto& acc = h->Add(t0, "");
  acc.mutable_accepted()->set_channel(v1::CHANNEL_HOTLINE_12345);
  h->Clocks(acc.mutable_accepted()->mutable_clocks(), t0, 1);
  h->Add(t0 + absl::Seconds(2), "").mutable_routed()->set_unit_code(unit);
  const int fate = i % 100;
  std::string lead = unit;
  auto breach = [&](absl::Time at, v1::ClockKind k, bool late) {
    auto& b = *h->Add(at, "").mutable_breached();
    b.set_clock(k);
    b.set_unit_code(lead);
    b.set_tier(v1::TIER_COMMUNITY);
    b.set_met_late(late);
  };
  if (fate < 10) {  // nobody handles it
    breach(t0 + absl::Minutes(30), v1::CLOCK_KIND_ASSIGN, false);
    breach(t0 + absl::Hours(3), v1::CLOCK_KIND_PRELIMINARY, false);
    return;
  }
  absl::Time at = t0 + absl::Minutes(5 + i % 20);
  if (fate < 15) {  // returned, then dispatched to the neighbour
    h->Add(at, unit).mutable_returned()->set_unit_code(unit);
    at += absl::Minutes(3);
    h->Add(at, "").mutable_routed()->set_unit_code(neighbour.code);
    lead = neighbour.code;
    at += absl::Minutes(5);
  }
  h->Add(at, lead).mutable_signed_for();
  const bool contact_late = i % 10 == 3;
  // A contact a tenth of the time late: the engine found the clock open at its deadline and
  // recorded the breach then.
  at = t0 + (contact_late ? absl::Hours(4) : absl::Minutes(60 + i % 100));
  if (contact_late) breach(t0 + absl::Hours(3), v1::CLOCK_KIND_PRELIMINARY, false);
  h->Add(at, lead).mutable_contacted()->set_preliminary_result("物业已承诺整改");
  auto resolve = [&](absl::Time when, int variant) {
    auto& r = *h->Add(when, lead).mutable_resolved();
    r.set_result("已处理");
    const int f = variant % 5;
    r.set_substantiation(f < 3    ? v1::SUBSTANTIATION_SUBSTANTIATED
                         : f == 3 ? v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED
                                  : v1::SUBSTANTIATION_UNSUBSTANTIATED);
    r.set_refused_to_rectify(f < 4 && variant % 99991 == 0);
  };
  at = t0 + absl::Hours(24 + (i * 7) % 72) + (i % 4 == 0 ? absl::Hours(20) : absl::ZeroDuration());
  resolve(at, i);
  auto revisit = [&](absl::Time when, bool reached, v1::Satisfaction s) {
    auto& r = *h->Add(when, c.township).mutable_revisited();
    r.set_reached(reached);
    r.set_solved(reached && s != v1::SATISFACTION_DISSATISFIED);
    r.set_satisfaction(reached ? s : v1::SATISFACTION_UNSPECIFIED);
    r.set_unit_code(lead);
  };
  at += absl::Hours(24);
  if (i % 20 == 7) {  // not reached: closed as unreachable
    revisit(at, false, v1::SATISFACTION_UNSPECIFIED);
  } else if (i % 10 == 1) {  // dissatisfied: reopened, redone, satisfied
    revisit(at, true, v1::SATISFACTION_DISSATISFIED);
    auto& re = *h->Add(at, "").mutable_reopened();
    re.set_redo_count(1);
    h->Clocks(re.mutable_clocks(), at, 2);
    h->Add(at + absl::Minutes(10), lead).mutable_signed_for();
    h->Add(at + absl::Hours(1), lead).mutable_contacted()->set_preliminary_result("再次整改");
    resolve(at + absl::Hours(30), i + 1);
    at += absl::Hours(54);
    revisit(at, true, v1::SATISFACTION_SATISFIED);
  } else {
    revisit(at, true, i % 3 == 0 ? v1::SATISFACTION_BASICALLY_SATISFIED : v1::SATISFACTION_SATISFIED);
  }
  h->Add(at + absl::Seconds(1), "").mutable_closed()->set_reason(i % 20 == 7 ? v1::CLOSURE_REASON_UNREACHABLE : v1::CLOSURE_REASON_SATISFIED);
}

// Writes `batch` histories (tickets and their events) in one transaction.
void Write(dispatch::pg::Connection& pg, std::vector<History>& batch,
           const std::vector<std::string>& companies, const std::vector<std::string>& phones,
           const std::vector<Community>& where) {
  sql::Column id, status, company, accepted, closed, body, updated, key, unit, path;
  sql::Column e_at, e_id, e_ticket, e_ms, e_seq, e_version, e_type, e_actor, e_body;
  for (size_t k = 0; k < batch.size(); ++k) {
    History& h = batch[k];
    const auto& events = h.events();
    const bool is_closed = events.back().has_closed();
    v1::Ticket t;
    t.set_ticket_id(h.id());
    t.set_version(static_cast<int64_t>(events.size()));
    id.Add(h.id());
    status.Add(std::to_string(is_closed ? v1::TICKET_STATUS_CLOSED : v1::TICKET_STATUS_ROUTED));
    company.Add(companies[k]);
    accepted.Add(sql::Ts(events.front().occurred_at()));
    closed.Add(is_closed ? sql::Ts(events.back().occurred_at()) : dispatch::pg::Null());
    body.AddHex(t.SerializeAsString());
    updated.Add(sql::Ts(events.back().occurred_at()));
    key.Add(absl::StrFormat("%016x", dispatch::keys::StableHash64(absl::StrCat("phone-", phones[k]))));
    unit.Add(where[k].code);
    path.AddArray({where[k].code, where[k].township, where[k].county, where[k].city});
    for (const v1::TicketEvent& e : events) {
      const int64_t ms = absl::ToUnixMillis(dispatch::FromProto(e.occurred_at()));
      const uint64_t seq = h.NextSeq();
      e_at.Add(sql::Ts(e.occurred_at()));
      e_id.Add(absl::StrCat(h.shard(), "-", ms, "-", seq));
      e_ticket.Add(h.id());
      e_ms.Add(std::to_string(ms));
      e_seq.Add(std::to_string(seq));
      e_version.Add(std::to_string(e.ticket_version()));
      e_type.Add(e.GetDescriptor()->FindFieldByNumber(e.payload_case())->name());
      e_actor.Add(e.actor().id());
      e_body.AddHex(e.SerializeAsString());
    }
  }
  absl::Status s = pg.Transaction([&](dispatch::pg::Connection& c) -> absl::Status {
    auto r = c.Exec(
        "INSERT INTO tickets (ticket_id, version, status, channel, category, priority, "
        "unit_code, unit_path, property_company, accepted_at, closed_at, ticket, updated_at, "
        "complainant_key) SELECT i, 1, s, 1, 3, 0, u, p::text[], co, a, cl, decode(b, 'hex'), "
        "up, k FROM unnest($1::text[], $2::smallint[], $3::text[], $4::timestamptz[], "
        "$5::timestamptz[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[]) "
        "AS x(i, s, co, a, cl, b, up, k, u, p)",
        {id.Param(), status.Param(), company.Param(), accepted.Param(), closed.Param(),
         body.Param(), updated.Param(), key.Param(), unit.Param(), path.Param()});
    if (!r.ok()) return r.status();
    return c
        .Exec("INSERT INTO ticket_events (occurred_at, event_id, ticket_id, stream_ms, "
              "stream_seq, version, type, actor_id, event) SELECT o, i, t, ms, sq, v, ty, a, "
              "decode(ev, 'hex') FROM unnest($1::timestamptz[], $2::text[], $3::text[], "
              "$4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[]) "
              "AS x(o, i, t, ms, sq, v, ty, a, ev)",
              {e_at.Param(), e_id.Param(), e_ticket.Param(), e_ms.Param(), e_seq.Param(),
               e_version.Param(), e_type.Param(), e_actor.Param(), e_body.Param()})
        .status();
  });
  if (!s.ok()) Die("write", s);
}

int RunStatsBench() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Asia/Shanghai", &zone)) {
    fprintf(stderr, "stats_bench: no time zone Asia/Shanghai (tzdata)\n");
    return 2;
  }
  absl::CivilMonth end;
  if (!absl::ParseCivilTime(absl::GetFlag(FLAGS_end_month), &end)) {
    fprintf(stderr, "stats_bench: --end_month: YYYY-MM\n");
    return 2;
  }
  const int months = absl::GetFlag(FLAGS_months), n = absl::GetFlag(FLAGS_tickets);
  const absl::CivilMonth first = end - (months - 1);
  const absl::Time from = absl::FromCivil(first, zone), to = absl::FromCivil(end + 1, zone);

  dispatch::pg::Options o;
  o.conninfo = absl::GetFlag(FLAGS_pg);
  o.statement_timeout = absl::Minutes(30);
  auto pg = dispatch::pg::Connection::Open(o);
  if (!pg.ok()) Die("pg", pg.status());
  if (auto m = dispatch::readmodel::Migrate(**pg); !m.ok()) Die("migrate", m.status());
  // The month partitions of the events (one more for the events after the last acceptance).
  for (absl::CivilMonth m = absl::ToCivilMonth(from, absl::UTCTimeZone()); m <= end + 1; ++m) {
    auto r = (*pg)->Exec(dispatch::readmodel::EventPartitionDdl(m));
    if (!r.ok()) Die("partition", r.status());
  }

  // The organisation's communities (a returned ticket goes to the next one in the list).
  dispatch::config::v1::Organisation org_config;
  if (auto s = dispatch::LoadTextProtoFile(absl::GetFlag(FLAGS_org), &org_config); !s.ok()) {
    Die("org", s);
  }
  auto snapshot = dispatch::org::OrgSnapshot::Build(org_config);
  if (!snapshot.ok()) Die("org", snapshot.status());
  std::vector<Community> communities;
  for (const auto& u : org_config.units()) {
    if (u.tier() != v1::TIER_COMMUNITY) continue;
    std::vector<std::string> up = (*snapshot)->model.Ancestors(u.code());
    if (up.size() < 3) continue;
    communities.push_back({u.code(), up[0], up[1], up[2]});
  }
  if (communities.empty()) Die("org", absl::NotFoundError("no communities"));
  std::vector<std::string> companies;
  for (int k = 0; k < absl::GetFlag(FLAGS_companies); ++k) {
    companies.push_back(absl::StrFormat("物业公司%03d", k));
  }

  // 1. The histories.
  auto t = Steady::now();
  uint64_t seq = 0;
  int64_t events = 0;
  const double span_s = absl::ToDoubleSeconds(to - from - absl::Hours(24 * 7));
  for (int begin = 0; begin < n; begin += 2000) {
    std::vector<History> batch;
    std::vector<std::string> names, phones;
    std::vector<Community> where;
    for (int i = begin; i < std::min(n, begin + 2000); ++i) {
      const absl::Time at =
          absl::FromUnixMillis(absl::ToUnixMillis(from + absl::Seconds(span_s * i / n)));
      const int shard = i % dispatch::keys::kShardCount;
      const std::string id =
          absl::StrCat("T", absl::FormatTime("%Y%m%d", at, zone), "-", absl::StrFormat("%03d", shard),
                       "-B", absl::StrFormat("%07d", i));
      const Community& c = communities[i % communities.size()];
      const Community& neighbour = communities[(i + 1) % communities.size()];
      batch.emplace_back(id, shard, &seq);
      Tell(i, at, c, neighbour, &batch.back());
      events += static_cast<int64_t>(batch.back().events().size());
      // By a hash of the number: a company's complaints get every fate, not one.
      names.push_back(companies[dispatch::keys::StableHash64(absl::StrCat("company-", i)) %
                                companies.size()]);
      phones.push_back(std::to_string(i % std::max(1, n / 3)));
      where.push_back(i % 100 >= 10 && i % 100 < 15 ? neighbour : c);
    }
    Write(**pg, batch, names, phones, where);
  }
  printf("wrote tickets=%d events=%ld months=%s..%s companies=%zu communities=%zu in %.1f s\n", n,
         static_cast<long>(events), absl::FormatCivilTime(first).c_str(),
         absl::FormatCivilTime(end).c_str(), companies.size(), communities.size(),
         MsSince(t) / 1000);
  fflush(stdout);

  // 2. Every ticket folded.
  dispatch::org::OrgHolder holder(nullptr, *snapshot);
  dispatch::statistics::FactStore::Options fo;
  fo.zone = zone;
  fo.fold_delay = absl::ZeroDuration();
  dispatch::statistics::FactStore store(pg->get(), &holder, fo);
  if (auto r = (*pg)->Exec("INSERT INTO fact_queue (ticket_id) SELECT ticket_id FROM tickets "
                           "ORDER BY accepted_at");
      !r.ok()) {
    Die("queue", r.status());
  }
  t = Steady::now();
  for (;;) {
    auto k = store.RunOnce();
    if (!k.ok()) Die("fold", k.status());
    if (*k == 0) break;
  }
  const double fold_s = MsSince(t) / 1000;
  printf("folded %d tickets in %.1f s (%.0f per s)\n", n, fold_s, n / fold_s);
  fflush(stdout);
  (void)(*pg)->Exec("VACUUM ANALYZE");

  // 3. A month recomputed.
  const absl::CivilMonth month = end - 1;
  t = Steady::now();
  auto check = store.Recompute(month);
  if (!check.ok()) Die("recompute", check.status());
  const double recompute_s = MsSince(t) / 1000;
  printf("recomputed %s: %ld tickets, %ld facts, %ld differences in %.1f s\n",
         absl::FormatCivilTime(month).c_str(), static_cast<long>(check->tickets),
         static_cast<long>(check->facts), static_cast<long>(check->difference_count), recompute_s);
  for (const std::string& d : check->differences) printf("  %s\n", d.c_str());
  fflush(stdout);
  if (check->difference_count > 0) return 1;

  // 4. Through the API.
  std::string token;
  if (auto text = dispatch::ReadFile(absl::GetFlag(FLAGS_token_file)); text.ok()) {
    token = absl::StrCat("Bearer ", absl::StripAsciiWhitespace(*text));
  } else {
    Die("token", text.status());
  }
  auto ca = dispatch::ReadFile(absl::GetFlag(FLAGS_ca));
  if (!ca.ok()) Die("ca", ca.status());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ca;
  auto stub = v1::StatisticsService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::SslCredentials(ssl)));
  const std::string month_text = absl::FormatCivilTime(month);
  std::mt19937 rng(42);
  std::vector<double> scorecard, rankings, company;
  int64_t listed = 0, candidates = 0;
  for (int r = 0; r < absl::GetFlag(FLAGS_reps) + 10; ++r) {
    const bool timed = r >= 10;  // warm-up first
    const Community& c = communities[rng() % communities.size()];
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", token);
      v1::GetScorecardRequest req;
      req.set_unit_code(r % 2 == 0 ? c.county : c.township);
      req.set_month(month_text);
      v1::Scorecard resp;
      auto t0 = Steady::now();
      grpc::Status s = stub->GetScorecard(&ctx, req, &resp);
      if (!s.ok()) Die("GetScorecard", absl::UnknownError(s.error_message()));
      if (timed) scorecard.push_back(MsSince(t0));
    }
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", token);
      v1::ListRankingsRequest req;
      req.set_parent_unit_code(r % 2 == 0 ? c.city : c.county);
      req.set_month(month_text);
      v1::ListRankingsResponse resp;
      auto t0 = Steady::now();
      grpc::Status s = stub->ListRankings(&ctx, req, &resp);
      if (!s.ok()) Die("ListRankings", absl::UnknownError(s.error_message()));
      if (timed) rankings.push_back(MsSince(t0));
    }
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", token);
      v1::GetCompanyRecordRequest req;
      req.set_company(companies[rng() % companies.size()]);
      req.set_month(absl::FormatCivilTime(end));
      v1::CompanyRecord resp;
      auto t0 = Steady::now();
      grpc::Status s = stub->GetCompanyRecord(&ctx, req, &resp);
      if (!s.ok()) Die("GetCompanyRecord", absl::UnknownError(s.error_message()));
      if (timed) company.push_back(MsSince(t0));
      listed = resp.complaints();
      candidates += resp.exit_trigger() ? 1 : 0;
    }
  }
  printf("api: %d calls each; a company's record counts %ld complaints (the last one asked); "
         "%ld of the records asked were exit candidates\n",
         absl::GetFlag(FLAGS_reps), static_cast<long>(listed), static_cast<long>(candidates));
  printf("stats tickets=%d scorecard_p99_ms=%.2f rankings_p99_ms=%.2f company_p99_ms=%.2f "
         "recompute_month_s=%.1f\n",
         n, P99(scorecard), P99(rankings), P99(company), recompute_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return RunStatsBench();
}
