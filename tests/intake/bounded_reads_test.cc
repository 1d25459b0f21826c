// Every read is bounded (issue 13, point 9): a history, a list or a ledger walk reads at most a
// configured number of entries per request and answers with what it has and a token; paging on
// gives every event, ticket or breach exactly once, in order. The bounds are small here.
#include <future>
#include <set>

#include "services/escalation/ledgers.h"
#include "services/intake/queries.h"
#include "tests/escalation/escalation_fixture.h"
#include "tests/testing/sample_org.h"
#include "tests/testing/signed_calls.h"

namespace dispatch::escalation {
namespace {

class BoundedReadsTest : public TimerEngineTest {
 protected:
  void SetUp() override {
    TimerEngineTest::SetUp();
    auto org = testing::SampleOrgHolder(&stack_.redis());
    ASSERT_THAT(org, IsOk());
    org_ = *std::move(org);
    intake::TicketQueries::Options options;
    options.max_history_scan = 10;
    options.max_list_scan = 7;
    queries_ = std::make_unique<intake::TicketQueries>(&stack_.redis(), &clock_, org_.get(),
                                                      options);
  }
  // Work orders whose tickets land in `shard`.
  std::vector<std::string> WorkOrdersOfShard(int shard, int n, const std::string& prefix) {
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < n; ++i) {
      std::string wo = absl::StrCat(prefix, i);
      if (keys::ShardOf(keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, wo, "")) == shard) {
        out.push_back(wo);
      }
    }
    return out;
  }
  // Called by the city's supervisor.
  template <typename Response, typename Request>
  Response Call(void (intake::TicketQueries::*method)(const Request&, const auth::Caller&,
                                                      rpc::Reply<Response>),
                const Request& req) {
    const auth::Caller caller = testing::CallerOf(
        std::is_same_v<Request, v1::ListTicketsRequest> ? "IntakeService.ListTickets"
                                                        : "IntakeService.GetTicketHistory",
        "sup-city", "430900", {auth::Role::kSupervisor});
    std::promise<absl::StatusOr<Response>> p;
    (queries_.get()->*method)(req, caller,
                              [&](absl::StatusOr<Response> r) { p.set_value(std::move(r)); });
    absl::StatusOr<Response> r = p.get_future().get();
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *std::move(r) : Response();
  }

  std::unique_ptr<org::OrgHolder> org_;
  std::unique_ptr<intake::TicketQueries> queries_;
};

TEST_F(BoundedReadsTest, AHistorySpreadThinInABusyShardComesInShortPagesAndWhole) {
  std::string id = SubmitAndRoute("12345-HB-0");
  const int shard = *keys::ShardOfTicketId(id);
  // Thirty other tickets of the same shard arrive, then this one is taken.
  for (const std::string& wo : WorkOrdersOfShard(shard, 30, "12345-HB-x")) {
    client_->Submit(HotlineComplaint(wo));
  }
  v1::Ticket t;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &t).ok());
  std::vector<int64_t> versions;
  int pages = 0, empty_pages = 0;
  v1::GetTicketHistoryRequest req;
  req.set_ticket_id(id);
  do {
    v1::GetTicketHistoryResponse page = Call(&intake::TicketQueries::History, req);
    ++pages;
    empty_pages += page.events().empty();
    for (const v1::TicketEvent& e : page.events()) versions.push_back(e.ticket_version());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty() && pages < 20);
  EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 3, 4}));  // accepted, routed, assigned, signed
  EXPECT_GE(pages, 3);  // 34 entries at most 10 a request
  EXPECT_GE(empty_pages, 1);
}

TEST_F(BoundedReadsTest, ARareFilterComesInShortPagesThatStillListEveryMatchOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(absl::Seconds(1));
    ids.push_back(client_->Submit(HotlineComplaint(absl::StrCat("12345-LB-", i))));
  }
  // Two of the twenty are routed to 资阳区.
  v1::Ticket t;
  ASSERT_TRUE(client_->RouteByHand(client_->Get(ids[3]), "430902001001", &t).ok());
  ASSERT_TRUE(client_->RouteByHand(client_->Get(ids[16]), "430902001001", &t).ok());
  v1::ListTicketsRequest req;
  req.set_unit_code("430902");
  std::vector<std::string> listed;
  int pages = 0;
  do {
    v1::ListTicketsResponse page = Call(&intake::TicketQueries::List, req);
    ++pages;
    for (const v1::Ticket& t : page.tickets()) listed.push_back(t.ticket_id());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty() && pages < 20);
  EXPECT_EQ(listed, (std::vector<std::string>{ids[16], ids[3]}));  // newest first
  EXPECT_GE(pages, 3);  // twenty candidates, at most seven a request
}

TEST_F(BoundedReadsTest, ALedgerWalkReadsABoundedNumberOfEntriesAndGoesOnWithItsToken) {
  // Forty tickets of one shard miss their assign clocks at once: eighty entries (breach and
  // escalation) at the top of that shard's stream, more than one read of 64 takes.
  std::vector<std::string> ids;
  for (const std::string& wo : WorkOrdersOfShard(7, 40, "12345-BB-")) {
    ids.push_back(SubmitAndRoute(wo));
  }
  FireAt(accepted_ + absl::Minutes(30));
  auto keep = [](const EventEntry&) { return true; };
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = ScanEvents(&stack_.redis(), "breached", keep, 500, token, /*max_scan=*/64);
    ASSERT_THAT(page, IsOk());
    for (const EventEntry& e : page->entries) EXPECT_TRUE(seen.insert(e.ticket_id).second);
    EXPECT_LT(page->entries.size(), ids.size());  // never all in one bounded request
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 50);
  EXPECT_EQ(seen.size(), ids.size());
}

}  // namespace
}  // namespace dispatch::escalation
