// IntakeService end to end: real gRPC (port 0, in-process server), real redis-server, fake clock.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <set>

#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/time.h"
#include "services/dispatchd/server.h"
#include "tests/testing/server_stack.h"

namespace dispatch {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::RedisServer;
using ::testing::HasSubstr;

using ::dispatch::testing::Shanghai;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(stack_.Start("services: 'intake'", &clock_), IsOk());
    redis_ = &stack_.redis();
    channel_ = stack_.channel();
    stub_ = v1::IntakeService::NewStub(channel_);
  }

  grpc::Status Submit(const v1::SubmitComplaintRequest& req, v1::SubmitComplaintResponse* resp) {
    grpc::ClientContext ctx;
    return stub_->SubmitComplaint(&ctx, req, resp);
  }

  grpc::Status Get(const std::string& id, v1::GetTicketResponse* resp,
                   v1::ContactView view = v1::CONTACT_VIEW_UNSPECIFIED) {
    grpc::ClientContext ctx;
    v1::GetTicketRequest req;
    req.set_ticket_id(id);
    req.set_contact_view(view);
    return stub_->GetTicket(&ctx, req, resp);
  }

  std::vector<std::string> Keys(const std::string& pattern) {
    auto r = redis_->ExecuteSync({"KEYS", pattern});
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& e : r->elements) out.push_back(e.str);
    }
    return out;
  }

  int64_t EventCount() {
    int64_t n = 0;
    for (const auto& k : Keys("*:events")) n += redis_->ExecuteSync({"XLEN", k})->integer;
    return n;
  }

  FakeClock clock_{Shanghai(2026, 11, 23, 9, 0)};
  testing::ServerStack stack_;
  redis::HiredisClient* redis_ = nullptr;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

MATCHER_P2(GrpcError, code, field, "") {
  *result_listener << "status " << arg.error_code() << " " << arg.error_message();
  return arg.error_code() == code && arg.error_message().find(field) != std::string::npos;
}

TEST_F(IntakeTest, GetTicketShowsTheThreeDeadlinesFromAcceptance) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(HotlineComplaint("12345-2026-000001"), &submitted).ok());
  ASSERT_TRUE(submitted.created());

  clock_.Advance(absl::Minutes(5));
  v1::GetTicketResponse got;
  ASSERT_TRUE(Get(submitted.ticket().ticket_id(), &got).ok());
  const v1::Ticket& t = got.ticket();
  absl::Time accepted = Shanghai(2026, 11, 23, 9, 0);
  EXPECT_EQ(FromProto(t.accepted_at()), accepted);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ACCEPTED);
  EXPECT_EQ(t.version(), 1);
  ASSERT_EQ(t.clocks_size(), 3);
  EXPECT_EQ(t.clocks(0).kind(), v1::CLOCK_KIND_ASSIGN);
  EXPECT_EQ(FromProto(t.clocks(0).deadline()), accepted + absl::Minutes(30));
  EXPECT_EQ(t.clocks(1).kind(), v1::CLOCK_KIND_PRELIMINARY);
  EXPECT_EQ(FromProto(t.clocks(1).deadline()), accepted + absl::Hours(3));
  EXPECT_EQ(t.clocks(2).kind(), v1::CLOCK_KIND_RESOLVE);
  EXPECT_EQ(FromProto(t.clocks(2).deadline()), accepted + absl::Hours(72));
  for (const auto& c : t.clocks()) EXPECT_FALSE(c.breached());
  EXPECT_EQ(t.sla_policy_version(), "default-333");
  EXPECT_EQ(t.complaint().description(), HotlineComplaint("x").complaint().description());
}

