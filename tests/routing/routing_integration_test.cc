// Intake → event stream → routing worker → ticket, against a real redis-server and real gRPC.
// The worker is driven by the test (RunOnce), so nothing waits for time to pass.
#include <grpcpp/grpcpp.h>

#include "common/config.h"
#include "common/event_entry.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/keys.h"
#include "common/metrics/metrics.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/status_matchers.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "dispatch/v1/routing.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/testing/time.h"
#include "services/dispatchd/server.h"
#include "tests/testing/server_stack.h"
#include "tests/testing/test_client.h"
#include "services/escalation/timer_engine.h"
#include "services/routing/routing_worker.h"

namespace dispatch::routing {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::IsOkAndHolds;
using ::dispatch::testing::RedisServer;

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Intake and the routing RPCs; the test drives the routing worker itself. Routing may
    // take 25 minutes before the timer engine puts a ticket on its desk (tests here that run
    // the engine keep routing down for less).
    ASSERT_THAT(stack_.Start(absl::StrCat("services: ['intake', 'routing'] "
                                          "routing_worker_disabled: true "
                                          "routing_grace { seconds: 1500 } org_file: '",
                                          DISPATCH_SOURCE_DIR, "/deploy/org.textproto' ",
                                          extra_config_),
                             &clock_),
                IsOk());
    redis_ = &stack_.redis();
    worker_redis_ = std::make_unique<redis::HiredisClient>(stack_.redis_options());
    stub_ = v1::IntakeService::NewStub(stack_.channel());
    routing_ = v1::RoutingService::NewStub(stack_.channel());
    client_ = std::make_unique<testing::TestClient>(stack_.channel(), redis_);

    ASSERT_THAT(LoadTextProtoFile(DISPATCH_SOURCE_DIR "/deploy/org.textproto", &org_config_),
                IsOk());
    auto snapshot = OrgSnapshot::Build(org_config_);
    ASSERT_THAT(snapshot, IsOk());
    org_ = std::make_unique<OrgHolder>(worker_redis_.get(), *snapshot);
    ASSERT_THAT(org_->Load(), IsOk());
  }

  std::unique_ptr<RoutingWorker> NewWorker(const std::string& consumer = "routing-1") {
    RoutingWorker::Options options;
    options.zone = testing::ShanghaiZone();
    options.consumer = consumer;
    options.claim_min_idle = absl::ZeroDuration();
    EXPECT_THAT(org_->Refresh(), IsOk());
    auto w = std::make_unique<RoutingWorker>(worker_redis_.get(), &clock_, org_.get(), &policy_,
                                             options);
    EXPECT_THAT(w->Prepare(), IsOk());
    return w;
  }

  // Runs the worker until it finds nothing more to route; returns how many it routed.
  int Drain(RoutingWorker& w) {
    int total = 0;
    for (;;) {
      absl::StatusOr<int> n = w.RunOnce(absl::ZeroDuration());
      EXPECT_THAT(n, IsOk());
      if (!n.ok() || *n == 0) return total;
      total += *n;
    }
  }

  // The calls a gateway and a dispatcher make (tests/testing/test_client.h).
  std::string Submit(const v1::SubmitComplaintRequest& req) { return client_->Submit(req); }
  v1::Ticket Get(const std::string& id) { return client_->Get(id); }
  static v1::TicketWrite Write(const v1::Ticket& t, const std::string& request_id,
                               const std::string& actor) {
    return testing::TestClient::Write(t, request_id, actor);
  }
  grpc::Status Assign(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                      const std::string& request_id = "assign-1") {
    return client_->Assign(t, handler, out, request_id);
  }
  grpc::Status RouteByHand(const v1::Ticket& t, const std::string& unit, v1::Ticket* out,
                           const std::string& request_id = "route-1",
                           v1::Department department = v1::DEPARTMENT_HOUSING) {
    return client_->RouteByHand(t, unit, out, request_id, department);
  }

  // Events of one type across all shards, in stream order per shard.
  std::vector<v1::TicketEvent> Events(const std::string& type) {
    std::vector<v1::TicketEvent> out;
    for (int s = 0; s < keys::kShardCount; ++s) {
      auto r = redis_->ExecuteSync({"XRANGE", keys::Events(s), "-", "+"});
      if (!r.ok()) continue;
      for (const auto& item : r->elements) {
        auto entry = DecodeEventEntry(item);
        EXPECT_THAT(entry, IsOk());
        if (entry.ok() && entry->type == type) out.push_back(std::move(entry->event));
      }
    }
    return out;
  }

  std::string extra_config_;  // appended to the server's configuration by SetUp
  // Monday 23 November 2026, 10:00 in Shanghai: weekday office hours.
  FakeClock clock_{testing::Shanghai(2026, 11, 23, 10, 0)};
  testing::ServerStack stack_;
  redis::HiredisClient* redis_ = nullptr;
  std::unique_ptr<redis::HiredisClient> worker_redis_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
  std::unique_ptr<v1::RoutingService::Stub> routing_;
  std::unique_ptr<testing::TestClient> client_;
  config::v1::Organisation org_config_;
  std::unique_ptr<OrgHolder> org_;
  SlaPolicy policy_ = SlaPolicy::Default();
};

