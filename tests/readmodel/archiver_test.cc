// The archiver (services/readmodel/archiver.h): a closed ticket past the retention leaves Redis
// and is still read, whole, through the API; streams are trimmed, never below what a consumer
// group has not acknowledged, and never losing a live ticket's complaint.
#include "services/readmodel/archiver.h"

#include <string>
#include <vector>

#include "common/keys.h"
#include "tests/readmodel/read_model_fixture.h"

namespace dispatch::readmodel {
namespace {

using ::dispatch::testing::IsOk;
using ::testing::ElementsAreArray;

constexpr absl::Duration kDay = absl::Hours(24);

class ArchiverTest : public ReadModelFixture {
 protected:
  std::string StackConfig() override {
    return absl::StrCat("read_model { conninfo: '", live_conninfo_, "' }");
  }
  void SetUp() override {
    ReadModelFixture::SetUp();
    archiver_redis_ = std::make_unique<redis::HiredisClient>(stack_.redis_options());
    archiver_pg_ = Open(live_conninfo_);
    Archiver::Options options;
    options.clock = &clock_;
    archiver_ = std::make_unique<Archiver>(archiver_redis_.get(), archiver_pg_.get(), options);
  }

  void UseStreamKeep(absl::Duration keep) {
    Archiver::Options options;
    options.clock = &clock_;
    options.stream_keep = keep;
    archiver_ = std::make_unique<Archiver>(archiver_redis_.get(), archiver_pg_.get(), options);
  }

  Archiver::Pass Run() {
    auto p = archiver_->RunOnce();
    EXPECT_THAT(p, IsOk());
    return p.ok() ? *p : Archiver::Pass{};
  }
  redis::Reply Redis(std::vector<std::string> command) {
    auto r = stack_.redis().ExecuteSync(std::move(command));
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : redis::Reply{};
  }
  std::vector<std::string> StreamIds(int shard) {
    std::vector<std::string> ids;
    for (const redis::Reply& e : Redis({"XRANGE", keys::Events(shard), "-", "+"}).elements) {
      ids.push_back(e.elements[0].str);
    }
    return ids;
  }
  static std::string WorkOrderKey(const std::string& work_order) {
    return keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, work_order, "");
  }
  std::string IdemKey(const std::string& work_order) {
    const std::string key = WorkOrderKey(work_order);
    return keys::IdempotencyRecord(keys::ShardOf(key), key);
  }
  std::string BucketOf(const std::string& work_order) {
    const std::string key = WorkOrderKey(work_order);
    return keys::ArchivedIdempotency(keys::ShardOf(key), key);
  }

