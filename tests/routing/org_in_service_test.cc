// Units as a tree in the running service (issue 13, point 6): subtree filters follow the
// organisation's parent links, so official 12-digit division codes work; a replica that serves
// only RPCs picks up an organisation change within seconds; a handler with no shifts can be
// assigned by hand.
#include <grpcpp/grpcpp.h>

#include "common/config.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/status_matchers.h"
#include "common/testing/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/dispatchd/server.h"
#include "services/escalation/timer_engine.h"
#include "tests/testing/server_stack.h"
#include "tests/testing/test_client.h"

namespace dispatch::routing {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAnhua[] = "430923000000";
constexpr char kChengdong[] = "430923100001";
constexpr char kDongfeng[] = "430902001001";

class TwelveDigitCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(stack_.Start(absl::StrCat("routing_worker_disabled: true escalation { "
                                          "worker_disabled: true } org_file: '",
                                          DISPATCH_SOURCE_DIR,
                                          "/tests/org/twelve_digit_org.textproto'"),
                             &clock_),
                IsOk());
    client_ = std::make_unique<testing::TestClient>(stack_.channel(), &stack_.redis());
  }
  std::string SubmitRoutedTo(const std::string& work_order, const std::string& community) {
    std::string id = client_->Submit(HotlineComplaint(work_order));
    v1::Ticket t;
    EXPECT_TRUE(client_->RouteByHand(client_->Get(id), community, &t).ok());
    return id;
  }
  std::vector<std::string> Listed(const std::string& unit) { return client_->ListedFor(unit); }

  FakeClock clock_{testing::Shanghai(2026, 11, 23, 10, 0)};
  testing::ServerStack stack_;
  std::unique_ptr<testing::TestClient> client_;
};

TEST_F(TwelveDigitCodesTest, ACountyFilterGivenATwelveDigitCountyCodeReturnsItsCommunitiesTickets) {
  std::string anhua = SubmitRoutedTo("12345-12D-1", kChengdong);
  std::string ziyang = SubmitRoutedTo("12345-12D-2", kDongfeng);
  EXPECT_THAT(Listed(kAnhua), ElementsAre(anhua));
  EXPECT_THAT(Listed("430902000000"), ElementsAre(ziyang));
  EXPECT_THAT(Listed("430923100000"), ElementsAre(anhua));  // its township
  EXPECT_THAT(Listed("430900000000").size(), 2u);           // the city
  EXPECT_EQ(client_->Get(anhua).responsible_jurisdiction().county_code(), kAnhua);

  // The breach log filters the same way.
  escalation::TimerEngine::Options options;
  options.now_from_clock = true;
  redis::HiredisClient engine_redis(stack_.redis_options());
  escalation::TimerEngine engine(&engine_redis, &clock_, options);
  clock_.Advance(absl::Minutes(30));
  ASSERT_THAT(engine.RunOnce(), IsOk());
  grpc::ClientContext ctx;
  v1::ListBreachesRequest req;
  req.set_unit_code(kAnhua);
  v1::ListBreachesResponse resp;
  ASSERT_TRUE(client_->escalation().ListBreaches(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.breaches_size(), 1);
  EXPECT_EQ(resp.breaches(0).ticket_id(), anhua);
}

TEST_F(TwelveDigitCodesTest, AFilterOnAUnitTheOrganisationDoesNotHaveIsNotFound) {
  grpc::ClientContext ctx;
  v1::ListTicketsRequest req;
  req.set_unit_code("430923");  // the 6-digit form this organisation does not use
  v1::ListTicketsResponse resp;
  grpc::Status s = client_->intake().ListTickets(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("unit_code: no unit \"430923\""));
}

// The sample organisation with one more property officer at 城东社区 who has no shifts at all
// (assigned by hand only), under a new version label.
config::v1::Organisation WithAManualOnlyOfficer(const v1::GetOrganisationResponse& current) {
  config::v1::Organisation next = current.organisation();
  next.set_version("sample-2026-11-24");
  auto* officer = next.add_handlers();
  officer->set_id("h-cd-manual");
  officer->set_name("赵敏");
  officer->set_unit_code("430923100001");
  officer->set_department(v1::DEPARTMENT_HOUSING);
  return next;
}

TEST(RpcOnlyReplica, PicksUpAnOrganisationChangeWithinSecondsAndAssignsAManualOnlyHandler) {
  // Replica A runs everything; replica B serves only the routing RPCs (no worker), on the
  // same Redis, and looks for changes every 100 ms.
  FakeClock clock(testing::Shanghai(2026, 11, 29, 3, 0));  // a Sunday night: nobody on shift
  testing::ServerStack a;
  ASSERT_THAT(a.Start("routing_worker_disabled: true escalation { worker_disabled: true }",
                      &clock),
              IsOk());
  auto config = ParseConfig(absl::StrCat(
      "listen_address: '127.0.0.1:0' redis_address: '", a.redis_server().address(),
      "' services: ['routing'] routing_worker_disabled: true org_refresh_interval { nanos: "
      "100000000 } org_file: '",
      DISPATCH_SOURCE_DIR, "/deploy/org.textproto'"));
  ASSERT_THAT(config, IsOk());
  a.pki().Configure(&*config);  // the same deployment: the same CA and token keys
  redis::HiredisClient b_redis(a.redis_options());
  auto b = DispatchServer::Start(*config, &b_redis, &clock);
  ASSERT_THAT(b, IsOk());
  auto b_routing = v1::RoutingService::NewStub(a.SignedChannel((*b)->port()));
  testing::TestClient client(a.channel(), &a.redis());

  grpc::ClientContext get_ctx;
  v1::GetOrganisationResponse current;
  ASSERT_TRUE(client.routing().GetOrganisation(&get_ctx, {}, &current).ok());
  v1::UpdateOrganisationRequest update;
  *update.mutable_organisation() = WithAManualOnlyOfficer(current);
  update.set_expected_version(current.organisation().version());
  grpc::ClientContext update_ctx;
  v1::GetOrganisationResponse updated;
  ASSERT_TRUE(client.routing().UpdateOrganisation(&update_ctx, update, &updated).ok());

  // B serves the new version within seconds (asked again and again, without sleeping).
  std::string seen;
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (seen != "sample-2026-11-24" && absl::Now() < give_up) {
    grpc::ClientContext ctx;
    v1::GetOrganisationResponse r;
    if (b_routing->GetOrganisation(&ctx, {}, &r).ok()) seen = r.organisation().version();
  }
  ASSERT_EQ(seen, "sample-2026-11-24");

  // Through B, a dispatcher names the new officer for a ticket at 3 a.m. on a Sunday: a
  // handler with no shifts is assigned by hand at any time.
  std::string id = client.Submit(HotlineComplaint("12345-RPC-ONLY"));
  v1::Ticket routed;
  ASSERT_TRUE(client.RouteByHand(client.Get(id), "430923100001", &routed).ok());
  grpc::ClientContext assign_ctx;
  v1::AssignTicketRequest assign;
  *assign.mutable_write() = testing::TestClient::Write(routed, "assign-manual", "dispatcher-1");
  assign.set_handler_id("h-cd-manual");
  v1::TicketActionResponse resp;
  grpc::Status s = b_routing->AssignTicket(&assign_ctx, assign, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.ticket().assignee().id(), "h-cd-manual");
  (*b)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace dispatch::routing
