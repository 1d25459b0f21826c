// ListTickets for dashboards, through gRPC against a real redis-server: newest first, filters,
// and pages that list every matching ticket exactly once while new tickets keep arriving.
#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::HasSubstr;

class ListTicketsTest : public TimerEngineTest {
 protected:
  // Submits tickets `from`..`to`-1; three at a time share one millisecond (ties).
  std::vector<std::string> SubmitMany(int from, int to) {
    std::vector<std::string> ids;
    for (int i = from; i < to; ++i) {
      if (i % 3 == 0) clock_.Advance(absl::Seconds(1));
      ids.push_back(client_->Submit(HotlineComplaint(absl::StrCat("12345-L", i))));
    }
    return ids;
  }

  v1::ListTicketsResponse List(const v1::ListTicketsRequest& req,
                               grpc::Status* status = nullptr) {
    return client_->ListTickets(req, status);
  }
};

TEST_F(ListTicketsTest, PagesListEveryTicketExactlyOnceWhileNewTicketsArrive) {
  std::vector<std::string> original = SubmitMany(0, 230);
  std::map<std::string, int> seen;
  v1::ListTicketsRequest req;
  req.set_page_size(40);
  int pages = 0, arrived = 230;
  absl::Time previous = absl::InfiniteFuture();
  do {
    v1::ListTicketsResponse page = List(req);
    ++pages;
    for (const v1::Ticket& t : page.tickets()) {
      ++seen[t.ticket_id()];
      absl::Time accepted = FromProto(t.accepted_at());
      EXPECT_LE(accepted, previous) << "not newest first";
      previous = accepted;
    }
    req.set_page_token(page.next_page_token());
    SubmitMany(arrived, arrived + 7);  // new complaints between two page reads
    arrived += 7;
  } while (!req.page_token().empty() && pages < 50);
  for (const std::string& id : original) EXPECT_EQ(seen[id], 1) << id;
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(seen.size(), original.size());  // the newcomers sort before the first page
}

TEST_F(ListTicketsTest, ManyTicketsOfOneShardInOneMillisecondArePagedExactlyOnce) {
  // Work orders that all land in shard 7, accepted in the same millisecond: the pages must
  // split a run of equal acceptance times inside one shard's index.
  std::set<std::string> original;
  for (int i = 0; original.size() < 60; ++i) {
    std::string wo = absl::StrCat("12345-S", i);
    if (keys::ShardOf(keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, wo, "")) != 7) continue;
    original.insert(client_->Submit(HotlineComplaint(wo)));
  }
  std::multiset<std::string> seen;
  v1::ListTicketsRequest req;
  req.set_page_size(7);
  int pages = 0;
  do {
    v1::ListTicketsResponse page = List(req);
    for (const v1::Ticket& t : page.tickets()) seen.insert(t.ticket_id());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty() && ++pages < 50);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), original);
  EXPECT_EQ(seen.size(), original.size());
}

TEST_F(ListTicketsTest, PagesCutInsideMillisecondsOfOneShardKeepNewestFirstThenIdOrder) {
  // Shard 7 gets runs of 5 tickets per millisecond, 4 runs; pages of 4 read the shard's index
  // in chunks of 5 that end inside a run. The listing is newest first, then by id descending.
  std::vector<std::pair<int64_t, std::string>> want;  // (accepted ms, id)
  int i = 0;
  for (int run = 0; run < 4; ++run) {
    clock_.Advance(absl::Milliseconds(1));
    for (int n = 0; n < 5; ++i) {
      std::string wo = absl::StrCat("12345-R", i);
      if (keys::ShardOf(keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, wo, "")) != 7) continue;
      want.emplace_back(absl::ToUnixMillis(clock_.Now()),
                        client_->Submit(HotlineComplaint(wo)));
      ++n;
    }
  }
  std::sort(want.rbegin(), want.rend());
  std::vector<std::pair<int64_t, std::string>> got;
  v1::ListTicketsRequest req;
  req.set_page_size(4);
  int pages = 0;
  do {
    v1::ListTicketsResponse page = List(req);
    for (const v1::Ticket& t : page.tickets()) {
      got.emplace_back(ToUnixMs(t.accepted_at()), t.ticket_id());
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty() && ++pages < 50);
  EXPECT_EQ(got, want);
}