TEST_F(IntakeTest, AnOpenClockPastItsDeadlineReadsAsBreached) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-late"), &submitted).ok());
  clock_.Advance(absl::Minutes(31));
  v1::GetTicketResponse got;
  ASSERT_TRUE(Get(submitted.ticket().ticket_id(), &got).ok());
  EXPECT_TRUE(got.ticket().clocks(0).breached());
  EXPECT_EQ(FromProto(got.ticket().clocks(0).breached_by()), absl::Minutes(1));
  EXPECT_FALSE(got.ticket().clocks(1).breached());
}

TEST_F(IntakeTest, ThePhoneNumberIsMaskedInReadResponses) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-mask"), &submitted).ok());
  EXPECT_FALSE(submitted.ticket().has_complaint());  // not echoed back
  v1::GetTicketResponse got;
  ASSERT_TRUE(Get(submitted.ticket().ticket_id(), &got).ok());
  EXPECT_EQ(got.ticket().complaint().complainant().phone(), "138****5678");
  EXPECT_EQ(got.ticket().complaint().complainant().name(), "王**");
  EXPECT_THAT(Get(submitted.ticket().ticket_id(), &got, v1::CONTACT_VIEW_FULL),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, "contact_view"));
}

TEST_F(IntakeTest, AResendReturnsTheSameTicketAndCreatesNothing) {
  v1::SubmitComplaintResponse first, second;
  ASSERT_TRUE(Submit(HotlineComplaint("12345-2026-000002"), &first).ok());
  clock_.Advance(absl::Seconds(30));  // the gateway timed out and re-sent
  ASSERT_TRUE(Submit(HotlineComplaint("12345-2026-000002"), &second).ok());
  EXPECT_TRUE(first.created());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.ticket().ticket_id(), first.ticket().ticket_id());
  EXPECT_EQ(second.ticket().accepted_at().seconds(), first.ticket().accepted_at().seconds());
  EXPECT_EQ(Keys("*:t:*").size(), 1u);
  EXPECT_EQ(EventCount(), 1);
}

TEST_F(IntakeTest, AResendWithDifferentContentIsRefused) {
  v1::SubmitComplaintResponse first, second;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-9"), &first).ok());
  auto changed = HotlineComplaint("WO-9");
  changed.mutable_complaint()->set_description("completely different");
  EXPECT_THAT(Submit(changed, &second),
              GrpcError(grpc::StatusCode::ALREADY_EXISTS, first.ticket().ticket_id()));
  EXPECT_THAT(Submit(changed, &second),
              GrpcError(grpc::StatusCode::ALREADY_EXISTS, "complaint.channel_work_order_id"));
  EXPECT_EQ(Keys("*:t:*").size(), 1u);

  // A walk-in has no work-order id: the re-send is recognised by request_id, and named so.
  auto walk_in = HotlineComplaint("");
  walk_in.mutable_complaint()->set_channel(v1::CHANNEL_WALK_IN);
  walk_in.set_request_id("walkin-0001");
  ASSERT_TRUE(Submit(walk_in, &first).ok());
  walk_in.mutable_complaint()->set_description("completely different");
  EXPECT_THAT(Submit(walk_in, &second), GrpcError(grpc::StatusCode::ALREADY_EXISTS, "request_id:"));
}

