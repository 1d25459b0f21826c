// No orphan tickets (issue 13, point 1): a ticket routing does not place within the routing
// grace goes to the dispatch desk of its county (the city's when the county is unknown), is
// listed there, and escalates like any other; a breach is never recorded against an empty unit.
// Routing is down in these tests (the fixture runs no routing worker); the timer engine is
// driven by the test.
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;

class NoOrphansTest : public TimerEngineTest {
 protected:
  // A complaint whose location names only its county and an address nobody can place.
  std::string SubmitUnplaceable(const std::string& work_order, const std::string& county) {
    auto req = HotlineComplaint(work_order);
    req.mutable_complaint()->mutable_location()->Clear();
    req.mutable_complaint()->mutable_location()->set_address("某路某号");
    if (!county.empty()) {
      req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_county_code(county);
    }
    return client_->Submit(req);
  }

  std::vector<std::string> ListedFor(const std::string& unit) { return client_->ListedFor(unit); }
};

TEST_F(NoOrphansTest, AnUnroutableComplaintIsAtItsCountyDeskWithinTheGraceAndEscalatesAt30Min) {
  std::string id = SubmitUnplaceable("12345-ORPHAN-1", "430923");
  EXPECT_EQ(FromProto(client_->Get(id).routing_grace_until()), accepted_ + absl::Minutes(5));
  // Nobody holds it yet; the county lists it already, as a complaint of its area awaiting
  // routing, and the other county does not.
  EXPECT_EQ(client_->Get(id).responsible_unit_code(), "");
  EXPECT_THAT(ListedFor("430923"), ElementsAre(id));
  EXPECT_THAT(ListedFor("430902"), ElementsAre());

  // Routing is down. At the end of the five-minute grace the ticket is on 安化县's desk.
  FireAt(accepted_ + absl::Minutes(5));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_ROUTED);
  EXPECT_EQ(t.responsible_unit_code(), "430923");
  EXPECT_TRUE(t.needs_manual_routing());
  EXPECT_EQ(t.supervision_tier(), v1::TIER_COUNTY);
  EXPECT_EQ(t.responsible_jurisdiction().city_code(), "430900");
  ASSERT_EQ(t.handlings_size(), 1);
  EXPECT_EQ(t.handlings(0).department(), v1::DEPARTMENT_MARKET_SUPERVISION);  // lifts' lead
  EXPECT_FALSE(t.has_routing_grace_until());
  const v1::TicketEvent routed = client_->Events(id).back();
  EXPECT_EQ(routed.routed().unit_code(), "430923");
  EXPECT_TRUE(routed.routed().needs_manual_routing());
  EXPECT_EQ(routed.actor().id(), "system");
  EXPECT_EQ(routed.routed().org_version(), "sample-2026-12-05");
  // It is in the county's list (and the city's), not in the other county's.
  EXPECT_THAT(ListedFor("430923"), ElementsAre(id));
  EXPECT_THAT(ListedFor("430900"), ElementsAre(id));
  EXPECT_THAT(ListedFor("430902"), ElementsAre());
  ExpectTimerMatchesRule(id);

  // Nobody at the desk takes it: at +30 min the breach is the desk's, and the city supervises.
  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("30 breached c1", "30 escalated 3->4"));
  std::vector<v1::TicketEvent> events = client_->Events(id);
  ASSERT_EQ(events.size(), 4u);
  const v1::TicketEvent& breach = events[2];
  EXPECT_EQ(breach.breached().unit_code(), "430923");
  EXPECT_EQ(breach.breached().tier(), v1::TIER_COUNTY);
}

TEST_F(NoOrphansTest, AComplaintWhoseCountyIsUnknownGoesToTheCitysDesk) {
  std::string id = SubmitUnplaceable("12345-ORPHAN-2", "");
  FireAt(accepted_ + absl::Minutes(5));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.responsible_unit_code(), "430900");
  EXPECT_EQ(t.supervision_tier(), v1::TIER_CITY);
  FireAt(accepted_ + absl::Minutes(30));
  const v1::TicketEvent breach = client_->Events(id).back();
  EXPECT_EQ(breach.breached().unit_code(), "430900");  // the top tier: no escalation
  EXPECT_EQ(breach.breached().tier(), v1::TIER_CITY);
}

TEST_F(NoOrphansTest, ARoutedTicketIsNotMovedByTheGrace) {
  std::string id = SubmitAndRoute("12345-ORPHAN-3");
  FireAt(accepted_ + absl::Minutes(5));
  EXPECT_EQ(client_->Get(id).responsible_unit_code(), kCommunity);
  EXPECT_EQ(client_->Events(id).size(), 2u);  // accepted, routed by hand: nothing more
}

TEST_F(NoOrphansTest, AMalformedPlacementIsDroppedInsteadOfWakingTheEngineForEver) {
  std::string id = client_->Submit(HotlineComplaint("12345-ORPHAN-5"));
  const std::string key = keys::Ticket(*keys::ShardOfTicketId(id), id);
  ASSERT_THAT(stack_.redis().ExecuteSync({"HSET", key, "fb", "1|not a placement"}), IsOk());
  FireAt(accepted_ + absl::Minutes(5));  // returns: the engine does not spin on it
  auto fb = stack_.redis().ExecuteSync({"HEXISTS", key, "fb"});
  ASSERT_THAT(fb, IsOk());
  EXPECT_EQ(fb->integer, 0);
  EXPECT_EQ(client_->Get(id).status(), v1::TICKET_STATUS_ACCEPTED);
  ExpectTimerMatchesRule(id);  // next: the assign clock's warning
}

class LongGraceTest : public TimerEngineTest {
 protected:
  void SetUp() override { Start("routing_grace { seconds: 3600 }"); }
};

TEST_F(LongGraceTest, AClockMissedBeforeTheGraceEndsPutsTheTicketOnItsDeskFirst) {
  // Routing may take an hour here, but the assign clock is missed at 30 minutes: the ticket
  // goes to its desk in the same step, so the breach has a unit.
  std::string id = client_->Submit(HotlineComplaint("12345-ORPHAN-4"));  // 翠苑一区, 安化县
  FireAt(accepted_ + absl::Minutes(30));
  std::vector<v1::TicketEvent> events = client_->Events(id);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(events[1].has_routed());
  EXPECT_EQ(events[2].breached().unit_code(), "430923");
  EXPECT_TRUE(events[3].has_escalated());
  for (const v1::TicketEvent& e : events) {
    if (e.has_breached()) {
      EXPECT_FALSE(e.breached().unit_code().empty());
    }
  }
}

}  // namespace
}  // namespace dispatch::escalation
