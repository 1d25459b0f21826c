// Case handling end to end through gRPC against a real redis-server: contact, resolve, the
// revisit ledger, reopening (重新办理) with fresh clocks, closing, and the history of it all;
// illegal transitions and concurrent writers.
#include <thread>

#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CaseHandlingTest : public TimerEngineTest {
 protected:
  // What happened, step by step: "<type> by <actor>".
  std::vector<std::string> Steps(const std::string& id) {
    std::vector<std::string> out;
    for (const v1::TicketEvent& e : client_->History(id, /*page_size=*/3)) {
      std::string type = e.GetDescriptor()
                             ->FindFieldByNumber(e.GetReflection()->GetOneofFieldDescriptor(
                                                     e, e.GetDescriptor()->oneof_decl(0))
                                                     ->number())
                             ->name();
      out.push_back(absl::StrCat(type, " by ", e.actor().id()));
    }
    return out;
  }
  const v1::SlaClock& ClockOf(const v1::Ticket& t, v1::ClockKind kind) {
    for (const v1::SlaClock& c : t.clocks()) {
      if (c.kind() == kind) return c;
    }
    static const v1::SlaClock none;
    return none;
  }
};

TEST_F(CaseHandlingTest, ADissatisfiedRevisitReopensTheCaseWhichIsThenResolvedAndClosed) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  clock_.Set(accepted_ + absl::Minutes(10));
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  clock_.Set(accepted_ + absl::Hours(1));
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CONTACTED);
  EXPECT_EQ(FromProto(ClockOf(t, v1::CLOCK_KIND_PRELIMINARY).met_at()), accepted_ + absl::Hours(1));
  clock_.Set(accepted_ + absl::Hours(30));
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(FromProto(ClockOf(t, v1::CLOCK_KIND_RESOLVE).met_at()), accepted_ + absl::Hours(30));
  // The revisit clock runs from the resolution.
  const v1::SlaClock& revisit = ClockOf(t, v1::CLOCK_KIND_REVISIT);
  EXPECT_EQ(FromProto(revisit.started_at()), accepted_ + absl::Hours(30));
  EXPECT_FALSE(revisit.has_met_at());
  ExpectTimerMatchesRule(id);

  // The township calls back: the complainant is not satisfied. The case is handled again.
  const absl::Time reopened_at = accepted_ + absl::Hours(50);
  clock_.Set(reopened_at);
  ASSERT_TRUE(client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_DISSATISFIED, &t,
                               "revisit-1")
                  .ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_EQ(t.responsible_unit_code(), kCommunity);
  EXPECT_EQ(t.redo_count(), 1);
  EXPECT_FALSE(t.has_assignee());
  EXPECT_EQ(t.supervision_tier(), v1::TIER_COMMUNITY);  // the first reopen stays at its tier
  for (v1::ClockKind k : {v1::CLOCK_KIND_ASSIGN, v1::CLOCK_KIND_PRELIMINARY,
                          v1::CLOCK_KIND_RESOLVE}) {
    const v1::SlaClock& c = ClockOf(t, k);
    EXPECT_EQ(c.round(), 2) << k;
    EXPECT_EQ(FromProto(c.started_at()), reopened_at) << k;
    EXPECT_FALSE(c.has_met_at()) << k;
  }
  EXPECT_EQ(FromProto(ClockOf(t, v1::CLOCK_KIND_ASSIGN).deadline()),
            reopened_at + absl::Minutes(30));
  EXPECT_EQ(FromProto(ClockOf(t, v1::CLOCK_KIND_RESOLVE).deadline()), reopened_at + absl::Hours(72));
  ExpectTimerMatchesRule(id);

  clock_.Set(reopened_at + absl::Minutes(5));
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t, "assign-2").ok());
  clock_.Set(reopened_at + absl::Hours(20));
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t, "resolve-2").ok());
  clock_.Set(reopened_at + absl::Hours(40));
  ASSERT_TRUE(client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t,
                               "revisit-2")
                  .ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(t.redo_count(), 1);
  EXPECT_TRUE(ClockOf(t, v1::CLOCK_KIND_REVISIT).has_met_at());
  ExpectTimerMatchesRule(id);  // nothing left to wake for

  EXPECT_THAT(Steps(id),
              ElementsAre("accepted by operator", "routed by desk-1",
                          "assigned by h-cd-wgy", "signed_for by h-cd-wgy",
                          "contacted by h-cd-wgy", "resolved by h-cd-wgy",
                          "revisited by h-dp-wy1", "reopened by h-dp-wy1",
                          "assigned by h-cd-wgy", "signed_for by h-cd-wgy",
                          "resolved by h-cd-wgy", "revisited by h-dp-wy1", "closed by h-dp-wy1"));
  std::vector<v1::TicketEvent> history = client_->History(id);
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].ticket_version(), static_cast<int64_t>(i + 1));
  }
  EXPECT_EQ(history.back().closed().reason(), v1::CLOSURE_REASON_SATISFIED);
  EXPECT_EQ(history[6].revisited().satisfaction(), v1::SATISFACTION_DISSATISFIED);
  EXPECT_EQ(history[6].revisited().tier(), v1::TIER_TOWNSHIP);
  EXPECT_EQ(history[6].revisited().unit_code(), kCommunity);  // whose handling was revisited
}

