// Co-handling (协办, issue 13, point 4): an assisting unit gets a named handler, who signs for
// the share and records its part; the lead unit (首接负责) sees every share's state, and resolving
// while a share is still open needs an explicit override with a reason.
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::HasSubstr;

constexpr char kTownship[] = "430923100";  // 东坪镇: market supervision office and housing

class CoHandlingTest : public TimerEngineTest {
 protected:
  // A lift complaint routed by hand to 东坪镇's market-supervision office, with its housing
  // centre assisting; the office's handler takes the lead.
  v1::Ticket RoutedWithAnAssist() {
    v1::TicketActionResponse resp;
    EXPECT_TRUE(RouteToTheOffice("12345-CO-1", {v1::DEPARTMENT_HOUSING}, &resp).ok());
    v1::Ticket t;
    EXPECT_TRUE(client_->Take(resp.ticket(), "h-dp-sj1", &t).ok());
    return t;
  }
  // A new complaint routed by a dispatcher to the office, with these assisting departments.
  grpc::Status RouteToTheOffice(const std::string& work_order,
                                const std::vector<v1::Department>& assisting,
                                v1::TicketActionResponse* resp) {
    std::string id = client_->Submit(HotlineComplaint(work_order));
    grpc::ClientContext ctx;
    v1::RouteTicketRequest req;
    *req.mutable_write() = testing::TestClient::Write(client_->Get(id), "route-co", "desk-1");
    req.set_unit_code(kTownship);
    req.set_department(v1::DEPARTMENT_MARKET_SUPERVISION);
    for (v1::Department d : assisting) req.add_assisting_departments(d);
    return client_->routing().RouteTicket(&ctx, req, resp);
  }
  static v1::ShareRef Housing() {
    v1::ShareRef share;
    share.set_unit_code(kTownship);
    share.set_department(v1::DEPARTMENT_HOUSING);
    return share;
  }
  grpc::Status AssignShare(const v1::Ticket& t, const std::string& handler, v1::Ticket* out,
                           const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::AssignTicketRequest req;
    *req.mutable_write() = testing::TestClient::Write(
        t, request_id.empty() ? "assign-share-" + handler : request_id, "dispatcher-1");
    req.set_handler_id(handler);
    *req.mutable_share() = Housing();
    v1::TicketActionResponse resp;
    grpc::Status s = client_->routing().AssignTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }
  grpc::Status RecordPart(const v1::Ticket& t, const std::string& handler, v1::Ticket* out) {
    grpc::ClientContext ctx;
    v1::RecordAssistResultRequest req;
    *req.mutable_write() = testing::TestClient::Write(t, "part-1", handler);
    *req.mutable_share() = Housing();
    req.set_result("物业服务中心已督促物业公司落实电梯维保");
    v1::TicketActionResponse resp;
    grpc::Status s = client_->routing().RecordAssistResult(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }
  grpc::Status Resolve(const v1::Ticket& t, bool override, const std::string& reason,
                       v1::Ticket* out) {
    grpc::ClientContext ctx;
    v1::ResolveTicketRequest req;
    *req.mutable_write() = testing::TestClient::Write(t, "resolve-co", "h-dp-sj1");
    req.set_result("电梯已修复运行");
    req.set_feedback_to_complainant("已电话告知业主");
    req.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
    req.set_override_open_shares(override);
    req.set_override_reason(reason);
    req.set_substantiation(v1::SUBSTANTIATION_SUBSTANTIATED);
    v1::TicketActionResponse resp;
    grpc::Status s = client_->routing().ResolveTicket(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }
};

TEST_F(CoHandlingTest, TheAssistingUnitsHandlerSignsForItsShareAndRecordsItsPart) {
  v1::Ticket t = RoutedWithAnAssist();
  ASSERT_EQ(t.handlings_size(), 2);
  EXPECT_EQ(t.handlings(0).state(), v1::SHARE_STATE_SIGNED_FOR);  // the lead took it
  EXPECT_EQ(t.handlings(1).state(), v1::SHARE_STATE_OPEN);
  clock_.Set(accepted_ + absl::Minutes(20));
  ASSERT_TRUE(AssignShare(t, "h-dp-wy1", &t).ok());
  EXPECT_EQ(t.handlings(1).state(), v1::SHARE_STATE_ASSIGNED);
  EXPECT_EQ(t.handlings(1).assignee().id(), "h-dp-wy1");
  EXPECT_EQ(t.assignee().id(), "h-dp-sj1");  // the lead's share is untouched
  const v1::ShareRef share = Housing();
  clock_.Set(accepted_ + absl::Minutes(25));
  ASSERT_TRUE(client_->SignFor(t, "h-dp-wy1", &t, "sign-share", &share).ok());
  EXPECT_EQ(t.handlings(1).state(), v1::SHARE_STATE_SIGNED_FOR);
  EXPECT_EQ(FromProto(t.handlings(1).signed_for_at()), accepted_ + absl::Minutes(25));
  clock_.Set(accepted_ + absl::Hours(2));
  ASSERT_TRUE(RecordPart(t, "h-dp-wy1", &t).ok());
  EXPECT_EQ(t.handlings(1).state(), v1::SHARE_STATE_DONE);
  EXPECT_EQ(FromProto(t.handlings(1).completed_at()), accepted_ + absl::Hours(2));
  // Every share done: the lead resolves without an override.
  ASSERT_TRUE(Resolve(t, false, "", &t).ok());
  EXPECT_EQ(t.handlings(0).state(), v1::SHARE_STATE_DONE);
  std::vector<std::string> shares;
  for (const v1::TicketEvent& e : client_->History(t.ticket_id())) {
    if (e.has_assist_assigned()) shares.push_back("assigned " + e.assist_assigned().assignee().id());
    if (e.has_assist_signed_for()) shares.push_back("signed " + e.actor().id());
    if (e.has_assist_completed()) shares.push_back("done: " + e.assist_completed().result());
  }
  EXPECT_THAT(shares, ::testing::ElementsAre("assigned h-dp-wy1", "signed h-dp-wy1",
                                             "done: 物业服务中心已督促物业公司落实电梯维保"));
}

TEST_F(CoHandlingTest, ResolvingWhileAShareIsOpenNeedsAnOverrideWithAReason) {
  v1::Ticket t = RoutedWithAnAssist(), out;
  grpc::Status s = Resolve(t, false, "", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("assisting share of unit 430923100 (DEPARTMENT_HOUSING)"));
  s = Resolve(t, true, "  ", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("override_reason: required"));
  EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version());  // nothing written
  ASSERT_TRUE(Resolve(t, true, "协办单位未回复，首接单位已现场处置完毕", &out).ok());
  EXPECT_EQ(out.status(), v1::TICKET_STATUS_RESOLVED);
  const v1::TicketResolved resolved = client_->Events(t.ticket_id()).back().resolved();
  ASSERT_EQ(resolved.overridden_shares_size(), 1);
  EXPECT_EQ(resolved.overridden_shares(0).department(), v1::DEPARTMENT_HOUSING);
  EXPECT_EQ(resolved.override_reason(), "协办单位未回复，首接单位已现场处置完毕");
}

TEST_F(CoHandlingTest, OnlyTheSharesHandlerSignsAndRecordsAndOnlyOnceSigned) {
  v1::Ticket t = RoutedWithAnAssist(), out;
  ASSERT_TRUE(AssignShare(t, "h-dp-wy1", &t).ok());
  grpc::Status s = RecordPart(t, "h-dp-wy1", &out);  // not signed for yet
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("signs for it first"));
  const v1::ShareRef share = Housing();
  s = client_->SignFor(t, "h-dp-sj1", &out, "sign-wrong", &share);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("assigned to h-dp-wy1"));
  v1::ShareRef missing = share;
  missing.set_department(v1::DEPARTMENT_POLICE);
  s = client_->SignFor(t, "h-dp-wy1", &out, "sign-missing", &missing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no assisting share"));
  // A handler of another department cannot be named for the share.
  s = AssignShare(t, "h-dp-sj1", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("assisting share is 430923100 (DEPARTMENT_HOUSING)"));
}

TEST_F(CoHandlingTest, ADoneShareIsNotReassignedAndADepartmentAssistsOnce) {
  v1::Ticket t = RoutedWithAnAssist(), out;
  ASSERT_TRUE(AssignShare(t, "h-dp-wy1", &t).ok());
  const v1::ShareRef share = Housing();
  ASSERT_TRUE(client_->SignFor(t, "h-dp-wy1", &t, "sign-share", &share).ok());
  ASSERT_TRUE(RecordPart(t, "h-dp-wy1", &t).ok());
  grpc::Status s = AssignShare(t, "h-dp-wy1", &out, "assign-share-again");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("done"));

  // A route naming one assisting department twice (or the lead's) is refused.
  v1::TicketActionResponse resp;
  s = RouteToTheOffice("12345-CO-2", {v1::DEPARTMENT_HOUSING, v1::DEPARTMENT_HOUSING}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("assisting_departments"));
}

}  // namespace
}  // namespace dispatch::escalation