TEST_F(IntakeTest, FiftyConcurrentIdenticalSubmissionsCreateExactlyOneTicket) {
  constexpr int kRacers = 50;
  auto req = HotlineComplaint("12345-2026-RACE");
  struct Call {
    grpc::ClientContext ctx;
    v1::SubmitComplaintResponse resp;
    grpc::Status status;
  };
  std::vector<Call> calls(kRacers);
  std::atomic<int> pending{kRacers};
  std::promise<void> all_done;
  for (auto& call : calls) {
    stub_->async()->SubmitComplaint(&call.ctx, &req, &call.resp, [&](grpc::Status s) {
      call.status = s;
      if (pending.fetch_sub(1) == 1) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  std::set<std::string> ids;
  int created = 0;
  for (auto& call : calls) {
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    ids.insert(call.resp.ticket().ticket_id());
    created += call.resp.created();
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(Keys("*:t:*").size(), 1u);
  EXPECT_EQ(EventCount(), 1);
}

TEST_F(IntakeTest, AcceptanceArmsTimersIndexesAndTheAcceptedEventInOneStep) {
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-atomic"), &r).ok());
  const std::string& id = r.ticket().ticket_id();
  int shard = *keys::ShardOfTicketId(id);
  EXPECT_EQ(shard, keys::ShardOf("2:WO-atomic"));
  auto timers = redis_->ExecuteSync({"ZRANGE", keys::Timers(shard), "0", "-1", "WITHSCORES"});
  ASSERT_THAT(timers, IsOk());
  // One wake-up per ticket: the earliest of its routing grace (when it goes to its dispatch
  // desk if routing has not placed it, 5 minutes) and its clocks' warnings and deadlines.
  ASSERT_EQ(timers->elements.size(), 2u);
  int64_t accepted_ms = absl::ToUnixMillis(Shanghai(2026, 11, 23, 9, 0));
  EXPECT_EQ(timers->elements[0].str, id);
  EXPECT_EQ(timers->elements[1].str, std::to_string(accepted_ms + 5 * 60 * 1000));
  EXPECT_EQ(absl::ToUnixMillis(FromProto(r.ticket().routing_grace_until())),
            accepted_ms + 5 * 60 * 1000);
  // The acceptance index: [[<accepted ms>-0, [t, <id>]]].
  auto indexed = redis_->ExecuteSync({"XRANGE", keys::AcceptedIndex(shard), "-", "+"});
  ASSERT_THAT(indexed, IsOk());
  ASSERT_EQ(indexed->elements.size(), 1u);
  EXPECT_EQ(indexed->elements[0].elements[0].str, absl::StrCat(accepted_ms, "-0"));
  EXPECT_EQ(indexed->elements[0].elements[1].elements[1].str, id);
  auto events = redis_->ExecuteSync({"XRANGE", keys::Events(shard), "-", "+"});
  ASSERT_EQ(events->elements.size(), 1u);
  // [type, accepted, ticket, <id>, pc, <compact event>, c, <complaint>]
  const auto& fields = events->elements[0].elements[1].elements;
  ASSERT_EQ(fields.size(), 8u);
  EXPECT_EQ(fields[3].str, id);
  EXPECT_EQ(fields[4].str, "pc");
  // The entry holds the only copy of the complaint, as submitted (masked on read).
  EXPECT_EQ(fields[6].str, "c");
  v1::Complaint stored;
  ASSERT_TRUE(stored.ParseFromString(fields[7].str));
  EXPECT_EQ(stored.complainant().phone(), "13812345678");
  // The stored event leaves out the ids the entry already says; decoding puts them back.
  auto entry = DecodeEventEntry(events->elements[0]);
  ASSERT_THAT(entry, IsOk());
  const v1::TicketEvent& e = entry->event;
  EXPECT_EQ(e.ticket_id(), id);
  EXPECT_EQ(e.event_id(), id + ":1:accepted");
  ASSERT_TRUE(e.has_accepted());
  EXPECT_EQ(e.accepted().clocks_size(), 3);
  EXPECT_EQ(e.accepted().location().jurisdiction().community_code(), "330102001001");
  EXPECT_EQ(e.accepted().channel_work_order_id(), "WO-atomic");
  // The actor is the authenticated gateway (the test's calls that name no actor are signed
  // as "operator", tests/testing/signed_calls.h).
  EXPECT_EQ(e.actor().id(), "operator");
  // The event decoded is the one intake built, though its stored form leaves out what the
  // complaint repeats.
  EXPECT_EQ(e.accepted().clocks(0).deadline().seconds(), accepted_ms / 1000 + 30 * 60);
  EXPECT_EQ(e.accepted().clocks(2).started_at().seconds(), accepted_ms / 1000);
}

TEST_F(IntakeTest, ATicketWhoseComplaintEntryIsGoneIsDataLossNotAnEmptyComplaint) {
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-trimmed"), &r).ok());
  const std::string& id = r.ticket().ticket_id();
  int shard = *keys::ShardOfTicketId(id);
  auto e0 = redis_->ExecuteSync({"HGET", keys::Ticket(shard, id), "e0"});
  ASSERT_THAT(e0, IsOk());
  ASSERT_EQ(redis_->ExecuteSync({"XDEL", keys::Events(shard), e0->str})->integer, 1);
  v1::GetTicketResponse got;
  EXPECT_THAT(Get(id, &got), GrpcError(grpc::StatusCode::DATA_LOSS, "its complaint is missing"));
}

TEST_F(IntakeTest, ATicketAcceptedBeforeComplaintsMovedIntoTheStreamIsStillRead) {
  // The layout before: the complaint in {s}:c:<id>, the TicketAccepted entry with `pb` only.
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-legacy"), &r).ok());
  const std::string& id = r.ticket().ticket_id();
  int shard = *keys::ShardOfTicketId(id);
  auto events = redis_->ExecuteSync({"XRANGE", keys::Events(shard), "-", "+"});
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->elements.size(), 1u);
  const std::string old_id = events->elements[0].elements[0].str;
  const auto& fields = events->elements[0].elements[1].elements;
  ASSERT_EQ(fields[6].str, "c");
  auto accepted = DecodeEventEntry(events->elements[0]);
  ASSERT_THAT(accepted, IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"SET", keys::LegacyComplaint(shard, id), fields[7].str}),
              IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"XDEL", keys::Events(shard), old_id}), IsOk());
  auto legacy = redis_->ExecuteSync({"XADD", keys::Events(shard), "*", "type", "accepted",
                                     "ticket", id, "pb", StoredEventBytes(accepted->event)});
  ASSERT_THAT(legacy, IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"HSET", keys::Ticket(shard, id), "e0", legacy->str}), IsOk());

  v1::GetTicketResponse got;
  ASSERT_TRUE(Get(id, &got).ok());
  EXPECT_EQ(got.ticket().complaint().description(),
            HotlineComplaint("").complaint().description());
  auto reread = redis_->ExecuteSync({"XRANGE", keys::Events(shard), legacy->str, legacy->str});
  ASSERT_THAT(reread, IsOk());
  auto decoded = DecodeEventEntry(reread->elements[0]);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->event.SerializeAsString(), accepted->event.SerializeAsString());
}