TEST_F(CaseHandlingTest, TheSecondReopenPutsTheTicketUnderSupervisionOneTierUp) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  for (int round = 1; round <= 2; ++round) {
    std::string n = std::to_string(round);
    ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t, "assign-" + n).ok());
    ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t, "resolve-" + n).ok());
    ASSERT_TRUE(client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t,
                                 "revisit-" + n, /*false_closure=*/true)
                    .ok());
    EXPECT_EQ(t.redo_count(), round);
  }
  EXPECT_EQ(t.supervision_tier(), v1::TIER_TOWNSHIP);
  const v1::SlaClock& supervision = ClockOf(t, v1::CLOCK_KIND_SUPERVISION);
  EXPECT_EQ(FromProto(supervision.deadline()), accepted_ + absl::Hours(24));
  // The raise counts like an escalation: a return and a route back to the community keep it.
  EXPECT_EQ(t.raised_tier(), v1::TIER_TOWNSHIP);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t, "assign-3").ok());
  ASSERT_TRUE(client_->Return(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->RouteByHand(t, kCommunity, &t, "route-2").ok());
  EXPECT_EQ(t.supervision_tier(), v1::TIER_TOWNSHIP);
}

TEST_F(CaseHandlingTest, ARevisitNotMadeWithinItsTimeIsABreachLikeAnyOtherClock) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  clock_.Set(accepted_ + absl::Hours(2));
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  // Nobody calls back within the revisit time (3 days by default).
  const absl::Time due = accepted_ + absl::Hours(2) + absl::Hours(72);
  FireAt(due - absl::Milliseconds(1));
  for (const std::string& line : Timeline(id, accepted_)) {
    EXPECT_EQ(line.find("breached c4"), std::string::npos) << line;
  }
  FireAt(due);
  std::vector<std::string> timeline = Timeline(id, accepted_);
  EXPECT_NE(std::find(timeline.begin(), timeline.end(),
                      absl::StrCat(absl::ToInt64Minutes(due - accepted_), " breached c4")),
            timeline.end());
  t = client_->Get(id);
  EXPECT_EQ(t.supervision_tier(), v1::TIER_TOWNSHIP);
  // The late revisit is made and the complainant is satisfied: the ticket closes, and neither
  // the revisit clock nor the township's supervision clock keeps running.
  ASSERT_TRUE(
      client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t, "late")
          .ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_TRUE(ClockOf(t, v1::CLOCK_KIND_REVISIT).has_met_at());
  EXPECT_TRUE(ClockOf(t, v1::CLOCK_KIND_SUPERVISION).has_met_at());
  ExpectTimerMatchesRule(id);
  EXPECT_EQ(FireAt(due + absl::Hours(100)), 0);
}