TEST_F(RoutingTest, ASubmittedComplaintIsRoutedAndAssignedToAnOnDutyHandlerWhoMustSignForIt) {
  auto req = HotlineComplaint("12345-2026-R1");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);  // housing
  std::string id = Submit(req);
  clock_.Advance(absl::Minutes(4));
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 1);

  v1::Ticket t = Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(t.version(), 3);  // accepted, routed, assigned
  EXPECT_EQ(t.responsible_unit_code(), "430923100001");  // 城东社区, its property officer
  EXPECT_EQ(t.responsible_jurisdiction().county_code(), "430923");
  EXPECT_EQ(t.assignee().id(), "h-cd-wgy");
  EXPECT_EQ(t.org_version(), "sample-2026-12-05");
  ASSERT_EQ(t.handlings_size(), 1);
  EXPECT_EQ(t.handlings(0).department(), v1::DEPARTMENT_HOUSING);
  EXPECT_EQ(t.handlings(0).assignee().id(), "h-cd-wgy");  // the lead share is the assignee's
  EXPECT_EQ(t.handlings(0).state(), v1::SHARE_STATE_ASSIGNED);
  // 30分钟责任到人 means a named person took it: the assign clock runs until the officer signs
  // for the ticket, which must happen within ten minutes of the assignment.
  EXPECT_EQ(t.assign_met_by(), v1::ASSIGN_MET_BY_SIGN_FOR);
  EXPECT_FALSE(t.clocks(0).has_met_at());
  EXPECT_EQ(FromProto(t.sign_for_deadline()), FromProto(t.accepted_at()) + absl::Minutes(14));
  auto next = redis_->ExecuteSync({"ZSCORE", keys::Timers(*keys::ShardOfTicketId(id)), id});
  EXPECT_EQ(next->str, std::to_string(absl::ToUnixMillis(FromProto(t.accepted_at())) +
                                      14 * 60 * 1000));

  // The officer signs for it six minutes later: the clock is met then, in time.
  clock_.Advance(absl::Minutes(6));
  v1::Ticket signed_for;
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &signed_for).ok());
  EXPECT_EQ(signed_for.status(), v1::TICKET_STATUS_SIGNED_FOR);
  EXPECT_EQ(FromProto(signed_for.clocks(0).met_at()),
            FromProto(t.accepted_at()) + absl::Minutes(10));
  EXPECT_FALSE(signed_for.clocks(0).breached());
  EXPECT_FALSE(signed_for.has_sign_for_deadline());
  // The ticket now wakes up for its preliminary clock's 50 % warning (1 h 30 min).
  next = redis_->ExecuteSync({"ZSCORE", keys::Timers(*keys::ShardOfTicketId(id)), id});
  EXPECT_EQ(next->str, std::to_string(absl::ToUnixMillis(FromProto(t.accepted_at())) +
                                      90 * 60 * 1000));
}