TEST_F(IntakeTest, AnAcceptanceOvertakenByALaterOneIsIndexedAtTheLaterMillisecond) {
  // Another dispatchd's acceptance 5 s later got into the shard's index first.
  int shard = keys::ShardOf("2:WO-overtaken");
  int64_t accepted_ms = absl::ToUnixMillis(Shanghai(2026, 11, 23, 9, 0));
  ASSERT_THAT(redis_->ExecuteSync({"XADD", keys::AcceptedIndex(shard),
                                   absl::StrCat(accepted_ms + 5000, "-0"), "t",
                                   "T20261123-000-LATERLAT"}),
              IsOk());
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-overtaken"), &r).ok());
  auto indexed = redis_->ExecuteSync({"XRANGE", keys::AcceptedIndex(shard), "-", "+"});
  ASSERT_THAT(indexed, IsOk());
  ASSERT_EQ(indexed->elements.size(), 2u);
  EXPECT_EQ(indexed->elements[1].elements[0].str, absl::StrCat(accepted_ms + 5000, "-1"));
  EXPECT_EQ(indexed->elements[1].elements[1].elements[1].str, r.ticket().ticket_id());
  EXPECT_EQ(ToUnixMs(r.ticket().accepted_at()), accepted_ms);  // the ticket keeps its time
}

