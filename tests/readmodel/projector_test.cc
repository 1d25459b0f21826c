// The projector (services/readmodel/projector.h): the event streams of a real dispatchd stack
// into a real PostgreSQL 15, exactly once in effect.
#include "services/readmodel/projector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "common/config.h"
#include "common/keys.h"
#include "google/protobuf/util/message_differencer.h"
#include "common/ticket_store.h"
#include "common/testing/postgres_server.h"
#include "services/readmodel/migrations.h"
#include "tests/readmodel/read_model_fixture.h"

namespace dispatch::readmodel {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::IsOkAndHolds;
using ::dispatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;

class ProjectorTest : public ReadModelFixture {};

TEST_F(ProjectorTest, EveryEventAndTheTicketAsRedisHoldsItReachTheReadModel) {
  const std::string id = OneWholeCase("12345-P1");
  const v1::Ticket now = client_->Get(id);
  const size_t events = client_->History(id).size();
  EXPECT_EQ(Drain(*projector_), static_cast<int>(events));

  const std::string where = absl::StrCat(" WHERE ticket_id = '", id, "'");
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM ticket_events" + where),
            static_cast<int64_t>(events));
  EXPECT_EQ(Count(*live_, "SELECT version FROM tickets" + where), now.version());
  EXPECT_EQ(Count(*live_, "SELECT status FROM tickets" + where), now.status());
  EXPECT_EQ(Text(*live_, "SELECT breached FROM tickets" + where), "t");
  EXPECT_EQ(Text(*live_, "SELECT closed_at IS NOT NULL FROM tickets" + where),
            now.status() == v1::TICKET_STATUS_CLOSED ? "t" : "f");
  // In the views of its community, township, county and city.
  EXPECT_THAT(Column(*live_, "SELECT unit_code FROM ticket_units" + where + " ORDER BY 1"),
              ElementsAre("430900", "430923", "430923100", escalation::kCommunity));
  // The breach of the 3-hour clock, against the community, in its ancestors' views too.
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM breaches" + where), 1);
  EXPECT_EQ(Text(*live_, "SELECT unit_code FROM breaches" + where), escalation::kCommunity);
  EXPECT_THAT(Column(*live_, "SELECT unit_code FROM breach_units ORDER BY 1"),
              ElementsAre("430900", "430923", "430923100", escalation::kCommunity));
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM revisits" + where), 1);
  // The stored ticket is the one the API serves (complainant and all).
  auto bytes = live_->Exec("SELECT ticket FROM tickets" + where);
  ASSERT_THAT(bytes, IsOk());
  v1::Ticket stored;
  ASSERT_TRUE(stored.ParseFromString(bytes->Get(0, 0)));
  EXPECT_EQ(stored.version(), now.version());
  EXPECT_EQ(stored.complaint().description(),
            testing::HotlineComplaint("12345-P1").complaint().description());
}

TEST_F(ProjectorTest, EventsDeliveredAgainAfterACrashBeforeTheAcknowledgementChangeNothing) {
  OneWholeCase("12345-P2");
  Drain(*projector_);
  const std::vector<std::string> before = Contents(*live_);
  ForgetAcknowledgements();
  auto again = NewProjector(live_.get());
  EXPECT_GT(Drain(*again), 0);  // everything was delivered and applied a second time
  EXPECT_EQ(Contents(*live_), before);
}

TEST_F(ProjectorTest, ARebuildFromScratchGivesTheSameTablesAsTheLiveProjection) {
  // Live: applied step by step while the cases happen.
  std::string a = SubmitAndRoute("12345-P3");
  Drain(*projector_);
  OneWholeCase("12345-P4");
  Drain(*projector_);
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(a), "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Return(client_->Get(a), "h-cd-wgy", &t).ok());
  Drain(*projector_);
  // Rebuild: an empty database, every stream from its start.
  auto info = pg_server_.CreateDatabase("rebuilt");
  ASSERT_THAT(info, IsOk());
  auto rebuilt = Open(*info);
  ForgetAcknowledgements();
  auto rebuilder = NewProjector(rebuilt.get());
  Drain(*rebuilder);
  EXPECT_EQ(Contents(*rebuilt), Contents(*live_));
  EXPECT_EQ(Count(*rebuilt, "SELECT count(*) FROM returns"), 1);
}

TEST_F(ProjectorTest, APassOfManySmallTransactionsWhoseTicketsAreReadAheadGivesTheSameTables) {
  // Each transaction's tickets are read from Redis while the one before commits: with two
  // entries a transaction, a case's events and its ticket's snapshots span many of them.
  // (A read takes batch/8, at least one, entries of each shard's stream: tickets on several
  // shards make reads of several transactions.)
  OneWholeCase("12345-P6");
  std::string a = SubmitAndRoute("12345-P7");
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(a), "h-cd-wgy", &t).ok());
  std::set<int> shards;
  for (int i = 0; i < 8; ++i) {
    shards.insert(*keys::ShardOfTicketId(SubmitAndRoute(absl::StrCat("12345-P8-", i))));
  }
  ASSERT_GE(shards.size(), 4u);
  Drain(*projector_);
  auto info = pg_server_.CreateDatabase("small_batches");
  ASSERT_THAT(info, IsOk());
  auto small = Open(*info);
  ForgetAcknowledgements();
  auto small_batches = NewProjector(small.get(), /*batch=*/2);
  EXPECT_GT(Drain(*small_batches), 10);
  EXPECT_EQ(Contents(*small), Contents(*live_));
}