TEST_F(CaseHandlingTest, TheSweepReArmsAClosedTicketWhoseLateRevisitIsNotRecordedYet) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  clock_.Set(accepted_ + absl::Hours(2));
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  // The revisit is made an hour after its deadline and closes the ticket, before the engine
  // has run; then the ticket's timer entry is lost (say, an AOF tail after a Redis crash).
  const absl::Time late = accepted_ + absl::Hours(2) + absl::Hours(72) + absl::Hours(1);
  clock_.Set(late);
  ASSERT_TRUE(
      client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED, &t, "late")
          .ok());
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  const int shard = *keys::ShardOfTicketId(id);
  ASSERT_THAT(stack_.redis().ExecuteSync({"ZREM", keys::Timers(shard), id}), IsOk());
  auto swept = engine_->Sweep();
  ASSERT_THAT(swept, IsOk());
  EXPECT_EQ(*swept, 1);
  ExpectTimerMatchesRule(id);
  // The engine then records the late revisit's breach, and the closed ticket loses its timer.
  FireAt(late);
  std::vector<std::string> timeline = Timeline(id, accepted_);
  EXPECT_NE(std::find(timeline.begin(), timeline.end(),
                      absl::StrCat(absl::ToInt64Minutes(late - accepted_), " breached c4 met late")),
            timeline.end());
  EXPECT_EQ(*engine_->Sweep(), 0);  // nothing left to wake a closed ticket for
}

TEST_F(CaseHandlingTest, AReopenWaitsUntilALateResolutionsBreachIsRecorded) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  // Resolved an hour after the 3-day deadline; the engine has not run since.
  const absl::Time late = accepted_ + absl::Hours(73);
  clock_.Set(late);
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  // A dissatisfied revisit at once would restart the resolve clock and lose that breach.
  v1::Ticket out;
  grpc::Status early = client_->Revisit(t, "h-dp-wy1", v1::TIER_TOWNSHIP,
                                        v1::SATISFACTION_DISSATISFIED, &out, "revisit-1");
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), HasSubstr("breach is not recorded yet"));
  // Once the engine has recorded it, the reopen goes through and the breach stays.
  FireAt(late);
  ASSERT_TRUE(client_->Revisit(client_->Get(id), "h-dp-wy1", v1::TIER_TOWNSHIP,
                               v1::SATISFACTION_DISSATISFIED, &out, "revisit-2")
                  .ok());
  EXPECT_EQ(out.status(), v1::TICKET_STATUS_ROUTED);
  std::vector<std::string> timeline = Timeline(id, accepted_);
  EXPECT_NE(std::find(timeline.begin(), timeline.end(),
                      absl::StrCat(absl::ToInt64Minutes(late - accepted_), " breached c3 met late")),
            timeline.end());
}

TEST_F(CaseHandlingTest, ThreeUnansweredRevisitCallsCloseTheTicketAsUnreachable) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  for (int call = 1; call <= 3; ++call) {
    EXPECT_EQ(t.status(), v1::TICKET_STATUS_RESOLVED) << call;
    ASSERT_TRUE(client_->Revisit(t, "h-cd-wgy", v1::TIER_COMMUNITY, v1::SATISFACTION_UNSPECIFIED,
                                 &t, "call-" + std::to_string(call))
                    .ok());
    EXPECT_EQ(t.revisit_attempts(), call);
  }
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  std::vector<v1::TicketEvent> history = client_->History(id);
  EXPECT_EQ(history.back().closed().reason(), v1::CLOSURE_REASON_UNREACHABLE);
  EXPECT_EQ(history[history.size() - 2].revisited().attempt(), 3);
}

class UnreachableAfterTwoTest : public TimerEngineTest {
 protected:
  void SetUp() override { Start("sla { revisit_attempts: 2 }"); }
};

TEST_F(UnreachableAfterTwoTest, TheNumberOfCallsIsConfigurable) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Revisit(t, "x", v1::TIER_COMMUNITY, v1::SATISFACTION_UNSPECIFIED, &t, "c1")
                  .ok());
  ASSERT_TRUE(client_->Revisit(t, "x", v1::TIER_COMMUNITY, v1::SATISFACTION_UNSPECIFIED, &t, "c2")
                  .ok());
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
}