TEST_F(RoutingTest, AnUnresolvableLocationWaitsAtTheDeskOfTheCountyItNamesFlagged) {
  auto req = HotlineComplaint("12345-2026-R2");
  req.mutable_complaint()->mutable_location()->Clear();
  req.mutable_complaint()->mutable_location()->set_address("不知道哪个小区");
  req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_county_code("430923");
  std::string id = Submit(req);
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_TRUE(t.needs_manual_routing());
  EXPECT_EQ(t.responsible_unit_code(), "430923");
  EXPECT_FALSE(t.has_assignee());
  EXPECT_FALSE(t.clocks(0).has_met_at());  // a dispatcher must still act within 30 minutes
}

TEST_F(RoutingTest, WithRoutingDownAThousandSubmissionsAreAcceptedThenEachRoutedOnce) {
  constexpr int kTickets = 1000;
  for (int i = 0; i < kTickets; ++i) {
    auto req = HotlineComplaint(absl::StrCat("12345-2026-B", i));
    req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
    ASSERT_FALSE(Submit(req).empty());
  }
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), kTickets);
  EXPECT_EQ(Events("routed").size(), static_cast<size_t>(kTickets));

  // A restarted worker (same consumer) and a second one find nothing left to route.
  auto restarted = NewWorker();
  EXPECT_EQ(Drain(*restarted), 0);
  EXPECT_EQ(Events("routed").size(), static_cast<size_t>(kTickets));
  EXPECT_EQ(Events("assigned").size(), static_cast<size_t>(kTickets));
}

TEST_F(RoutingTest, ARedeliveredAcceptedEventDoesNotRouteTwice) {
  std::string id = Submit(HotlineComplaint("12345-2026-R3"));
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 1);
  // Put the TicketAccepted event back as if its acknowledgement had been lost.
  int shard = *keys::ShardOfTicketId(id);
  auto first = redis_->ExecuteSync({"XRANGE", keys::Events(shard), "-", "+", "COUNT", "1"});
  ASSERT_THAT(first, IsOk());
  std::string entry = first->elements[0].elements[0].str;
  ASSERT_THAT(redis_->ExecuteSync({"XGROUP", "SETID", keys::Events(shard), keys::kRoutingGroup,
                                   "0"}),
              IsOk());
  auto again = NewWorker();
  EXPECT_THAT(again->RunOnce(absl::ZeroDuration()), IsOkAndHolds(0));
  EXPECT_EQ(Events("routed").size(), 1u);
  EXPECT_EQ(Get(id).version(), 4);  // accepted, routed, assigned, the assisting share assigned
}

TEST_F(RoutingTest, EventsADeadReplicaTookAreTakenOverAndRoutedOnce) {
  for (int i = 0; i < 20; ++i) Submit(HotlineComplaint(absl::StrCat("12345-2026-D", i)));
  // Replica "dead" reads everything and dies before routing any of it.
  auto dead = NewWorker("dead");
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", keys::kRoutingGroup, "dead", "STREAMS"};
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(keys::Events(s));
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(">");
  ASSERT_THAT(redis_->ExecuteSync(argv), IsOk());
  auto survivor = NewWorker("survivor");
  EXPECT_EQ(Drain(*survivor), 0);  // nothing new for it
  EXPECT_THAT(survivor->ClaimAbandoned(), IsOkAndHolds(20));
  EXPECT_EQ(Drain(*survivor), 20);
  EXPECT_EQ(Events("routed").size(), 20u);
}

TEST_F(RoutingTest, ATicketADispatcherRoutedFirstDoesNotStopTheWorker) {
  std::string first = Submit(HotlineComplaint("12345-2026-M1"));
  // A dispatcher routes it by hand before the worker gets to it (version 1 -> 2).
  v1::Ticket routed_by_hand;
  ASSERT_TRUE(RouteByHand(Get(first), "430923100", &routed_by_hand).ok());
  std::string second = Submit(HotlineComplaint("12345-2026-M2"));
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 1);  // the second; the first is acknowledged and left alone
  EXPECT_EQ(Get(first).responsible_unit_code(), "430923100");
  EXPECT_EQ(Get(second).status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(Drain(*worker), 0);
  std::string third = Submit(HotlineComplaint("12345-2026-M3"));
  EXPECT_EQ(Drain(*worker), 1);  // routing goes on
}