TEST_F(ProjectorTest, ItsPlainReadOfATicketIsWhatTheScriptReadsWithTheComplaintWhereverItIs) {
  // The projector reads tickets with HGETALL and XRANGE (TicketStore::GetUnscripted), not
  // get.lua: the same ticket, from the TicketAccepted entry or, once an erasure moved it, from
  // the complaint key; NOT_FOUND for a ticket not in Redis.
  const std::string id = OneWholeCase("12345-P9");
  TicketStore store(projector_redis_.get());
  auto read = [&](bool scripted) {
    std::promise<absl::StatusOr<v1::Ticket>> p;
    auto done = [&p](absl::StatusOr<v1::Ticket> t) { p.set_value(std::move(t)); };
    scripted ? store.Get(id, done) : store.GetUnscripted(id, done);
    return p.get_future().get();
  };
  absl::StatusOr<v1::Ticket> scripted = read(true), plain = read(false);
  ASSERT_THAT(scripted, IsOk());
  ASSERT_THAT(plain, IsOk());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*scripted, *plain));
  EXPECT_FALSE(plain->complaint().description().empty());

  const int shard = *keys::ShardOfTicketId(id);
  v1::Complaint moved = plain->complaint();
  moved.mutable_complainant()->clear_phone();
  auto e0 = stack_.redis().ExecuteSync({"HGET", keys::Ticket(shard, id), "e0"});
  ASSERT_THAT(e0, IsOk());
  ASSERT_THAT(stack_.redis().ExecuteSync(
                  {"SET", keys::LegacyComplaint(shard, id), moved.SerializeAsString()}),
              IsOk());
  ASSERT_THAT(stack_.redis().ExecuteSync({"XDEL", keys::Events(shard), e0->str}), IsOk());
  scripted = read(true);
  plain = read(false);
  ASSERT_THAT(plain, IsOk());
  EXPECT_TRUE(plain->complaint().complainant().phone().empty());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*scripted, *plain));

  ASSERT_THAT(stack_.redis().ExecuteSync({"DEL", keys::Ticket(shard, id)}), IsOk());
  EXPECT_THAT(read(false), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProjectorTest, WithPostgresDownNothingIsAcknowledgedAndItCatchesUpWhenPostgresReturns) {
  ASSERT_THAT(pg_server_.Stop(), IsOk());
  const std::string id = SubmitAndRoute("12345-P5");  // intake does not need PostgreSQL
  EXPECT_THAT(projector_->RunOnce(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kUnavailable));
  auto pending = stack_.redis().ExecuteSync(
      {"XPENDING", keys::Events(*keys::ShardOfTicketId(id)), keys::kProjectorGroup});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements[0].integer, 2);  // accepted and routed, taken, not acknowledged
  ASSERT_THAT(pg_server_.Start(), IsOk());
  EXPECT_EQ(Drain(*projector_), 2);
  EXPECT_EQ(Count(*live_, absl::StrCat("SELECT count(*) FROM ticket_events WHERE ticket_id = '",
                                       id, "'")),
            2);
}

TEST_F(ProjectorTest, KeepingUpItReadsTheStreamsAtMostOnceEveryFiftyMilliseconds) {
  // Its own connection: the test reads the tables meanwhile.
  std::unique_ptr<pg::Connection> own = Open(live_conninfo_);
  std::unique_ptr<Projector> projector = NewProjector(own.get());
  projector->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // pending checked, blocked
  const long before = CommandCalls("xreadgroup");
  const auto started = std::chrono::steady_clock::now();
  // A complaint every few milliseconds: each would wake a projector that reads per event.
  constexpr int kTickets = 30;
  for (int i = 0; i < kTickets; ++i) {
    client_->Submit(testing::HotlineComplaint(absl::StrCat("12345-pace-", i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  while (Count(*live_, "SELECT count(*) FROM tickets") < kTickets &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const long elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
  const long reads = CommandCalls("xreadgroup") - before;
  projector->Stop();
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM tickets"), kTickets);
  EXPECT_LE(reads, elapsed_ms / 50 + 3) << "in " << elapsed_ms << " ms";
}

TEST_F(ProjectorTest, ATicketGoneFromRedisKeepsItsRow) {
  const std::string id = OneWholeCase("12345-P6");
  Drain(*projector_);
  const int shard = *keys::ShardOfTicketId(id);
  ASSERT_THAT(stack_.redis().ExecuteSync({"DEL", keys::Ticket(shard, id)}), IsOk());
  ForgetAcknowledgements();
  auto again = NewProjector(live_.get());
  Drain(*again);
  EXPECT_EQ(Count(*live_, absl::StrCat("SELECT count(*) FROM tickets WHERE ticket_id = '", id,
                                       "'")),
            1);
}

}  // namespace
}  // namespace dispatch::readmodel