TEST_F(CaseHandlingTest, IllegalTransitionsAreFailedPreconditionsNamingTheStatus) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id), out;
  // Not assigned yet: no contact, no resolution; not resolved: no revisit.
  grpc::Status contact = client_->Contact(t, "h-cd-wgy", &out);
  EXPECT_EQ(contact.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(contact.error_message(), HasSubstr("TICKET_STATUS_ROUTED"));
  EXPECT_EQ(client_->Resolve(t, "h-cd-wgy", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Revisit(t, "x", v1::TIER_COMMUNITY, v1::SATISFACTION_SATISFIED, &out, "r")
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Closed: no more handling.
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(
      client_->Revisit(t, "x", v1::TIER_COMMUNITY, v1::SATISFACTION_SATISFIED, &t, "r2").ok());
  EXPECT_EQ(client_->Contact(t, "h-cd-wgy", &out, "contact-9").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Resolve(t, "h-cd-wgy", &out, "resolve-9").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// The sample complaint names its property company (绿城物业): whether it proved true goes into
// the company's credit (DOMAIN.md §5), so the handler must say.
v1::ResolveTicketRequest ResolveRequest(const v1::Ticket& t, const std::string& request_id,
                                        v1::Substantiation verdict, bool refused) {
  v1::ResolveTicketRequest req;
  *req.mutable_write() = testing::TestClient::Write(t, request_id, "h-cd-wgy");
  req.set_result("已督促物业更换电梯门机");
  req.set_feedback_to_complainant("已电话告知");
  req.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
  req.set_substantiation(verdict);
  req.set_refused_to_rectify(refused);
  return req;
}
template <typename Channel>
grpc::Status ResolveWith(const Channel& channel, const v1::Ticket& t, const std::string& request_id,
                         v1::Substantiation verdict, bool refused) {
  grpc::ClientContext ctx;
  v1::TicketActionResponse resp;
  return v1::RoutingService::NewStub(channel)->ResolveTicket(
      &ctx, ResolveRequest(t, request_id, verdict, refused), &resp);
}

TEST_F(CaseHandlingTest, ResolvingAComplaintAboutAPropertyCompanyWithoutSayingWhetherItProvedTrueIsInvalidAndWritesNothing) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  ASSERT_FALSE(t.complaint().property_company().empty());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  grpc::Status s = ResolveWith(stack_.channel(), t, "r-no-verdict", v1::SUBSTANTIATION_UNSPECIFIED, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("substantiation: required"));
  EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version()) << "nothing written";
}

TEST_F(CaseHandlingTest, ARefusalToRectifyIsOnlyForAComplaintThatProvedTrue) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  grpc::Status s = ResolveWith(stack_.channel(), t, "r-refused", v1::SUBSTANTIATION_UNSUBSTANTIATED, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("refused_to_rectify"));
  EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version()) << "nothing written";
}

TEST_F(CaseHandlingTest, TheVerdictAndARefusalToRectifyAreRecordedInTheResolution) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(ResolveWith(stack_.channel(), t, "r-partly", v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED, true).ok());
  int resolved = 0;
  for (const v1::TicketEvent& e : client_->Events(t.ticket_id())) {
    if (!e.has_resolved()) continue;
    ++resolved;
    EXPECT_EQ(e.resolved().substantiation(), v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED);
    EXPECT_TRUE(e.resolved().refused_to_rectify());
  }
  EXPECT_EQ(resolved, 1);
}

// Property companies as records (DOMAIN.md §5): the sample complaint is about 翠苑一区, which
// 安化翠苑物业 serves in the sample organisation; the name it gives (绿城物业) is not a company
// the organisation lists.
constexpr char kCuiyuan[] = "91430923MA4L000016";
constexpr char kBinjiang[] = "91430923MA4L000029";

TEST_F(CaseHandlingTest, ATicketIsAboutTheCompanyServingItsEstateFromAcceptance) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  EXPECT_EQ(t.property_company_code(), kCuiyuan);
  const std::vector<v1::TicketEvent> history = client_->History(t.ticket_id());
  ASSERT_FALSE(history.empty());
  ASSERT_TRUE(history[0].has_accepted());
  EXPECT_EQ(history[0].accepted().property_company_code(), kCuiyuan);
}

