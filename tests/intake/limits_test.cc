// Limits on what a caller can send (issue 13, points 9 and 10): request size, unknown fields,
// actor fields, bounded reads; storage full is RESOURCE_EXHAUSTED with nothing half-written.
// Also the calendar gap on the ticket (point 7) and one source of time (point 8).
#include <grpcpp/grpcpp.h>

#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/redis_clock.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/skewed_time_client.h"
#include "common/testing/status_matchers.h"
#include "common/testing/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/dispatchd/server.h"
#include "services/intake/queries.h"
#include "tests/testing/server_stack.h"
#include "tests/testing/signed_calls.h"
#include "tests/testing/test_client.h"

namespace dispatch {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::Shanghai;
using ::testing::HasSubstr;

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(stack_.Start("services: ['intake', 'routing'] routing_worker_disabled: true",
                             &clock_),
                IsOk());
    client_ = std::make_unique<testing::TestClient>(stack_.channel(), &stack_.redis());
  }
  grpc::Status Submit(const v1::SubmitComplaintRequest& req, v1::SubmitComplaintResponse* resp) {
    grpc::ClientContext ctx;
    return client_->intake().SubmitComplaint(&ctx, req, resp);
  }
  // Keys in Redis: what a refused request must not have added to.
  int64_t KeyCount() {
    auto r = stack_.redis().ExecuteSync({"DBSIZE"});
    return r.ok() ? r->integer : -1;
  }
  int64_t EventCount() {
    int64_t n = 0;
    for (int s = 0; s < keys::kShardCount; ++s) {
      auto r = stack_.redis().ExecuteSync({"XLEN", keys::Events(s)});
      if (r.ok()) n += r->integer;
    }
    return n;
  }

  FakeClock clock_{Shanghai(2026, 11, 23, 9, 0)};
  testing::ServerStack stack_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(LimitsTest, AOneMebibyteRequestIsRefusedNamingTheLimitAndStoresNothing) {
  auto req = HotlineComplaint("12345-BIG");
  req.mutable_complaint()->set_description(std::string(1 << 20, 'x'));
  const int64_t keys_before = KeyCount();
  v1::SubmitComplaintResponse resp;
  grpc::Status s = Submit(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("more than the limit of 65536"));
  EXPECT_THAT(s.error_message(), HasSubstr("limits.max_request_bytes"));
  EXPECT_EQ(KeyCount(), keys_before);
}

TEST_F(LimitsTest, AComplaintWithUnknownFieldsIsStoredWithoutThem) {
  auto req = HotlineComplaint("12345-UNKNOWN");
  // Fields this version does not know, as a newer (or careless) gateway might send them.
  req.mutable_complaint()->GetReflection()->MutableUnknownFields(req.mutable_complaint())
      ->AddLengthDelimited(99, std::string(1000, 'u'));
  req.mutable_complaint()->mutable_complainant()->GetReflection()
      ->MutableUnknownFields(req.mutable_complaint()->mutable_complainant())
      ->AddVarint(42, 7);
  v1::SubmitComplaintResponse resp;
  ASSERT_TRUE(Submit(req, &resp).ok());
  // The stored complaint (field c of its TicketAccepted entry) has none of them.
  const std::string& id = resp.ticket().ticket_id();
  auto entries = stack_.redis().ExecuteSync(
      {"XRANGE", keys::Events(*keys::ShardOfTicketId(id)), "-", "+"});
  ASSERT_THAT(entries, IsOk());
  std::string stored;
  for (const auto& item : entries->elements) {
    const auto& f = item.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].str == "c") stored = f[i + 1].str;
    }
  }
  v1::Complaint complaint;
  ASSERT_TRUE(complaint.ParseFromString(stored));
  EXPECT_TRUE(complaint.GetReflection()->GetUnknownFields(complaint).empty());
  EXPECT_TRUE(complaint.complainant().GetReflection()
                  ->GetUnknownFields(complaint.complainant())
                  .empty());
  EXPECT_EQ(stored, HotlineComplaint("12345-UNKNOWN").complaint().SerializeAsString());
  // A re-send with other unknown fields is the same complaint: the same ticket, not a conflict.
  auto again = HotlineComplaint("12345-UNKNOWN");
  again.mutable_complaint()->GetReflection()->MutableUnknownFields(again.mutable_complaint())
      ->AddVarint(77, 1);
  v1::SubmitComplaintResponse resent;
  ASSERT_TRUE(Submit(again, &resent).ok());
  EXPECT_FALSE(resent.created());
  EXPECT_EQ(resent.ticket().ticket_id(), id);
}

TEST_F(LimitsTest, TheActorOfAWriteIsBoundedLikeAnyOtherField) {
  std::string id = client_->Submit(HotlineComplaint("12345-ACTOR"));
  v1::Ticket t = client_->Get(id), out;
  grpc::ClientContext ctx;
  v1::RouteTicketRequest req;
  *req.mutable_write() = testing::TestClient::Write(t, "route-1", std::string(65, 'a'));
  req.set_unit_code("430923100001");
  req.set_department(v1::DEPARTMENT_HOUSING);
  v1::TicketActionResponse resp;
  grpc::Status s = client_->routing().RouteTicket(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("write.actor.id: at most 64 characters"));
  req.mutable_write()->mutable_actor()->set_id("desk-1");
  std::string name;
  for (int i = 0; i < 51; ++i) name += "王";
  req.mutable_write()->mutable_actor()->set_display_name(name);
  grpc::ClientContext ctx2;
  s = client_->routing().RouteTicket(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("write.actor.display_name: at most 50 characters"));
  EXPECT_EQ(client_->Get(id).version(), t.version());  // nothing written
}