  std::unique_ptr<redis::HiredisClient> archiver_redis_;
  std::unique_ptr<pg::Connection> archiver_pg_;
  std::unique_ptr<Archiver> archiver_;
};

TEST_F(ArchiverTest, AClosedTicketPastTheRetentionLeavesRedisAndIsStillReadWhole) {
  const std::string id = OneWholeCase("12345-AR1");
  const int shard = *keys::ShardOfTicketId(id);
  const v1::Ticket closed = client_->Get(id);
  ASSERT_EQ(closed.status(), v1::TICKET_STATUS_CLOSED);
  const std::vector<int64_t> history = Versions(client_->History(id));
  Drain(*projector_);

  // Within the retention it stays.
  clock_.Advance(29 * kDay);
  EXPECT_EQ(Run().archived, 0);
  EXPECT_EQ(Redis({"EXISTS", keys::Ticket(shard, id)}).integer, 1);

  clock_.Advance(2 * kDay);
  EXPECT_EQ(Run().archived, 1);
  EXPECT_EQ(Redis({"EXISTS", keys::Ticket(shard, id), keys::WriteRecord(shard, id)}).integer, 0);
  EXPECT_TRUE(Redis({"ZSCORE", keys::Timers(shard), id}).is_nil());
  EXPECT_EQ(Text(*live_, absl::StrCat("SELECT archived_at IS NOT NULL FROM tickets WHERE "
                                      "ticket_id = '", id, "'")),
            "t");
  // The idempotency record stays, in its bucket with its end: a gateway's re-send is still
  // answered.
  EXPECT_EQ(Redis({"EXISTS", IdemKey("12345-AR1")}).integer, 0);
  EXPECT_FALSE(Redis({"HGET", BucketOf("12345-AR1"), WorkOrderKey("12345-AR1")}).is_nil());

  // Through the API, from the archive: the ticket, its whole history, its work order.
  const v1::Ticket archived = client_->Get(id);
  EXPECT_EQ(archived.version(), closed.version());
  EXPECT_EQ(archived.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_THAT(Versions(client_->History(id)), ElementsAreArray(history));
  Redis({"HDEL", BucketOf("12345-AR1"), WorkOrderKey("12345-AR1")});  // past the window too
  v1::Ticket found;
  ASSERT_TRUE(LookupWorkOrder("12345-AR1", &found).ok());
  EXPECT_EQ(found.ticket_id(), id);

  // A second pass changes nothing.
  EXPECT_EQ(Run().archived, 0);
}

TEST_F(ArchiverTest, AnArchivedWorkOrderReSentWithinNinetyDaysGetsItsTicketAndAfterThemANewOne) {
  const std::string id = OneWholeCase("12345-AI1");
  Drain(*projector_);
  clock_.Advance(31 * kDay);
  ASSERT_EQ(Run().archived, 1);
  EXPECT_EQ(client_->Submit(testing::HotlineComplaint("12345-AI1")), id);

  // Ninety days after its acceptance the window has passed: the same work order is a new
  // complaint.
  clock_.Advance(60 * kDay);
  const std::string bucket = BucketOf("12345-AI1");
  const std::string again = client_->Submit(testing::HotlineComplaint("12345-AI1"));
  EXPECT_NE(again, id);
  EXPECT_FALSE(again.empty());
  EXPECT_TRUE(Redis({"HGET", bucket, WorkOrderKey("12345-AI1")}).is_nil());

  // Records past their end leave their bucket when the trim's turn comes to it.
  const int shard = keys::ShardOf(WorkOrderKey("12345-AI1"));
  Redis({"HSET", bucket, "1:12345-AI2", absl::StrCat("T-x 0 ", absl::ToUnixMillis(clock_.Now()))});
  Redis({"HSET", keys::TrimCursor(shard), "b",
         std::to_string(std::stoi(bucket.substr(bucket.size() - 2), nullptr, 16) - 1 + 256)});
  EXPECT_EQ(Run().idempotency_pruned, 1);
  EXPECT_TRUE(Redis({"HGET", bucket, "1:12345-AI2"}).is_nil());
}

TEST_F(ArchiverTest, ATicketChangedSinceTheArchivesCopyStaysInRedis) {
  const std::string id = OneWholeCase("12345-AR2");
  Drain(*projector_);
  // Reopened by a dissatisfied revisit the projector has not taken in yet: the archive still
  // says closed, Redis does not.
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Revisit(t, "supervisor-1", v1::TIER_TOWNSHIP,
                               v1::SATISFACTION_DISSATISFIED, &t, "rv-again")
                  .ok());
  ASSERT_NE(t.status(), v1::TICKET_STATUS_CLOSED);
  clock_.Advance(31 * kDay);
  Archiver::Pass pass = Run();
  EXPECT_EQ(pass.archived, 0);
  EXPECT_EQ(pass.deferred, 1);
  EXPECT_EQ(Redis({"EXISTS", keys::Ticket(*keys::ShardOfTicketId(id), id)}).integer, 1);
  // Once projected, it is open in the archive too: no longer a candidate.
  Drain(*projector_);
  EXPECT_EQ(Run().deferred, 0);
}

TEST_F(ArchiverTest, ATrimmedStreamNeverLosesAnEntryAGroupHasNotAcknowledged) {
  const std::string id = SubmitAndRoute("12345-AT1");
  const int shard = *keys::ShardOfTicketId(id);
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
  Drain(*projector_);
  const std::vector<std::string> ids = StreamIds(shard);
  ASSERT_EQ(ids.size(), 4u);  // accepted, routed, assigned, signed for
  // Another consumer group has read everything and acknowledged all but the third entry.
  Redis({"XGROUP", "CREATE", keys::Events(shard), "audit", "0"});
  Redis({"XREADGROUP", "GROUP", "audit", "c1", "STREAMS", keys::Events(shard), ">"});
  Redis({"XACK", keys::Events(shard), "audit", ids[0], ids[1], ids[3]});

  // Younger than the stream retention (7 days by Redis's clock, the clock of entry ids):
  // nothing goes.
  EXPECT_EQ(Run().events_trimmed, 0);
  EXPECT_EQ(StreamIds(shard), ids);

  UseStreamKeep(absl::ZeroDuration());
  Archiver::Pass pass = Run();
  EXPECT_EQ(pass.events_trimmed, 2);
  EXPECT_EQ(StreamIds(shard), std::vector<std::string>(ids.begin() + 2, ids.end()));
  // The live ticket's complaint was in the first entry: it moved out first.
  EXPECT_EQ(pass.complaints_moved, 1);
  const v1::Ticket after = client_->Get(id);
  EXPECT_EQ(after.complaint().description(),
            testing::HotlineComplaint("12345-AT1").complaint().description());
  // And its history is whole (the read model has the trimmed part).
  EXPECT_EQ(client_->History(id).size(), ids.size());

  Redis({"XACK", keys::Events(shard), "audit", ids[2]});
  EXPECT_EQ(Run().events_trimmed, 2);
  EXPECT_TRUE(StreamIds(shard).empty());
  EXPECT_EQ(client_->History(id).size(), ids.size());
}

TEST_F(ArchiverTest, ATrimPassWalksOnlyTheOpenTicketsAcceptedSinceTheLastPass) {
  std::vector<std::string> open;
  for (int i = 0; i < 3; ++i) open.push_back(SubmitAndRoute(absl::StrCat("12345-AW", i)));
  Drain(*projector_);
  UseStreamKeep(absl::ZeroDuration());
  Archiver::Pass first = Run();
  EXPECT_EQ(first.index_walked, 3);
  EXPECT_EQ(first.complaints_moved, 3);
  // The three stay open: the next pass does not look at them again.
  EXPECT_EQ(Run().index_walked, 0);
  open.push_back(SubmitAndRoute("12345-AW3"));
  Drain(*projector_);
  Archiver::Pass third = Run();
  EXPECT_EQ(third.index_walked, 1);
  EXPECT_EQ(third.complaints_moved, 1);
  // Their complaints are read from the copies, their streams trimmed below them.
  for (const std::string& id : open) {
    EXPECT_TRUE(StreamIds(*keys::ShardOfTicketId(id)).empty());
    EXPECT_EQ(client_->Get(id).complaint().description(),
              testing::HotlineComplaint("x").complaint().description());
  }
}

TEST_F(ArchiverTest, AGroupThatHasNotReadAnEntryKeepsIt) {
  const std::string id = SubmitAndRoute("12345-AT2");
  const int shard = *keys::ShardOfTicketId(id);
  Redis({"XGROUP", "CREATE", keys::Events(shard), "late", "0"});  // has read nothing
  Drain(*projector_);
  UseStreamKeep(absl::ZeroDuration());
  EXPECT_EQ(Run().events_trimmed, 0);
  EXPECT_EQ(StreamIds(shard).size(), 2u);
}

TEST_F(ArchiverTest, RedisHoldsLessOnceClosedTicketsAreArchivedAndTheirEntriesTrimmed) {
  std::vector<std::string> ids;
  const absl::Time start = clock_.Now();
  for (int i = 0; i < 5; ++i) {  // Monday to Friday
    clock_.Set(start + i * kDay);  // each case in its handler's working hours
    ids.push_back(OneWholeCase(absl::StrCat("12345-AM", i)));
  }
  Drain(*projector_);
  // Keys, not counting the trim's per-shard cursors (256, made by the first pass).
  auto used = [&] {
    return Redis({"DBSIZE"}).integer -
           static_cast<int64_t>(Redis({"KEYS", "{s:*}:trim"}).elements.size());
  };
  const int64_t keys_before = used();
  clock_.Advance(31 * kDay);
  UseStreamKeep(absl::ZeroDuration());
  Archiver::Pass pass = Run();
  EXPECT_EQ(pass.archived, 5);
  EXPECT_GT(pass.events_trimmed, 5 * 5);
  // Their acceptance-index entries went with them (archive.lua), not in the trim's walk.
  EXPECT_EQ(pass.index_trimmed, 0);
  int64_t indexed = 0;
  for (int shard = 0; shard < keys::kShardCount; ++shard) {
    indexed += Redis({"XLEN", keys::AcceptedIndex(shard)}).integer;
  }
  EXPECT_EQ(indexed, 0);
  // What is left of them: their idempotency records (until the window ends), as fields of
  // bucket hashes: each ticket took at least its hash away, and its record key became a field.
  EXPECT_LE(used(), keys_before - 5);
  for (const std::string& id : ids) EXPECT_EQ(client_->Get(id).ticket_id(), id);
  // The supervision ledgers outlive the trimmed streams: they come from the read model.
  grpc::ClientContext ctx;
  v1::ListRevisitsRequest revisits;
  revisits.set_unit_code("430923");
  v1::ListRevisitsResponse listed;
  ASSERT_TRUE(client_->escalation().ListRevisits(&ctx, revisits, &listed).ok());
  EXPECT_EQ(listed.revisits_size(), 5);
  for (const v1::Revisit& v : listed.revisits()) {
    EXPECT_EQ(v.unit_code(), escalation::kCommunity);
    EXPECT_EQ(v.revisited_by().id(), "supervisor-1");
    EXPECT_EQ(v.revisit().satisfaction(), v1::SATISFACTION_SATISFIED);
  }
}

}  // namespace
}  // namespace dispatch::readmodel
