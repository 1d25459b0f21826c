// The projector killed with SIGKILL in the middle of the streams and started again: every
// event applied exactly once in effect (row counts and versions checked). dispatchd runs as a
// real process (--services=projector) against a real redis-server and PostgreSQL.
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/pg/pg_client.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/due_tickets.h"
#include "common/testing/postgres_server.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/dispatchd_process.h"
#include "tests/testing/signed_calls.h"

namespace dispatch {
namespace {

using ::dispatch::testing::Dispatchd;
using ::dispatch::testing::IsOk;

constexpr int kTickets = 3000;

int64_t Count(pg::Connection& c, const std::string& sql) {
  auto r = c.Exec(sql);
  return r.ok() && r->rows() > 0 ? r->GetInt(0, 0) : -1;
}

TEST(ProjectorCrash, KilledMidStreamAndRestartedEveryEventIsAppliedExactlyOnce) {
  testing::RedisServer redis_server;
  ASSERT_THAT(redis_server.Start(), IsOk());
  testing::PostgresServer pg_server;
  ASSERT_THAT(pg_server.Start(), IsOk());
  redis::HiredisOptions options = redis_server.client_options();
  options.command_timeout = absl::Seconds(30);
  redis::HiredisClient redis(options);

  // 3,000 tickets with their acceptance events, spread over the 256 shard streams.
  auto ids = testing::CreateDueTickets(
      &redis, kTickets, [](int) { return absl::Now() + absl::Hours(1); }, "pcrash",
      /*warnings=*/false);
  ASSERT_THAT(ids, IsOk());
  int64_t entries = 0;
  for (int s = 0; s < keys::kShardCount; ++s) {
    auto n = redis.ExecuteSync({"XLEN", keys::Events(s)});
    ASSERT_THAT(n, IsOk());
    entries += n->integer;
  }
  ASSERT_GE(entries, kTickets);

  // Small batches: many transactions, so the kill lands between (or inside) two of them.
  testing::TestPki pki;
  const std::string config = pki.dir() + "/projector.textproto";
  std::ofstream(config) << "read_model { conninfo: '" << pg_server.conninfo()
                        << "' projector_batch: 20 }\n";
  std::vector<std::string> args = {"--listen=127.0.0.1:0", "--redis=" + redis_server.address(),
                                   "--services=projector",
                                   "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto",
                                   "--config=" + config, "--dev_pki=" + pki.dir()};
  pg::Options pg_options;
  pg_options.conninfo = pg_server.conninfo();
  auto pg = pg::Connection::OpenLater(pg_options);

  auto first = std::make_unique<Dispatchd>(args);
  ASSERT_GT(first->port(), 0);
  int64_t at_kill = 0;
  for (absl::Time give_up = absl::Now() + absl::Seconds(60); absl::Now() < give_up;) {
    at_kill = Count(*pg, "SELECT count(*) FROM ticket_events");
    if (at_kill >= entries / 5) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  first->Kill();
  at_kill = Count(*pg, "SELECT count(*) FROM ticket_events");
  RecordProperty("events_at_kill", std::to_string(at_kill));
  ASSERT_GT(at_kill, 0);
  EXPECT_LT(at_kill, entries) << "the kill came after the run, not in the middle";

  // The same consumer again: it applies what it had taken first, then the rest.
  Dispatchd second(args);
  ASSERT_GT(second.port(), 0);
  int64_t applied = 0;
  for (absl::Time give_up = absl::Now() + absl::Seconds(120); absl::Now() < give_up;) {
    applied = Count(*pg, "SELECT count(*) FROM ticket_events");
    if (applied >= entries) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  // Wait for the acknowledgements too: nothing pending in the projector's group.
  for (absl::Time give_up = absl::Now() + absl::Seconds(30); absl::Now() < give_up;) {
    int64_t pending = 0;
    for (int s = 0; s < keys::kShardCount; ++s) {
      auto p = redis.ExecuteSync({"XPENDING", keys::Events(s), keys::kProjectorGroup});
      ASSERT_THAT(p, IsOk());
      pending += p->elements[0].integer;
    }
    if (pending == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }

  EXPECT_EQ(Count(*pg, "SELECT count(*) FROM ticket_events"), entries);
  EXPECT_EQ(Count(*pg, "SELECT count(DISTINCT event_id) FROM ticket_events"), entries);
  EXPECT_EQ(Count(*pg, "SELECT count(*) FROM tickets"), kTickets);
  // Every ticket's row has the version Redis holds.
  auto rows = pg->Exec("SELECT ticket_id, version FROM tickets");
  ASSERT_THAT(rows, IsOk());
  std::map<std::string, int64_t> projected;
  for (int i = 0; i < rows->rows(); ++i) projected[rows->Get(i, 0)] = rows->GetInt(i, 1);
  int wrong = 0;
  for (const std::string& id : *ids) {
    auto v = redis.ExecuteSync({"HGET", keys::Ticket(*keys::ShardOfTicketId(id), id), "ver"});
    ASSERT_THAT(v, IsOk());
    if (projected[id] != std::stoll(v->str)) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "tickets whose row has another version than Redis";
  // Each ticket in the views of its unit's path exactly once.
  EXPECT_EQ(Count(*pg, "SELECT count(*) FROM (SELECT ticket_id, unit_code FROM ticket_units "
                       "GROUP BY 1, 2 HAVING count(*) > 1) d"),
            0);
}

}  // namespace
}  // namespace dispatch
