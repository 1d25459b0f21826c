// Revisit findings (issue 13, point 5): a false closure (虚假办结) found on a site check reopens
// the ticket even when the complainant was not reached; the revisit ledger (回访台账) is listed
// per unit and month.
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RevisitLedgerTest : public TimerEngineTest {
 protected:
  // A ticket of `community`, taken and resolved a day after acceptance.
  v1::Ticket Resolved(const std::string& work_order, const std::string& community) {
    std::string id = client_->Submit(HotlineComplaint(work_order));
    v1::Ticket t;
    EXPECT_TRUE(client_->RouteByHand(client_->Get(id), community, &t).ok());
    EXPECT_TRUE(client_->Take(t, community == kCommunity ? "h-cd-wgy" : "h-df-wgy", &t).ok());
    EXPECT_TRUE(client_->Resolve(t, t.assignee().id(), &t).ok());
    return t;
  }
  grpc::Status SiteCheck(const v1::Ticket& t, bool false_closure, v1::Ticket* out,
                         v1::RevisitMethod method = v1::REVISIT_METHOD_SITE_CHECK) {
    grpc::ClientContext ctx;
    v1::RecordRevisitRequest req;
    *req.mutable_write() = testing::TestClient::Write(t, "site-check", "h-dp-wy1");
    req.set_tier(v1::TIER_TOWNSHIP);
    req.set_method(method);
    req.set_reached(false);  // nobody at home
    req.set_false_closure(false_closure);
    req.set_notes("现场查看：电梯仍停运");
    v1::TicketActionResponse resp;
    grpc::Status s = client_->escalation().RecordRevisit(&ctx, req, &resp);
    *out = resp.ticket();
    return s;
  }
  absl::StatusOr<v1::ListRevisitsResponse> List(const v1::ListRevisitsRequest& req) {
    grpc::ClientContext ctx;
    v1::ListRevisitsResponse resp;
    grpc::Status s = client_->escalation().ListRevisits(&ctx, req, &resp);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return resp;
  }
};

TEST_F(RevisitLedgerTest, AFalseClosureFoundOnASiteCheckReopensEvenWhenNobodyWasReached) {
  v1::Ticket t = Resolved("12345-RV-1", kCommunity), out;
  clock_.Set(accepted_ + absl::Hours(20));
  ASSERT_TRUE(SiteCheck(t, /*false_closure=*/true, &out).ok());
  EXPECT_EQ(out.status(), v1::TICKET_STATUS_ROUTED);  // 重新办理
  EXPECT_EQ(out.redo_count(), 1);
  EXPECT_EQ(out.revisit_attempts(), 0);  // not counted as an unanswered call
  std::vector<v1::TicketEvent> events = client_->Events(t.ticket_id());
  const v1::RevisitRecorded& r = events[events.size() - 2].revisited();
  EXPECT_TRUE(r.false_closure());
  EXPECT_FALSE(r.reached());
  EXPECT_EQ(r.method(), v1::REVISIT_METHOD_SITE_CHECK);
  EXPECT_EQ(events.back().reopened().redo_count(), 1);
}

TEST_F(RevisitLedgerTest, AnUnansweredPhoneCallCannotFindAFalseClosure) {
  v1::Ticket t = Resolved("12345-RV-5", kCommunity), out;
  grpc::Status s = SiteCheck(t, /*false_closure=*/true, &out, v1::REVISIT_METHOD_PHONE);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("only a site check"));
  EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version());  // nothing written
}

TEST_F(RevisitLedgerTest, ASiteCheckThatFindsNothingWrongAndReachesNobodyIsAnUnansweredCall) {
  v1::Ticket t = Resolved("12345-RV-2", kCommunity), out;
  ASSERT_TRUE(SiteCheck(t, /*false_closure=*/false, &out).ok());
  EXPECT_EQ(out.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(out.revisit_attempts(), 1);
}

TEST_F(RevisitLedgerTest, TheLedgerIsListedPerUnitAndMonth) {
  // November: one revisit in 安化县 (城东社区), one in 资阳区 (东风社区); December: another in
  // 安化县.
  v1::Ticket ah = Resolved("12345-RV-3", kCommunity), zy = Resolved("12345-RV-4", "430902001001");
  clock_.Set(Shanghai(2026, 11, 30, 23, 59));
  ASSERT_TRUE(client_->Revisit(ah, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &ah,
                               "rv-ah-1")
                  .ok());
  ASSERT_TRUE(client_->Revisit(zy, "h-dmt-wy1", v1::TIER_TOWNSHIP,
                               v1::SATISFACTION_DISSATISFIED, &zy, "rv-zy-1")
                  .ok());
  clock_.Set(Shanghai(2026, 12, 1, 0, 1));  // a December morning in Shanghai (still November UTC)
  ASSERT_TRUE(client_->Revisit(ah, "h-cd-wgy", v1::TIER_COMMUNITY, v1::SATISFACTION_SATISFIED,
                               &ah, "rv-ah-2")
                  .ok());

  v1::ListRevisitsRequest november;
  november.set_unit_code("430923");
  november.set_month("2026-11");
  auto page = List(november);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->revisits_size(), 1);
  EXPECT_EQ(page->revisits(0).ticket_id(), ah.ticket_id());
  EXPECT_EQ(page->revisits(0).unit_code(), kCommunity);
  EXPECT_EQ(page->revisits(0).revisited_by().id(), "h-dp-wy1");
  EXPECT_EQ(page->revisits(0).revisit().satisfaction(), v1::SATISFACTION_SATISFIED);

  v1::ListRevisitsRequest december = november;
  december.set_month("2026-12");
  page = List(december);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->revisits_size(), 1);
  EXPECT_EQ(page->revisits(0).revisited_by().id(), "h-cd-wgy");

  v1::ListRevisitsRequest city;  // the whole city in November, newest first
  city.set_unit_code("430900");
  city.set_month("2026-11");
  page = List(city);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->revisits_size(), 2);

  v1::ListRevisitsRequest bad = november;
  bad.set_month("2026-13");
  EXPECT_THAT(List(bad), ::dispatch::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                       HasSubstr("month")));
  bad = november;
  bad.set_unit_code("999999");
  EXPECT_THAT(List(bad), ::dispatch::testing::StatusIs(absl::StatusCode::kNotFound,
                                                       HasSubstr("no unit \"999999\"")));
}

}  // namespace
}  // namespace dispatch::escalation