TEST_F(ListTicketsTest, FiltersByUnitSubtreeStatusBreachAndAcceptanceTime) {
  std::vector<std::string> ids = SubmitMany(0, 6);
  // Two go to 资阳区 (430902...), four to 安化县 (430923...); one of those is assigned.
  v1::Ticket t;
  ASSERT_TRUE(client_->RouteByHand(client_->Get(ids[0]), "430902001001", &t).ok());
  ASSERT_TRUE(client_->RouteByHand(client_->Get(ids[1]), "430902002001", &t).ok());
  for (int i = 2; i < 6; ++i) {
    ASSERT_TRUE(client_->RouteByHand(client_->Get(ids[i]), kCommunity, &t).ok());
  }
  ASSERT_TRUE(client_->Assign(client_->Get(ids[5]), "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());

  v1::ListTicketsRequest zy;
  zy.set_unit_code("430902");
  EXPECT_EQ(List(zy).tickets_size(), 2);
  v1::ListTicketsRequest township;
  township.set_unit_code("430923100");
  EXPECT_EQ(List(township).tickets_size(), 4);
  v1::ListTicketsRequest city;  // 示范市 430900: both its counties
  city.set_unit_code("430900");
  EXPECT_EQ(List(city).tickets_size(), 6);
  v1::ListTicketsRequest assigned;
  assigned.add_statuses(v1::TICKET_STATUS_ASSIGNED);
  EXPECT_EQ(List(assigned).tickets_size(), 0);  // signed for since
  v1::ListTicketsRequest signed_for;
  signed_for.add_statuses(v1::TICKET_STATUS_SIGNED_FOR);
  ASSERT_EQ(List(signed_for).tickets_size(), 1);
  EXPECT_EQ(List(signed_for).tickets(0).ticket_id(), ids[5]);

  v1::ListTicketsRequest community_tier;
  community_tier.set_supervision_tier(v1::TIER_COMMUNITY);
  EXPECT_EQ(List(community_tier).tickets_size(), 6);
  v1::ListTicketsRequest lifts;  // the sample complaint is about a lift (special equipment)
  lifts.add_categories(v1::CATEGORY_SPECIAL_EQUIPMENT);
  EXPECT_EQ(List(lifts).tickets_size(), 6);
  lifts.set_categories(0, v1::CATEGORY_PARKING_FEE);
  EXPECT_EQ(List(lifts).tickets_size(), 0);

  // An hour later every unassigned ticket has missed its assign clock.
  clock_.Advance(absl::Hours(1));
  v1::ListTicketsRequest breached;
  breached.set_breached_only(true);
  EXPECT_EQ(List(breached).tickets_size(), 5);

  // Acceptance range [second 2, second 3): tickets 3, 4, 5 (SubmitMany ticks every third).
  v1::ListTicketsRequest range;
  *range.mutable_accepted_from() = ToProto(accepted_ + absl::Seconds(2));
  *range.mutable_accepted_to() = ToProto(accepted_ + absl::Seconds(3));
  std::set<std::string> in_range;
  v1::ListTicketsResponse ranged = List(range);
  for (const v1::Ticket& x : ranged.tickets()) in_range.insert(x.ticket_id());
  EXPECT_EQ(in_range, (std::set<std::string>{ids[3], ids[4], ids[5]}));
}

TEST_F(ListTicketsTest, ARangeFiltersOnAcceptanceTimeEvenForATicketIndexedLater) {
  // Another replica's acceptance 5 s later got into the shard's index first, so this ticket
  // is indexed 5 s after its acceptance.
  const std::string wo = "12345-OVERTAKEN";
  const int shard = keys::ShardOf(keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, wo, ""));
  const absl::Time accepted = clock_.Now();
  ASSERT_THAT(stack_.redis().ExecuteSync({"XADD", keys::AcceptedIndex(shard),
                                          absl::StrCat(absl::ToUnixMillis(accepted) + 5000, "-0"),
                                          "t", "T20261123-000-GONEGONE"}),
              IsOk());
  const std::string id = client_->Submit(HotlineComplaint(wo));
  v1::ListTicketsRequest range;
  *range.mutable_accepted_from() = ToProto(accepted);
  *range.mutable_accepted_to() = ToProto(accepted + absl::Milliseconds(1));
  v1::ListTicketsResponse in = List(range);
  ASSERT_EQ(in.tickets_size(), 1);
  EXPECT_EQ(in.tickets(0).ticket_id(), id);
  *range.mutable_accepted_from() = ToProto(accepted + absl::Milliseconds(1));
  *range.mutable_accepted_to() = ToProto(accepted + absl::Seconds(10));
  EXPECT_EQ(List(range).tickets_size(), 0);
  // Bounds before 1970 are no error: nothing was accepted then.
  *range.mutable_accepted_from() = ToProto(absl::UnixEpoch() - absl::Hours(1));
  *range.mutable_accepted_to() = ToProto(absl::UnixEpoch());
  EXPECT_EQ(List(range).tickets_size(), 0);
  range.clear_accepted_to();
  EXPECT_EQ(List(range).tickets_size(), 1);
}

TEST_F(ListTicketsTest, APageTokenOnlyWorksWithTheFiltersItCameFrom) {
  SubmitMany(0, 5);
  v1::ListTicketsRequest req;
  req.set_page_size(2);
  v1::ListTicketsResponse first = List(req);
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  req.set_breached_only(true);
  grpc::Status status;
  List(req, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

}  // namespace
}  // namespace dispatch::escalation