TEST_F(RoutingTest, EmergenciesAreRoutedAheadOfOrdinaryTickets) {
  for (int i = 0; i < 5; ++i) Submit(HotlineComplaint(absl::StrCat("12345-2026-N", i)));
  auto burst = HotlineComplaint("12345-2026-E1");
  burst.mutable_complaint()->set_category(v1::CATEGORY_EMERGENCY_BURST_PIPE);
  std::string emergency = Submit(burst);
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 6);
  // Every ticket got its own routed event; the emergency's has the earliest stream id.
  std::string first_id, emergency_id;
  for (int s = 0; s < keys::kShardCount; ++s) {
    auto r = redis_->ExecuteSync({"XRANGE", keys::Events(s), "-", "+"});
    for (const auto& item : r->elements) {
      const auto& f = item.elements[1].elements;
      if (f[1].str != "routed") continue;
      const std::string& sid = item.elements[0].str;
      if (first_id.empty() || sid < first_id) first_id = sid;
      if (f[3].str == emergency) emergency_id = sid;
    }
  }
  EXPECT_EQ(emergency_id, first_id);
}

MATCHER_P2(GrpcError, code, text, "") {
  *result_listener << "status " << arg.error_code() << " " << arg.error_message();
  return arg.error_code() == code && arg.error_message().find(text) != std::string::npos;
}

TEST_F(RoutingTest, ATicketWarnedWhileRoutingWasDownIsStillRoutedWhenItComesBack) {
  // Routing is down for 20 minutes; meanwhile the timer engine warns about the unrouted
  // ticket's assign clock (50 % at 15 min), which moves the ticket past version 1.
  auto req = HotlineComplaint("12345-2026-LATE-ROUTE");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);  // the community's business
  std::string id = Submit(req);
  escalation::TimerEngine::Options options;
  options.now_from_clock = true;
  escalation::TimerEngine engine(worker_redis_.get(), &clock_, options);
  clock_.Advance(absl::Minutes(20));
  auto pass = engine.RunOnce();
  ASSERT_THAT(pass, IsOk());
  ASSERT_EQ(pass->events, 1);
  ASSERT_EQ(Get(id).version(), 2);
  // Routing comes back: the ticket is routed (and assigned) at the version it has now.
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(t.responsible_unit_code(), "430923100001");
  EXPECT_EQ(t.version(), 4);  // accepted, warned, routed, assigned
  // And its event is acknowledged: nothing is left pending for the routing group.
  auto pending = redis_->ExecuteSync(
      {"XPENDING", keys::Events(*keys::ShardOfTicketId(id)), keys::kRoutingGroup});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements[0].integer, 0);
}

TEST_F(RoutingTest, AReturnSendsTheLeadShareToTheDeskAndKeepsTheAssistingOnes) {
  auto req = HotlineComplaint("12345-2026-RET-ASSIST");
  req.mutable_complaint()->set_category(v1::CATEGORY_OWNERS_COMMITTEE);  // civil affairs + township
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket routed = Get(id);
  ASSERT_EQ(routed.handlings_size(), 2);
  v1::Ticket returned;
  ASSERT_TRUE(client_->Return(routed, "h-dp-wy1", &returned).ok());
  ASSERT_EQ(returned.handlings_size(), 2);
  EXPECT_EQ(returned.handlings(0).unit_code(), "430923");  // the county dispatch desk
  EXPECT_EQ(returned.handlings(0).role(), v1::HANDLING_ROLE_LEAD);
  EXPECT_EQ(returned.handlings(1).unit_code(), routed.handlings(1).unit_code());
  EXPECT_EQ(returned.handlings(1).department(), v1::DEPARTMENT_TERRITORIAL);
  EXPECT_EQ(returned.handlings(1).role(), v1::HANDLING_ROLE_ASSIST);
}