TEST_F(LimitsTest, WithMaxmemoryReachedSubmitIsResourceExhaustedStoresNothingAndRecovers) {
  const int64_t keys_before = KeyCount(), events_before = EventCount();
  // Redis is full: noeviction (deploy/redis.conf) refuses every write.
  ASSERT_THAT(stack_.redis().ExecuteSync({"CONFIG", "SET", "maxmemory-policy", "noeviction"}),
              IsOk());
  ASSERT_THAT(stack_.redis().ExecuteSync({"CONFIG", "SET", "maxmemory", "1"}), IsOk());
  v1::SubmitComplaintResponse resp;
  grpc::Status s = Submit(HotlineComplaint("12345-FULL"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("storage is full"));
  EXPECT_THAT(s.error_message(), HasSubstr("nothing was written"));
  ASSERT_THAT(stack_.redis().ExecuteSync({"CONFIG", "SET", "maxmemory", "0"}), IsOk());
  EXPECT_EQ(KeyCount(), keys_before);
  EXPECT_EQ(EventCount(), events_before);
  // Memory freed (here: the limit lifted): the same submission is accepted, once.
  ASSERT_TRUE(Submit(HotlineComplaint("12345-FULL"), &resp).ok());
  EXPECT_TRUE(resp.created());
}

TEST(CalendarGap, AWorkingDayDeadlineBeyondTheLoadedCalendarsIsFlaggedOnTheTicket) {
  // Working-day resolve clocks with the calendars of 2025 and 2026 only.
  FakeClock clock(Shanghai(2026, 12, 30, 10, 0));
  testing::ServerStack stack;
  ASSERT_THAT(stack.Start(absl::StrCat("services: 'intake' calendar_dir: '", DISPATCH_SOURCE_DIR,
                                       "/deploy/calendar' sla { defaults { resolve_day_basis: "
                                       "DAY_BASIS_WORKING resolve_working_days: 3 } }"),
                          &clock),
              IsOk());
  testing::TestClient client(stack.channel(), &stack.redis());
  // Accepted on 30 December 2026: the 3rd working day after it falls in 2027, which has no
  // calendar file yet. The deadline assumes plain weekdays there, and the ticket says so.
  v1::Ticket late = client.Get(client.Submit(HotlineComplaint("12345-CAL-1")));
  ASSERT_EQ(late.clocks_size(), 3);
  EXPECT_TRUE(late.clocks(2).calendar_assumed());
  EXPECT_EQ(late.clocks(2).day_basis(), v1::DAY_BASIS_WORKING);
  EXPECT_FALSE(late.clocks(0).calendar_assumed());
  // A complaint of 23 November 2026 is counted on the real calendar.
  clock.Set(Shanghai(2026, 11, 23, 10, 0));
  v1::Ticket covered = client.Get(client.Submit(HotlineComplaint("12345-CAL-2")));
  EXPECT_FALSE(covered.clocks(2).calendar_assumed());
}

TEST(OneSourceOfTime, AHostWhoseClockIsAnHourBehindRedisStampsWithRedisTime) {
  testing::RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  redis::HiredisClient client(redis.client_options());
  // Redis's clock is an hour ahead of this host's, as another replica's host might see it.
  testing::SkewedTimeClient skewed(&client, absl::Hours(1));
  auto clock = RedisClock::Create(&skewed);
  ASSERT_THAT(clock, IsOk());
  auto config = ParseConfig(absl::StrCat(
      "listen_address: '127.0.0.1:0' redis_address: '", redis.address(),
      "' routing_worker_disabled: true escalation { worker_disabled: true } org_file: '",
      DISPATCH_SOURCE_DIR, "/deploy/org.textproto'"));
  ASSERT_THAT(config, IsOk());
  testing::TestPki pki;
  pki.Configure(&*config);
  auto server = DispatchServer::Start(*config, &skewed, clock->get());
  ASSERT_THAT(server, IsOk());
  testing::ActingAsRequested signer(&pki, &client, "430900");
  testing::TestClient dispatch_client(testing::SignedChannel((*server)->port(), pki, &signer),
                                      &client);
  const absl::Time host_now = absl::Now();
  v1::Ticket t = dispatch_client.Get(dispatch_client.Submit(HotlineComplaint("12345-TIME")));
  EXPECT_GT(FromProto(t.accepted_at()), host_now + absl::Minutes(59));
  EXPECT_LT(FromProto(t.accepted_at()), host_now + absl::Minutes(61));
  // A dispatcher's action is stamped the same way.
  v1::Ticket routed;
  ASSERT_TRUE(dispatch_client.RouteByHand(t, "430923100001", &routed).ok());
  EXPECT_GT(FromProto(routed.updated_at()), host_now + absl::Minutes(59));
  (*server)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace dispatch