TEST_F(CaseHandlingTest, AComplaintThatIsNoPropertyServiceMatterIsAboutNoCompanyUnlessTheCallerNamesOne) {
  v1::SubmitComplaintRequest req = HotlineComplaint("12345-FUMES");
  req.mutable_complaint()->set_category(v1::CATEGORY_RESTAURANT_FUMES);  // 城管 leads
  req.mutable_complaint()->clear_property_company();
  EXPECT_EQ(client_->Get(client_->Submit(req)).property_company_code(), "");
  req = HotlineComplaint("12345-FUMES-2");
  req.mutable_complaint()->set_category(v1::CATEGORY_RESTAURANT_FUMES);
  req.mutable_complaint()->set_property_company("物业不管");  // the caller says it is about one
  EXPECT_EQ(client_->Get(client_->Submit(req)).property_company_code(), kCuiyuan);
}

TEST_F(CaseHandlingTest, ACorrectedCompanyIsInTheHistoryWithWhoFromWhatToWhatAndWhy) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  // Typed in lower case: the same code.
  grpc::Status s =
      client_->SetCompany(t, "h-cd-wgy", "91430923ma4l000029", &t, "co-1", "实为滨江物业管理");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(t.property_company_code(), kBinjiang);
  EXPECT_EQ(client_->Get(t.ticket_id()).property_company_code(), kBinjiang);
  // And to none: the complaint turns out to be about no company of the organisation.
  ASSERT_TRUE(client_->SetCompany(t, "h-cd-wgy", "", &t, "co-2").ok());
  EXPECT_EQ(client_->Get(t.ticket_id()).property_company_code(), "");
  std::vector<std::string> corrections;
  for (const v1::TicketEvent& e : client_->History(t.ticket_id())) {
    if (!e.has_company_corrected()) continue;
    corrections.push_back(absl::StrCat(e.actor().id(), " ", e.company_corrected().from_code(), ">",
                                       e.company_corrected().to_code(), " ", e.reason()));
  }
  EXPECT_THAT(corrections,
              ::testing::ElementsAre(
                  absl::StrCat("h-cd-wgy ", kCuiyuan, ">", kBinjiang, " 实为滨江物业管理"),
                  absl::StrCat("h-cd-wgy ", kBinjiang, "> 回访核实物业公司有误")));
}

TEST_F(CaseHandlingTest, ACompanyIsCorrectedAlsoAfterTheCaseIsClosed) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Revisit(t, "x", v1::TIER_COMMUNITY, v1::SATISFACTION_SATISFIED, &t, "rv").ok());
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  grpc::Status s = client_->SetCompany(t, "h-cd-wgy", kBinjiang, &t);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(t.property_company_code(), kBinjiang);
}

TEST_F(CaseHandlingTest, ACorrectionToAnUnknownCompanyToTheSameOneOrWithoutAReasonIsRefusedAndWritesNothing) {
  v1::Ticket t = client_->Get(SubmitAndRoute());
  v1::Ticket out;
  grpc::Status s = client_->SetCompany(t, "desk-1", "91350100M000100Y43", &out, "co-unknown");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("credit_code: \"91350100M000100Y43\" is not a property "
                                           "company of organisation"));
  s = client_->SetCompany(t, "desk-1", kCuiyuan, &out, "co-same");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("already about 91430923MA4L000016"));
  s = client_->SetCompany(t, "desk-1", kBinjiang, &out, "co-no-reason", "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
  EXPECT_EQ(client_->Get(t.ticket_id()).version(), t.version()) << "nothing written";
}