TEST_F(RoutingTest, AReturnNeedsAReasonThatIsNotJustSpaces) {
  std::string id = Submit(HotlineComplaint("12345-2026-RET-BLANK"));
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket routed = Get(id);
  grpc::ClientContext ctx;
  v1::ReturnTicketRequest ret;
  *ret.mutable_write() = Write(routed, "return-blank", "h-cd-wgy");
  ret.set_reason(" \u3000\u3000 ");  // full-width spaces typed by an input method
  v1::TicketActionResponse returned;
  grpc::Status s = routing_->ReturnTicket(&ctx, ret, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "reason: required");
  EXPECT_EQ(Get(id).version(), routed.version());  // nothing written
}

TEST_F(RoutingTest, AReturnedTicketIsReroutedCountedAgainstTheUnitAndKeepsItsDeadlines) {
  auto req = HotlineComplaint("12345-2026-RET");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket routed = Get(id);
  ASSERT_EQ(routed.status(), v1::TICKET_STATUS_ASSIGNED);

  // The community returns it: not its business.
  clock_.Advance(absl::Minutes(20));
  grpc::ClientContext ctx;
  v1::ReturnTicketRequest ret;
  *ret.mutable_write() = Write(routed, "return-1", "h-cd-wgy");
  ret.set_reason("属于物业服务中心职责，请街道处理");
  ret.set_reason_code(v1::RETURN_REASON_NOT_OUR_DEPARTMENT);
  v1::TicketActionResponse returned;
  ASSERT_TRUE(routing_->ReturnTicket(&ctx, ret, &returned).ok());
  EXPECT_EQ(returned.ticket().status(), v1::TICKET_STATUS_RETURNED);
  EXPECT_EQ(returned.ticket().return_count(), 1);
  EXPECT_TRUE(returned.ticket().needs_manual_routing());
  EXPECT_EQ(returned.ticket().responsible_unit_code(), "430923");  // the county desk
  auto count = redis_->ExecuteSync(
      {"HGET", keys::Returns(*keys::ShardOfTicketId(id)), "430923100001"});
  EXPECT_EQ(count->str, "1");  // counted against the returning community
  auto load = [&](const std::string& handler) {
    return redis_->ExecuteSync({"HGET", keys::HandlerLoad(*keys::ShardOfTicketId(id)), handler})
        ->str;
  };
  EXPECT_EQ(load("h-cd-wgy"), "0");  // the returned ticket no longer counts for its officer

  // The desk reroutes it to the township's property service centre, which assigns it.
  v1::Ticket rerouted;
  ASSERT_TRUE(RouteByHand(returned.ticket(), "430923100", &rerouted).ok());
  EXPECT_EQ(rerouted.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_EQ(rerouted.responsible_unit_code(), "430923100");
  v1::Ticket assigned;
  ASSERT_TRUE(Assign(rerouted, "h-dp-wy1", &assigned).ok());
  EXPECT_EQ(assigned.assignee().id(), "h-dp-wy1");
  EXPECT_EQ(load("h-dp-wy1"), "1");

  // None of this moved a deadline.
  ASSERT_EQ(assigned.clocks_size(), routed.clocks_size());
  for (int i = 0; i < routed.clocks_size(); ++i) {
    EXPECT_EQ(FromProto(assigned.clocks(i).deadline()), FromProto(routed.clocks(i).deadline()));
  }
}

TEST_F(RoutingTest, BadRoutingRequestsNameWhatWasWrong) {
  auto req = HotlineComplaint("12345-2026-BAD");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id), out;

  EXPECT_THAT(Assign(t, "nobody", &out), GrpcError(grpc::StatusCode::NOT_FOUND, "no handler \"nobody\""));
  EXPECT_THAT(Assign(t, "h-df-wgy", &out),  // another community's officer
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, "works for 430902001001"));
  v1::Ticket stale = t;
  stale.set_version(t.version() - 1);
  EXPECT_THAT(Assign(stale, "h-cd-wgy", &out),
              GrpcError(grpc::StatusCode::ABORTED, "expected_version"));

  EXPECT_THAT(RouteByHand(t, "000000", &out, "route-x"),
              GrpcError(grpc::StatusCode::NOT_FOUND, "unit_code"));

  // A retry with the same request id returns the ticket; a different change with it is refused.
  ASSERT_TRUE(Assign(t, "h-cd-wgy", &out, "same-id").ok());
  EXPECT_TRUE(Assign(t, "h-cd-wgy", &out, "same-id").ok());
  EXPECT_THAT(Assign(out, "", &out, "same-id"),
              GrpcError(grpc::StatusCode::ALREADY_EXISTS, "request_id"));
}

