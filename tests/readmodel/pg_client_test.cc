// The PostgreSQL boundary (common/pg/pg_client.h) against a real PostgreSQL 15.
#include "common/pg/pg_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/status_matchers.h"
#include "services/readmodel/sql.h"
#include "tests/readmodel/postgres_fixture.h"

namespace dispatch::pg {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

class PgClientTest : public ::dispatch::testing::PostgresTest {};

TEST_F(PgClientTest, ParametersGoInAsTextBytesOrNullAndComeBackTheSame) {
  auto c = Connect();
  ASSERT_THAT(c->Exec("CREATE TABLE t (s text, n bigint, b bytea)").status(), IsOk());
  const std::string bytes("a\0b\xff'; DROP TABLE t; --", 24);
  ASSERT_THAT(c->Exec("INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $6)",
                      {Text("王小明 'quoted'"), Int(-42), Bytes(bytes), Null(), Null(), Null()})
                  .status(),
              IsOk());
  auto r = c->Exec("SELECT s, n, b FROM t ORDER BY n NULLS LAST");
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_EQ(r->rows(), 2);
  EXPECT_EQ(r->Get(0, 0), "王小明 'quoted'");
  EXPECT_EQ(r->GetInt(0, 1), -42);
  EXPECT_EQ(r->Get(0, 2), bytes);
  EXPECT_TRUE(r->IsNull(1, 0));
  EXPECT_TRUE(r->IsNull(1, 2));
  auto n = c->Exec("UPDATE t SET n = 1");
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(n->affected(), 2);
}

TEST_F(PgClientTest, ABinaryByteaArrayGoesInByteForByteAndMayBeEmpty) {
  // services/readmodel/sql.h's ByteaColumn: the projector's bodies as one bytea[] parameter.
  auto c = Connect();
  const std::string zeros("\0\0\xff", 3);
  readmodel::sql::ByteaColumn column;
  column.Add(zeros);
  column.Add("");
  column.Add(std::string(70000, 'x'));
  auto r = c->Exec("SELECT b FROM unnest($1::bytea[]) WITH ORDINALITY AS u(b, i) ORDER BY i",
                   {column.Param()});
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_EQ(r->rows(), 3);
  EXPECT_EQ(r->Get(0, 0), zeros);
  EXPECT_EQ(r->Get(1, 0), "");
  EXPECT_EQ(r->Get(2, 0), std::string(70000, 'x'));
  auto none = c->Exec("SELECT cardinality($1::bytea[])", {readmodel::sql::ByteaColumn().Param()});
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_EQ(none->GetInt(0, 0), 0);
}

TEST_F(PgClientTest, SessionsRunInUtcWithTheStatementTimeout) {
  options_.statement_timeout = absl::Milliseconds(200);
  auto c = Connect();
  auto tz = c->Exec("SHOW TimeZone");
  ASSERT_THAT(tz.status(), IsOk());
  EXPECT_EQ(tz->Get(0, 0), "UTC");
  EXPECT_THAT(c->Exec("SELECT pg_sleep(2)").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("57014")));
  EXPECT_THAT(c->Exec("SELECT 1").status(), IsOk());  // the connection is still usable
}

TEST_F(PgClientTest, ErrorsCarryTheirCodeAndTheServersWords) {
  auto c = Connect();
  ASSERT_THAT(c->Exec("CREATE TABLE u (k text PRIMARY KEY)").status(), IsOk());
  ASSERT_THAT(c->Exec("INSERT INTO u VALUES ('a')").status(), IsOk());
  EXPECT_THAT(c->Exec("INSERT INTO u VALUES ('a')").status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("23505")));
  EXPECT_THAT(c->Exec("SELEC 1").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("42601")));
  EXPECT_THAT(StatusFromSqlState("40001", "could not serialize"),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(StatusFromSqlState("53100", "disk full"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(StatusFromSqlState("08006", "connection failure"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(PgClientTest, AFailedTransactionLeavesNothingBehind) {
  auto c = Connect();
  ASSERT_THAT(c->Exec("CREATE TABLE v (k text PRIMARY KEY)").status(), IsOk());
  EXPECT_THAT(c->Transaction([](Connection& t) {
    EXPECT_THAT(t.Exec("INSERT INTO v VALUES ('first')").status(), IsOk());
    return absl::AbortedError("changed my mind");
  }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(c->Transaction([](Connection& t) -> absl::Status {
    EXPECT_THAT(t.Exec("INSERT INTO v VALUES ('second')").status(), IsOk());
    return t.Exec("INSERT INTO v VALUES ('second')").status();  // a unique violation
  }),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_THAT(c->Transaction([](Connection& t) {
    return t.Exec("INSERT INTO v VALUES ('third')").status();
  }),
              IsOk());
  auto r = c->Exec("SELECT k FROM v");
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_EQ(r->rows(), 1);
  EXPECT_EQ(r->Get(0, 0), "third");
}

TEST_F(PgClientTest, WithTheServerDownStatementsAreUnavailableAndTheConnectionComesBackByItself) {
  auto c = Connect();
  ASSERT_THAT(c->Exec("CREATE TABLE w (k text)").status(), IsOk());
  ASSERT_THAT(c->Exec("INSERT INTO w VALUES ('kept')").status(), IsOk());
  ASSERT_THAT(server().Kill(), IsOk());  // a crash, not a polite shutdown
  EXPECT_THAT(c->Exec("SELECT 1").status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(c->Exec("SELECT 1").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect")));
  EXPECT_THAT(Connection::Open(options_).status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(server().Start(), IsOk());
  auto r = c->Exec("SELECT k FROM w");
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_EQ(r->rows(), 1);
  EXPECT_EQ(r->Get(0, 0), "kept");
}

}  // namespace
}  // namespace dispatch::pg
