// "30分钟责任到人" means a named person took the ticket (issue 13, point 2): the assignee signs for
// it (签收), which meets the assign clock; an assignment nobody signs for lapses back to the
// queue while the clock keeps running. ASSIGN_MET_BY_ASSIGNMENT keeps the old rule.
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SignForTest : public TimerEngineTest {
 protected:
  // A dispatcher names the officer of 城东社区.
  v1::Ticket AssignOfficerAt(absl::Duration after_acceptance, const std::string& id) {
    clock_.Set(accepted_ + after_acceptance);
    v1::Ticket t;
    EXPECT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t).ok());
    return t;
  }
  int64_t Load(const std::string& id, const std::string& handler) {
    auto r = stack_.redis().ExecuteSync(
        {"HGET", keys::HandlerLoad(*keys::ShardOfTicketId(id)), handler});
    return r.ok() && !r->is_nil() ? std::stoll(r->str) : 0;
  }
};

TEST_F(SignForTest, AnAssignmentByADispatcherDoesNotMeetTheClockSigningForItDoes) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = AssignOfficerAt(absl::Minutes(5), id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_FALSE(t.clocks(0).has_met_at());
  EXPECT_EQ(FromProto(t.sign_for_deadline()), accepted_ + absl::Minutes(15));
  ExpectTimerMatchesRule(id);
  clock_.Set(accepted_ + absl::Minutes(12));
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_SIGNED_FOR);
  EXPECT_EQ(FromProto(t.clocks(0).met_at()), accepted_ + absl::Minutes(12));
  ExpectTimerMatchesRule(id);
  EXPECT_EQ(client_->Events(id).back().signed_for().handler().id(), "h-cd-wgy");
}

TEST_F(SignForTest, ATicketSignedForAt31MinutesRecordsTheBreachAgainstTheUnitThatHeldIt) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = AssignOfficerAt(absl::Minutes(25), id);
  FireAt(accepted_ + absl::Minutes(30));  // assigned, not signed for: the clock is missed
  clock_.Set(accepted_ + absl::Minutes(31));
  ASSERT_TRUE(client_->SignFor(client_->Get(id), "h-cd-wgy", &t).ok());
  EXPECT_EQ(FromProto(t.clocks(0).met_at()), accepted_ + absl::Minutes(31));
  EXPECT_TRUE(t.clocks(0).breached());
  std::vector<v1::TicketEvent> events = client_->Events(id);
  const v1::TicketEvent* breach = nullptr;
  for (const v1::TicketEvent& e : events) {
    if (e.has_breached()) breach = &e;
  }
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->breached().clock(), v1::CLOCK_KIND_ASSIGN);
  EXPECT_EQ(breach->breached().unit_code(), kCommunity);
  EXPECT_EQ(breach->breached().tier(), v1::TIER_COMMUNITY);
}

TEST_F(SignForTest, SignedForLateWithNobodyWatchingTheBreachIsStillTheCommunitys) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = AssignOfficerAt(absl::Minutes(25), id);
  clock_.Set(accepted_ + absl::Minutes(31));  // the engine did not run in between
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
  FireAt(accepted_ + absl::Minutes(31));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("31 breached c1 met late"));
  EXPECT_EQ(client_->Events(id).back().breached().unit_code(), kCommunity);
}

TEST_F(SignForTest, AnAssignmentNobodySignsForGoesBackToTheQueueAndTheClockKeepsRunning) {
  std::string id = SubmitAndRoute();
  AssignOfficerAt(absl::Minutes(5), id);
  EXPECT_EQ(Load(id, "h-cd-wgy"), 1);
  FireAt(accepted_ + absl::Minutes(15));  // ten minutes without a signature
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_FALSE(t.has_assignee());
  EXPECT_FALSE(t.has_sign_for_deadline());
  EXPECT_EQ(Load(id, "h-cd-wgy"), 0);
  v1::TicketEvent lapsed;
  for (const v1::TicketEvent& e : client_->Events(id)) {
    if (e.has_sign_for_lapsed()) lapsed = e;
  }
  EXPECT_EQ(lapsed.sign_for_lapsed().assignee().id(), "h-cd-wgy");
  EXPECT_EQ(FromProto(lapsed.sign_for_lapsed().sign_for_deadline()),
            accepted_ + absl::Minutes(15));
  ExpectTimerMatchesRule(id);
  // The clock never stopped: nobody took it, so it is missed at 30 minutes.
  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("15 warned c1 50%", "30 breached c1",
                                                   "30 escalated 1->2"));
}

TEST_F(SignForTest, OnlyTheAssigneeSignsAndTheCaseWaitsForTheSignature) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = AssignOfficerAt(absl::Minutes(5), id), out;
  grpc::Status s = client_->SignFor(t, "h-cx-wgy", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("assigned to h-cd-wgy"));
  s = client_->Contact(t, "h-cd-wgy", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("has not signed for the ticket yet"));
  EXPECT_EQ(client_->Get(id).version(), t.version());  // nothing written
}

TEST_F(SignForTest, AHandlerWhoTakesTheTicketHasSignedForIt) {
  std::string id = SubmitAndRoute();
  clock_.Set(accepted_ + absl::Minutes(7));
  v1::Ticket t;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_SIGNED_FOR);
  EXPECT_EQ(FromProto(t.clocks(0).met_at()), accepted_ + absl::Minutes(7));
  EXPECT_FALSE(t.has_sign_for_deadline());
}

TEST_F(SignForTest, NamingTheHandlerWhoSignedAgainLeavesTheTicketSignedFor) {
  std::string id = SubmitAndRoute();
  clock_.Set(accepted_ + absl::Minutes(5));
  v1::Ticket t;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &t).ok());
  // A dispatcher asks again for the least loaded officer: the same one, who keeps it.
  ASSERT_TRUE(client_->Assign(t, "", &t, "assign-again").ok());
  EXPECT_EQ(t.assignee().id(), "h-cd-wgy");
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_SIGNED_FOR);
  EXPECT_FALSE(t.has_sign_for_deadline());
}

TEST_F(SignForTest, AMalformedSignForDeadlineIsDroppedNotTakenAsALapse) {
  std::string id = SubmitAndRoute();
  AssignOfficerAt(absl::Minutes(5), id);
  const std::string key = keys::Ticket(*keys::ShardOfTicketId(id), id);
  ASSERT_THAT(stack_.redis().ExecuteSync({"HSET", key, "sfd", "soon"}), IsOk());
  FireAt(accepted_ + absl::Minutes(15));  // the warning wakes it
  auto sfd = stack_.redis().ExecuteSync({"HEXISTS", key, "sfd"});
  ASSERT_THAT(sfd, IsOk());
  EXPECT_EQ(sfd->integer, 0);
  EXPECT_EQ(client_->Get(id).assignee().id(), "h-cd-wgy");  // not lapsed
}

class AssignmentMeetsTheClockTest : public TimerEngineTest {
 protected:
  void SetUp() override { Start("sla { assign_met_by: ASSIGN_MET_BY_ASSIGNMENT }"); }
};

TEST_F(AssignmentMeetsTheClockTest, AnAssignmentMeetsTheClockAsBeforeSignForExisted) {
  std::string id = SubmitAndRoute();
  clock_.Set(accepted_ + absl::Minutes(5));
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t).ok());
  EXPECT_EQ(t.assign_met_by(), v1::ASSIGN_MET_BY_ASSIGNMENT);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(FromProto(t.clocks(0).met_at()), accepted_ + absl::Minutes(5));
  EXPECT_FALSE(t.has_sign_for_deadline());
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());  // no signature needed
}

}  // namespace
}  // namespace dispatch::escalation