TEST_F(RoutingTest, AssigningWithoutANameTakesTheLeastLoadedHandlerOnDuty) {
  // Two complaints nobody can route land at 安化县's desk; both desk handlers are on duty on a
  // Monday morning. The first goes to the first in the roster, the second to the other one,
  // who holds fewer tickets by then.
  std::vector<v1::Ticket> at_desk;
  for (const char* wo : {"12345-2026-DESK1", "12345-2026-DESK2"}) {
    auto req = HotlineComplaint(wo);
    req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
    req.mutable_complaint()->mutable_location()->Clear();
    req.mutable_complaint()->mutable_location()->set_address("无法识别");
    req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_county_code("430923");
    at_desk.push_back(Get(Submit(req)));
  }
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 2);
  std::vector<std::string> assignees;
  for (v1::Ticket& t : at_desk) {
    t = Get(t.ticket_id());
    ASSERT_EQ(t.responsible_unit_code(), "430923");
    v1::Ticket out;
    ASSERT_TRUE(Assign(t, "", &out).ok());
    assignees.push_back(out.assignee().id());
  }
  EXPECT_EQ(assignees, (std::vector<std::string>{"h-ah-desk1", "h-ah-desk2"}));
  // Asking again leaves each ticket where it is: without it, its handler holds no more than
  // the other one.
  for (size_t i = 0; i < at_desk.size(); ++i) {
    v1::Ticket t = Get(at_desk[i].ticket_id()), out;
    ASSERT_TRUE(Assign(t, "", &out, absl::StrCat("again-", i)).ok());
    EXPECT_EQ(out.assignee().id(), assignees[i]);
  }
}

TEST_F(RoutingTest, AnOffDutyHandlerCannotBeAssigned) {
  auto req = HotlineComplaint("12345-2026-OFF");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  req.mutable_complaint()->mutable_location()->Clear();
  req.mutable_complaint()->mutable_location()->set_address("无法识别");
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id), out;
  EXPECT_EQ(t.responsible_unit_code(), "430900");  // no county named: the city's desk
  // Route by hand to 东坪镇 housing; h-dp-wy2 works weekends only, and it is Monday.
  v1::Ticket routed;
  ASSERT_TRUE(RouteByHand(t, "430923100", &routed).ok());
  EXPECT_THAT(Assign(routed, "h-dp-wy2", &out),
              GrpcError(grpc::StatusCode::FAILED_PRECONDITION, "not on duty"));
}

