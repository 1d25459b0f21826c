// ListBreaches for operators: every recorded breach exactly once across pages, newest first,
// also while the engine records new ones; the unit filter.
#include <map>

#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

class BreachLogTest : public TimerEngineTest {
 protected:
  v1::ListBreachesResponse List(const v1::ListBreachesRequest& req) {
    grpc::ClientContext ctx;
    v1::ListBreachesResponse resp;
    grpc::Status s = client_->escalation().ListBreaches(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(BreachLogTest, EveryBreachIsListedOnceNewestFirstWhileNewOnesAreRecorded) {
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(SubmitAndRoute(absl::StrCat("12345-B", i)));
    clock_.Advance(absl::Seconds(1));
  }
  // The assign clocks are missed one second apart.
  for (int i = 0; i < 30; ++i) FireAt(accepted_ + absl::Minutes(30) + absl::Seconds(i));
  std::map<std::string, int> listed;
  v1::ListBreachesRequest req;
  req.set_page_size(7);
  absl::Time previous = absl::InfiniteFuture();
  int pages = 0;
  do {
    v1::ListBreachesResponse page = List(req);
    for (const v1::Breach& b : page.breaches()) {
      EXPECT_EQ(b.clock(), v1::CLOCK_KIND_ASSIGN);
      EXPECT_EQ(b.unit_code(), kCommunity);
      EXPECT_EQ(b.tier(), v1::TIER_COMMUNITY);
      EXPECT_LE(FromProto(b.detected_at()), previous);
      previous = FromProto(b.detected_at());
      ++listed[b.ticket_id()];
    }
    // Meanwhile the engine records more (the preliminary clocks): they are newer than the first
    // page and do not show up in this walk.
    FireAt(accepted_ + absl::Hours(3) + absl::Seconds(pages * 7));
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty() && ++pages < 20);
  EXPECT_EQ(listed.size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(listed[id], 1) << id;
}

TEST_F(BreachLogTest, TheUnitFilterKeepsBreachesOfItsSubtree) {
  std::string ah = SubmitAndRoute("12345-B-ah");
  std::string zy = client_->Submit(HotlineComplaint("12345-B-zy"));
  v1::Ticket t;
  ASSERT_TRUE(client_->RouteByHand(client_->Get(zy), "430902001001", &t).ok());
  FireAt(accepted_ + absl::Minutes(30));
  v1::ListBreachesRequest req;
  req.set_unit_code("430902");
  v1::ListBreachesResponse resp = List(req);
  ASSERT_EQ(resp.breaches_size(), 1);
  EXPECT_EQ(resp.breaches(0).ticket_id(), zy);
  EXPECT_TRUE(resp.next_page_token().empty());
}

}  // namespace
}  // namespace dispatch::escalation
