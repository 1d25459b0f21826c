// The read model's schema migrations (services/readmodel/migrations.h) against a real
// PostgreSQL 15.
#include "services/readmodel/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/testing/status_matchers.h"
#include "tests/readmodel/postgres_fixture.h"

namespace dispatch::readmodel {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::IsOkAndHolds;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

class MigrationsTest : public ::dispatch::testing::PostgresTest {
 protected:
  int64_t Count(pg::Connection& c, const std::string& sql) {
    auto r = c.Exec(sql);
    EXPECT_THAT(r.status(), IsOk());
    return r.ok() && r->rows() > 0 ? r->GetInt(0, 0) : -1;
  }
  bool TableExists(pg::Connection& c, const std::string& table) {
    return Count(c, "SELECT count(*) FROM pg_class WHERE relname = '" + table + "'") == 1;
  }
};

TEST_F(MigrationsTest, AFreshDatabaseGetsEveryMigrationAndTheReadModelsTables) {
  auto c = Connect();
  const int newest = static_cast<int>(Migrations().size());
  ASSERT_GE(newest, 1);
  EXPECT_THAT(Migrate(*c), IsOkAndHolds(newest));
  for (const char* t : {"tickets", "ticket_units", "ticket_events", "breaches", "breach_units",
                        "returns", "extensions", "revisits"}) {
    EXPECT_TRUE(TableExists(*c, t)) << t;
  }
  // Events are partitioned by month (relkind 'p': a partitioned table).
  EXPECT_EQ(Count(*c, "SELECT count(*) FROM pg_class WHERE relname = 'ticket_events' "
                      "AND relkind = 'p'"),
            1);
  EXPECT_EQ(Count(*c, "SELECT count(*) FROM schema_migrations"), newest);
}

TEST_F(MigrationsTest, MigratingAgainChangesNothing) {
  auto c = Connect();
  ASSERT_THAT(Migrate(*c).status(), IsOk());
  EXPECT_THAT(Migrate(*c), IsOkAndHolds(static_cast<int>(Migrations().size())));
  EXPECT_EQ(Count(*c, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(Migrations().size()));
}

TEST_F(MigrationsTest, AMigrationEditedAfterItWasAppliedIsRefusedByName) {
  auto c = Connect();
  std::vector<Migration> v1 = {{1, "first", "CREATE TABLE a (k text)"}};
  ASSERT_THAT(Migrate(*c, v1), IsOkAndHolds(1));
  v1[0].sql = "CREATE TABLE a (k text, extra int)";
  EXPECT_THAT(Migrate(*c, v1), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("schema migration 1 (first)")));
}

TEST_F(MigrationsTest, AFailingMigrationLeavesTheDatabaseAtThePreviousVersion) {
  auto c = Connect();
  std::vector<Migration> ms = {
      {1, "first", "CREATE TABLE a (k text)"},
      {2, "broken", "CREATE TABLE b (k text); INSERT INTO b VALUES ('x'); SELEC oops"},
  };
  EXPECT_THAT(Migrate(*c, ms), StatusIs(absl::StatusCode::kInternal,
                                        HasSubstr("schema migration 2 (broken)")));
  EXPECT_EQ(Count(*c, "SELECT max(version) FROM schema_migrations"), 1);
  EXPECT_FALSE(TableExists(*c, "b"));  // nothing of migration 2 is left
  ms[1].sql = "CREATE TABLE b (k text)";
  EXPECT_THAT(Migrate(*c, ms), IsOkAndHolds(2));
}

TEST_F(MigrationsTest, ReplicasStartingTogetherApplyEachMigrationOnce) {
  std::vector<std::unique_ptr<pg::Connection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(Connect());
  std::vector<absl::StatusOr<int>> results(conns.size(), absl::UnknownError("not run"));
  std::vector<std::thread> replicas;
  for (size_t i = 0; i < conns.size(); ++i) {
    replicas.emplace_back([&, i] { results[i] = Migrate(*conns[i]); });
  }
  for (auto& t : replicas) t.join();
  for (const auto& r : results) EXPECT_THAT(r, IsOkAndHolds(static_cast<int>(Migrations().size())));
  EXPECT_EQ(Count(*conns[0], "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(Migrations().size()));
}

TEST_F(MigrationsTest, AnOlderBinaryLeavesANewerSchemaAlone) {
  auto c = Connect();
  std::vector<Migration> newer = {{1, "first", "CREATE TABLE a (k text)"},
                                  {2, "second", "CREATE TABLE b (k text)"}};
  ASSERT_THAT(Migrate(*c, newer), IsOkAndHolds(2));
  newer.pop_back();
  EXPECT_THAT(Migrate(*c, newer), IsOkAndHolds(2));
}

}  // namespace
}  // namespace dispatch::readmodel