TEST_F(RoutingTest, TheOrganisationCanBeChangedAndTicketsRecordTheVersionTheyWereRoutedUnder) {
  grpc::ClientContext get_ctx;
  v1::GetOrganisationResponse current;
  ASSERT_TRUE(routing_->GetOrganisation(&get_ctx, v1::GetOrganisationRequest(), &current).ok());
  EXPECT_EQ(current.organisation().version(), "sample-2026-12-05");

  // A second property officer joins 城东社区.
  v1::UpdateOrganisationRequest update;
  *update.mutable_organisation() = current.organisation();
  update.mutable_organisation()->set_version("sample-2026-11-23");
  auto* officer = update.mutable_organisation()->add_handlers();
  officer->set_id("h-cd-wgy2");
  officer->set_name("孙婷");
  officer->set_unit_code("430923100001");
  officer->set_department(v1::DEPARTMENT_HOUSING);
  officer->set_on_duty_around_the_clock(true);
  update.set_expected_version("sample-2026-12-05");
  grpc::ClientContext ctx;
  v1::GetOrganisationResponse updated;
  ASSERT_TRUE(routing_->UpdateOrganisation(&ctx, update, &updated).ok());
  EXPECT_EQ(updated.organisation().version(), "sample-2026-11-23");

  // The worker (another "replica") picks it up and routes with it.
  auto req = HotlineComplaint("12345-2026-ORG");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  EXPECT_EQ(Get(id).org_version(), "sample-2026-11-23");

  // The same expected version again is stale; a broken organisation is named; a label is used
  // once.
  grpc::ClientContext stale_ctx;
  EXPECT_THAT(routing_->UpdateOrganisation(&stale_ctx, update, &updated),
              GrpcError(grpc::StatusCode::ABORTED, "expected_version"));
  update.set_expected_version("sample-2026-11-23");
  update.mutable_organisation()->mutable_handlers(0)->set_unit_code("nowhere");
  grpc::ClientContext bad_ctx;
  EXPECT_THAT(routing_->UpdateOrganisation(&bad_ctx, update, &updated),
              GrpcError(grpc::StatusCode::INVALID_ARGUMENT, "organisation.handlers[0].unit_code"));
  *update.mutable_organisation() = current.organisation();  // "sample-2026-12-05" again
  grpc::ClientContext reuse_ctx;
  EXPECT_THAT(routing_->UpdateOrganisation(&reuse_ctx, update, &updated),
              GrpcError(grpc::StatusCode::ALREADY_EXISTS, "organisation.version"));
}

// Where assigning is enough (sla.assign_met_by ASSIGN_MET_BY_ASSIGNMENT), the routing engine's
// own assignment meets the assign clock, and the operators' metrics count it as met.
class AutomaticAssignmentMeetsTheClockTest : public RoutingTest {
 protected:
  AutomaticAssignmentMeetsTheClockTest() {
    extra_config_ = "sla { assign_met_by: ASSIGN_MET_BY_ASSIGNMENT }";
  }
  // The value of one sample of this process's metrics (0 when absent).
  static double Metric(const std::string& sample) {
    for (absl::string_view line : absl::StrSplit(metrics::Scrape(), '\n')) {
      if (absl::ConsumePrefix(&line, sample) && absl::ConsumePrefix(&line, " ")) {
        double v = 0;
        return absl::SimpleAtod(line, &v) ? v : 0;
      }
    }
    return 0;
  }
};

TEST_F(AutomaticAssignmentMeetsTheClockTest, ARoutedAndAutomaticallyAssignedTicketCountsItsAssignClockAsMet) {
  const std::string met = R"(dispatch_clocks_met_total{clock="ASSIGN",on_time="true"})";
  const double met_before = Metric(met);
  const double timed_before = Metric("dispatch_time_to_assign_seconds_count");
  auto req = HotlineComplaint("12345-2026-AUTO-MET");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);  // housing
  std::string id = Submit(req);
  clock_.Advance(absl::Minutes(4));
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(t.assignee().id(), "h-cd-wgy");
  ASSERT_EQ(t.clocks(0).kind(), v1::CLOCK_KIND_ASSIGN);
  EXPECT_EQ(FromProto(t.clocks(0).met_at()), FromProto(t.accepted_at()) + absl::Minutes(4));
  EXPECT_EQ(Metric(met), met_before + 1);
  EXPECT_EQ(Metric("dispatch_time_to_assign_seconds_count"), timed_before + 1);
}

TEST_F(RoutingTest, TheRoutingEngineNamesAHandlerForEachAssistingShareWhoMustSignForIt) {
  // A lift: 东坪镇's market-supervision office leads, 城东社区's property officer assists.
  std::string id = Submit(HotlineComplaint("12345-2026-ASSIST"));
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id);
  ASSERT_EQ(t.handlings_size(), 2);
  EXPECT_EQ(t.handlings(0).assignee().id(), "h-dp-sj1");
  EXPECT_EQ(t.handlings(1).unit_code(), "430923100001");
  EXPECT_EQ(t.handlings(1).assignee().id(), "h-cd-wgy");
  EXPECT_EQ(t.handlings(1).state(), v1::SHARE_STATE_ASSIGNED);
  std::vector<v1::TicketEvent> assists = Events("assist_assigned");
  ASSERT_EQ(assists.size(), 1u);
  EXPECT_TRUE(assists[0].assist_assigned().automatic());
  EXPECT_EQ(assists[0].actor().id(), "routing");
}