TEST_F(IntakeTest, AnIndexWhoseNewestEntryWasDeletedByHandStillTakesAcceptances) {
  // The stream's last id stays ahead of its newest remaining entry: its ids only grow.
  int shard = keys::ShardOf("2:WO-after-xdel");
  const std::string later = absl::StrCat(absl::ToUnixMillis(clock_.Now()) + 5000, "-0");
  ASSERT_THAT(redis_->ExecuteSync({"XADD", keys::AcceptedIndex(shard), later, "t", "x"}), IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"XDEL", keys::AcceptedIndex(shard), later}), IsOk());
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("WO-after-xdel"), &r).ok());
  auto indexed = redis_->ExecuteSync({"XRANGE", keys::AcceptedIndex(shard), "-", "+"});
  ASSERT_THAT(indexed, IsOk());
  ASSERT_EQ(indexed->elements.size(), 1u);
  EXPECT_EQ(indexed->elements[0].elements[1].elements[1].str, r.ticket().ticket_id());
}

TEST_F(IntakeTest, AFailingWriteLeavesNoHalfWrittenTicket) {
  // Sabotage each key of the shard that the script writes after others (a string where a
  // sorted set or stream belongs): the script must undo what it wrote before and write nothing.
  int shard = keys::ShardOf("2:WO-sabotage");
  for (const std::string& key :
       {keys::Timers(shard), keys::AcceptedIndex(shard), keys::Events(shard)}) {
    SCOPED_TRACE(key);
    ASSERT_THAT(redis_->ExecuteSync({"SET", key, "not a zset or stream"}), IsOk());
    v1::SubmitComplaintResponse r;
    EXPECT_THAT(Submit(HotlineComplaint("WO-sabotage"), &r),
                GrpcError(grpc::StatusCode::INTERNAL, key));
    EXPECT_TRUE(Keys("*:t:*").empty());
    EXPECT_TRUE(Keys("*:idem:*").empty());
    if (key != keys::Timers(shard)) {
      EXPECT_EQ(redis_->ExecuteSync({"ZCARD", keys::Timers(shard)})->integer, 0);
    }
    if (key != keys::AcceptedIndex(shard)) {
      EXPECT_EQ(redis_->ExecuteSync({"XLEN", keys::AcceptedIndex(shard)})->integer, 0);
    }
    if (key != keys::Events(shard)) {
      EXPECT_EQ(EventCount(), 0);
    }
    // Repaired, the same work order is accepted normally.
    ASSERT_THAT(redis_->ExecuteSync({"DEL", key}), IsOk());
  }
  v1::SubmitComplaintResponse r;
  EXPECT_TRUE(Submit(HotlineComplaint("WO-sabotage"), &r).ok());
  EXPECT_TRUE(r.created());
  EXPECT_EQ(EventCount(), 1);
}

TEST_F(IntakeTest, BadInputGetsInvalidArgumentNamingTheField) {
  v1::SubmitComplaintResponse r;
  auto missing = HotlineComplaint("WO-b1");
  missing.mutable_complaint()->clear_description();
  EXPECT_THAT(Submit(missing, &r),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "complaint.description"));

  auto category = HotlineComplaint("WO-b2");
  category.mutable_complaint()->set_category(static_cast<v1::Category>(4242));
  EXPECT_THAT(Submit(category, &r),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "complaint.category"));

  auto too_long = HotlineComplaint("WO-b3");
  too_long.mutable_complaint()->set_description(std::string(2001, 'x'));
  EXPECT_THAT(Submit(too_long, &r),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "complaint.description"));

  auto phone = HotlineComplaint("WO-b4");
  phone.mutable_complaint()->mutable_complainant()->set_phone("1381234");
  EXPECT_THAT(Submit(phone, &r),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "complaint.complainant.phone"));
  EXPECT_TRUE(Keys("*:t:*").empty());
}