TEST_F(CaseHandlingTest, AComplaintAboutACompanyOfTheOrganisationNeedsAVerdictEvenWhenTheCallerNamedNone) {
  v1::SubmitComplaintRequest req = HotlineComplaint("12345-NO-NAME");
  // A property-service matter (the housing department leads it) names no company: the
  // estate's company applies.
  req.mutable_complaint()->set_category(v1::CATEGORY_SERVICE_QUALITY);
  req.mutable_complaint()->clear_property_company();
  v1::Ticket t = client_->Get(client_->Submit(req));
  ASSERT_EQ(t.property_company_code(), kCuiyuan);
  ASSERT_TRUE(client_->RouteByHand(t, "430923100001", &t).ok());
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  grpc::Status s = ResolveWith(stack_.channel(), t, "r-none", v1::SUBSTANTIATION_UNSPECIFIED, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("substantiation: required for a complaint about a "
                                           "property company (\"91430923MA4L000016\")"));
}

TEST_F(CaseHandlingTest, BadRequestsNameTheField) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  grpc::ClientContext ctx;
  v1::ResolveTicketRequest req;
  *req.mutable_write() = testing::TestClient::Write(t, "r-bad", "h-cd-wgy");
  req.set_result("已处理");
  req.set_feedback_to_complainant("已告知");
  v1::TicketActionResponse resp;
  grpc::Status s = v1::RoutingService::NewStub(stack_.channel())->ResolveTicket(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("feedback_method"));
}

TEST_F(CaseHandlingTest, ARevisitIsRecordedAsTheAuthenticatedCallerAndNamingAnotherIsRefused) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());
  // 东坪镇's supervisor calls back; its request names somebody else.
  auto escalation = v1::EscalationService::NewStub(stack_.Channel());
  const std::string token = stack_.pki().Token("sup-dp", "430923100", {"supervisor"});
  v1::RecordRevisitRequest req;
  *req.mutable_write() = testing::TestClient::Write(t, "revisit-other", "h-dp-wy1");
  req.set_tier(v1::TIER_TOWNSHIP);
  req.set_reached(true);
  req.set_solved(true);
  req.set_satisfaction(v1::SATISFACTION_SATISFIED);
  v1::TicketActionResponse out;
  grpc::ClientContext named_other;
  testing::WithToken(&named_other, token);
  grpc::Status s = escalation->RecordRevisit(&named_other, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("write.actor.id"));
  EXPECT_EQ(client_->Get(id).status(), v1::TICKET_STATUS_RESOLVED);  // not closed
  // Naming nobody, the call is the token's: recorded as sup-dp of 东坪镇.
  req.mutable_write()->clear_actor();
  req.mutable_write()->set_request_id("revisit-1");
  grpc::ClientContext as_itself;
  testing::WithToken(&as_itself, token);
  ASSERT_TRUE(escalation->RecordRevisit(&as_itself, req, &out).ok());
  EXPECT_EQ(out.ticket().status(), v1::TICKET_STATUS_CLOSED);
  const v1::TicketEvent revisited = client_->Events(id).back();
  EXPECT_EQ(revisited.actor().id(), "sup-dp");
  EXPECT_EQ(revisited.actor().unit_code(), "430923100");
}

TEST_F(CaseHandlingTest, AContactFeedbackOrRevisitReportedInTheFutureIsRefusedAndChangesNothing) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  clock_.Set(accepted_ + absl::Minutes(10));
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  // Beyond the five minutes of clock skew a reported time may have.
  const google::protobuf::Timestamp later = ToProto(accepted_ + absl::Minutes(16));
  const google::protobuf::Timestamp now = ToProto(accepted_ + absl::Minutes(10));
  auto routing = v1::RoutingService::NewStub(stack_.channel());
  v1::TicketActionResponse resp;

  v1::RecordContactRequest contact;
  *contact.mutable_write() = testing::TestClient::Write(t, "contact-future", "h-cd-wgy");
  contact.set_preliminary_result("物业已承诺三日内更换配件");
  *contact.mutable_contacted_at() = later;
  grpc::ClientContext c1;
  grpc::Status s = routing->RecordContact(&c1, contact, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("contacted_at: in the future"));
  // The present moment itself is not the future.
  *contact.mutable_contacted_at() = now;
  contact.mutable_write()->set_request_id("contact-now");
  grpc::ClientContext c2;
  ASSERT_TRUE(routing->RecordContact(&c2, contact, &resp).ok());
  t = resp.ticket();

  v1::ResolveTicketRequest resolve;
  *resolve.mutable_write() = testing::TestClient::Write(t, "resolve-future", "h-cd-wgy");
  resolve.set_result("电梯已修复运行");
  resolve.set_feedback_to_complainant("已电话告知业主电梯恢复运行");
  resolve.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
  *resolve.mutable_fed_back_at() = later;
  grpc::ClientContext c3;
  s = routing->ResolveTicket(&c3, resolve, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("fed_back_at: in the future"));
  EXPECT_EQ(client_->Get(id).status(), v1::TICKET_STATUS_CONTACTED);
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t).ok());

  v1::RecordRevisitRequest revisit;
  *revisit.mutable_write() = testing::TestClient::Write(t, "revisit-future", "h-dp-wy1");
  revisit.set_tier(v1::TIER_TOWNSHIP);
  revisit.set_reached(true);
  revisit.set_solved(true);
  revisit.set_satisfaction(v1::SATISFACTION_SATISFIED);
  *revisit.mutable_revisited_at() = later;
  grpc::ClientContext c4;
  s = v1::EscalationService::NewStub(stack_.channel())->RecordRevisit(&c4, revisit, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("revisited_at: in the future"));
  EXPECT_EQ(client_->Get(id).status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(client_->Get(id).version(), t.version());
}

