// Breach attribution (issue 13, point 3): a missed supervision deadline (督办) is recorded
// against the supervising unit that missed it, with its tier; every other breach against the
// lead unit that held the ticket when the deadline passed.
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;

class BreachAttributionTest : public TimerEngineTest {
 protected:
  std::vector<std::pair<std::string, v1::Tier>> Breaches(const std::string& id) {
    std::vector<std::pair<std::string, v1::Tier>> out;
    for (const v1::TicketEvent& e : client_->Events(id)) {
      if (e.has_breached()) out.emplace_back(e.breached().unit_code(), e.breached().tier());
    }
    return out;
  }
};

TEST_F(BreachAttributionTest, AMissedSupervisionDeadlineIsTheSupervisingUnitsAtEachTier) {
  std::string id = SubmitAndRoute();  // 城东社区, 东坪镇, 安化县, 示范市
  // The community misses the assign clock: 东坪镇 supervises from +30 min for a day.
  FireAt(accepted_ + absl::Minutes(30));
  // The officer takes it late and contacts the company in time, but nothing is resolved:
  // 东坪镇 misses its supervision deadline, then 安化县 misses its own a day later.
  v1::Ticket t;
  clock_.Set(accepted_ + absl::Minutes(40));
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &t).ok());
  clock_.Set(accepted_ + absl::Hours(1));
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t).ok());
  FireAt(accepted_ + absl::Minutes(40));  // the late assignment's breach is already recorded
  FireAt(accepted_ + absl::Minutes(30) + absl::Hours(24));
  FireAt(accepted_ + absl::Minutes(30) + absl::Hours(48));
  EXPECT_THAT(Breaches(id),
              ElementsAre(std::make_pair(std::string(kCommunity), v1::TIER_COMMUNITY),
                          std::make_pair(std::string("430923100"), v1::TIER_TOWNSHIP),
                          std::make_pair(std::string("430923"), v1::TIER_COUNTY)));
  EXPECT_EQ(client_->Get(id).supervision_tier(), v1::TIER_CITY);
  // ListBreaches says the same, and a township's list holds its own supervision breach.
  grpc::ClientContext ctx;
  v1::ListBreachesRequest req;
  req.set_unit_code("430923100");
  v1::ListBreachesResponse resp;
  ASSERT_TRUE(client_->escalation().ListBreaches(&ctx, req, &resp).ok());
  bool township = false;
  for (const v1::Breach& b : resp.breaches()) {
    township |= b.clock() == v1::CLOCK_KIND_SUPERVISION && b.unit_code() == "430923100" &&
                b.tier() == v1::TIER_TOWNSHIP;
  }
  EXPECT_TRUE(township);
}

TEST_F(BreachAttributionTest, AfterAReturnTheDeskThatHeldTheTicketIsChargedNotTheCommunity) {
  std::string id = SubmitAndRoute();
  v1::Ticket t;
  clock_.Set(accepted_ + absl::Minutes(10));
  ASSERT_TRUE(client_->Return(client_->Get(id), "h-cd-wgy", &t).ok());
  FireAt(accepted_ + absl::Minutes(30));  // the desk did not route it on in time
  EXPECT_THAT(Breaches(id), ElementsAre(std::make_pair(std::string("430923"), v1::TIER_COUNTY)));
}

}  // namespace
}  // namespace dispatch::escalation