TEST_F(IntakeTest, InvalidUtf8OnTheWireGetsInvalidArgumentNamingTheField) {
  // protobuf refuses to parse such a message, so send raw bytes as a non-C++ gateway might.
  auto req = HotlineComplaint("WO-utf8");
  req.mutable_complaint()->set_description("PLACEHOLDER");
  std::string bytes = req.SerializeAsString();
  bytes.replace(bytes.find("PLACEHOLDER"), 11, "bad \xff\xfe byte");  // same length
  grpc::Slice slice(bytes);
  grpc::ByteBuffer raw(&slice, 1), response;
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, "/dispatch.v1.IntakeService/SubmitComplaint", grpc::StubOptions(), &raw,
                    &response, [&](grpc::Status s) { done.set_value(s); });
  EXPECT_THAT(done.get_future().get(),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "complaint.description: not valid UTF-8"));
}

TEST_F(IntakeTest, WithRedisStoppedSubmitIsUnavailableAndServesAgainWhenItReturns) {
  ASSERT_THAT(stack_.redis_server().Stop(), IsOk());
  v1::SubmitComplaintResponse r;
  for (int i = 0; i < 4; ++i) {  // whichever pooled connection takes it
    EXPECT_THAT(Submit(HotlineComplaint("WO-down"), &r),
                GrpcError(grpc::StatusCode::UNAVAILABLE, "redis"));
  }
  ASSERT_THAT(stack_.redis_server().Start(), IsOk());
  for (int i = 0; i < 4; ++i) {
    grpc::Status s = Submit(HotlineComplaint("WO-down"), &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(Keys("*:t:*").size(), 1u);
}

TEST_F(IntakeTest, LookupByWorkOrderAndNotFound) {
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(HotlineComplaint("12345-2026-000777"), &r).ok());
  grpc::ClientContext ctx;
  v1::LookupTicketRequest lookup;
  lookup.set_channel(v1::CHANNEL_HOTLINE_12345);
  lookup.set_channel_work_order_id("12345-2026-000777");
  v1::GetTicketResponse got;
  ASSERT_TRUE(stub_->LookupTicket(&ctx, lookup, &got).ok());
  EXPECT_EQ(got.ticket().ticket_id(), r.ticket().ticket_id());

  grpc::ClientContext ctx2;
  lookup.set_channel_work_order_id("12345-2026-000778");
  EXPECT_THAT(stub_->LookupTicket(&ctx2, lookup, &got),
              GrpcError(grpc::StatusCode::NOT_FOUND, "channel_work_order_id"));
  EXPECT_THAT(Get("T20261123-001-ZZZZZZZZ", &got),
              GrpcError(grpc::StatusCode::NOT_FOUND, "ticket_id"));
  EXPECT_THAT(Get("garbage", &got), GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "ticket_id"));
}

TEST_F(IntakeTest, EmergenciesRunOnTheEmergencyPolicy) {
  auto req = HotlineComplaint("WO-pipe");
  req.mutable_complaint()->set_category(v1::CATEGORY_EMERGENCY_BURST_PIPE);
  v1::SubmitComplaintResponse r;
  ASSERT_TRUE(Submit(req, &r).ok());
  EXPECT_EQ(r.ticket().priority(), v1::PRIORITY_EMERGENCY);
  EXPECT_EQ(FromProto(r.ticket().clocks(0).deadline()),
            Shanghai(2026, 11, 23, 9, 10));
}

TEST_F(IntakeTest, ListingTicketsWithTheFullContactViewNeedsAPiiRole) {
  grpc::ClientContext ctx;
  v1::ListTicketsRequest req;
  req.set_contact_view(v1::CONTACT_VIEW_FULL);
  v1::ListTicketsResponse resp;
  EXPECT_THAT(stub_->ListTickets(&ctx, req, &resp),
              GrpcError(grpc::StatusCode::PERMISSION_DENIED, "contact_view"));
}

}  // namespace
}  // namespace dispatch