TEST_F(CaseHandlingTest, OfTwoConcurrentWritesWithTheSameVersionExactlyOneSucceeds) {
  std::string id = SubmitAndRoute();
  v1::Ticket t = client_->Get(id);
  ASSERT_TRUE(client_->Take(t, "h-cd-wgy", &t).ok());
  // Two handlers, one version: one records the contact, the other resolves at the same time.
  for (int trial = 0; trial < 20; ++trial) {
    std::string other = SubmitAndRoute(absl::StrCat("12345-race-", trial));
    v1::Ticket base = client_->Get(other);
    ASSERT_TRUE(client_->Take(base, "h-cd-wgy", &base, "a").ok());
    grpc::Status first, second;
    v1::Ticket out1, out2;
    std::thread a([&] { first = client_->Contact(base, "h-cd-wgy", &out1, "c"); });
    std::thread b([&] { second = client_->Resolve(base, "h-cd-wgy", &out2, "r"); });
    a.join();
    b.join();
    EXPECT_NE(first.ok(), second.ok()) << first.error_message() << " / " << second.error_message();
    const grpc::Status& lost = first.ok() ? second : first;
    EXPECT_EQ(lost.error_code(), grpc::StatusCode::ABORTED) << lost.error_message();
    EXPECT_EQ(client_->Get(other).version(), base.version() + 1);
  }
}

TEST_F(CaseHandlingTest, AHistoryPageTokenOnlyWorksForItsOwnTicket) {
  std::string a = SubmitAndRoute("12345-HIST-A");
  std::string b = SubmitAndRoute("12345-HIST-B");
  auto page = [&](const std::string& id, const std::string& token,
                  v1::GetTicketHistoryResponse* resp) {
    grpc::ClientContext ctx;
    v1::GetTicketHistoryRequest req;
    req.set_ticket_id(id);
    req.set_page_size(1);
    req.set_page_token(token);
    return client_->intake().GetTicketHistory(&ctx, req, resp);
  };
  v1::GetTicketHistoryResponse first, second, foreign;
  ASSERT_TRUE(page(a, "", &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  ASSERT_TRUE(page(a, first.next_page_token(), &second).ok());  // its own ticket: the next page
  ASSERT_EQ(second.events_size(), 1);
  EXPECT_EQ(second.events(0).ticket_version(), 2);
  grpc::Status s = page(b, first.next_page_token(), &foreign);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
}

TEST_F(CaseHandlingTest, HistoryOfAnUnknownTicketIsNotFound) {
  grpc::ClientContext ctx;
  v1::GetTicketHistoryRequest req;
  req.set_ticket_id("T20261123-001-ZZZZZZZZ");
  v1::GetTicketHistoryResponse resp;
  EXPECT_EQ(client_->intake().GetTicketHistory(&ctx, req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace dispatch::escalation