TEST_F(RoutingTest, AnAcceptedEventRoutingCannotDecodeIsLeftToTheGraceWhichPutsItOnItsDesk) {
  auto req = HotlineComplaint("12345-2026-BROKEN");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  std::string id = Submit(req);
  int shard = *keys::ShardOfTicketId(id);
  // The routing group never sees the real TicketAccepted; instead it finds one it cannot
  // decode for this ticket.
  auto last = redis_->ExecuteSync({"XREVRANGE", keys::Events(shard), "+", "-", "COUNT", "1"});
  ASSERT_THAT(last, IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"XGROUP", "CREATE", keys::Events(shard), keys::kRoutingGroup,
                                   last->elements[0].elements[0].str, "MKSTREAM"}),
              IsOk());
  ASSERT_THAT(redis_->ExecuteSync({"XADD", keys::Events(shard), "*", "type", "accepted",
                                   "ticket", id, "pc", "\xff\xfe not a protobuf"}),
              IsOk());
  auto worker = NewWorker();
  EXPECT_EQ(Drain(*worker), 0);  // acknowledged, routed nowhere
  auto pending = redis_->ExecuteSync({"XPENDING", keys::Events(shard), keys::kRoutingGroup});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements[0].integer, 0);
  EXPECT_EQ(Get(id).status(), v1::TICKET_STATUS_ACCEPTED);
  // At the end of the routing grace (25 minutes here) the timer engine puts it on its desk.
  escalation::TimerEngine::Options options;
  options.now_from_clock = true;
  escalation::TimerEngine engine(worker_redis_.get(), &clock_, options);
  clock_.Advance(absl::Minutes(25));
  ASSERT_THAT(engine.RunOnce(), IsOk());
  v1::Ticket t = Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_EQ(t.responsible_unit_code(), "430923");  // 翠苑一区 is in 安化县
  EXPECT_TRUE(t.needs_manual_routing());
}

TEST_F(RoutingTest, AHandlerWithNoShiftsIsNeverPickedButCanBeNamedAtAnyTime) {
  grpc::ClientContext get_ctx;
  v1::GetOrganisationResponse current;
  ASSERT_TRUE(routing_->GetOrganisation(&get_ctx, v1::GetOrganisationRequest(), &current).ok());
  v1::UpdateOrganisationRequest update;
  *update.mutable_organisation() = current.organisation();
  update.mutable_organisation()->set_version("sample-2026-11-25");
  auto* manual = update.mutable_organisation()->add_handlers();
  manual->set_id("h-cd-manual");
  manual->set_name("赵敏");
  manual->set_unit_code("430923100001");
  manual->set_department(v1::DEPARTMENT_HOUSING);
  update.set_expected_version(current.organisation().version());
  grpc::ClientContext ctx;
  v1::GetOrganisationResponse updated;
  ASSERT_TRUE(routing_->UpdateOrganisation(&ctx, update, &updated).ok());

  auto req = HotlineComplaint("12345-2026-MANUAL");
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  clock_.Set(testing::Shanghai(2026, 11, 29, 3, 0));  // Sunday 3 a.m.: nobody on duty
  std::string id = Submit(req);
  auto worker = NewWorker();
  ASSERT_EQ(Drain(*worker), 1);
  v1::Ticket t = Get(id), out;
  EXPECT_FALSE(t.has_assignee());  // never auto-assigned
  ASSERT_TRUE(Assign(t, "h-cd-manual", &out).ok());
  EXPECT_EQ(out.assignee().id(), "h-cd-manual");
}

}  // namespace
}  // namespace dispatch::routing
