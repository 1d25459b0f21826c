// Dashboard reads from the read model (services/readmodel/reader.h) through the API of a real
// dispatchd configured with read_model.conninfo: lists, breaches and histories from PostgreSQL,
// how far it has caught up, archived tickets, and PostgreSQL down.
#include <set>
#include <string>
#include <vector>

#include "common/keys.h"
#include "tests/readmodel/read_model_fixture.h"

namespace dispatch::readmodel {
namespace {

using ::dispatch::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr char kCounty[] = "430923";     // 安化县
constexpr char kTownship[] = "430923100";  // 东坪镇
constexpr char kOtherCounty[] = "430902";

class ReadModelReadsTest : public ReadModelFixture {
 protected:
  std::string StackConfig() override {
    return absl::StrCat("read_model { conninfo: '", live_conninfo_, "' }");
  }

  v1::ListTicketsResponse List(const v1::ListTicketsRequest& req,
                               grpc::Status* status = nullptr) {
    return client_->ListTickets(req, status);
  }
  v1::ListTicketsResponse ListUnit(const std::string& unit, grpc::Status* status = nullptr) {
    v1::ListTicketsRequest req;
    req.set_unit_code(unit);
    return List(req, status);
  }
  static std::vector<std::string> Ids(const v1::ListTicketsResponse& r) {
    std::vector<std::string> out;
    for (const v1::Ticket& t : r.tickets()) out.push_back(t.ticket_id());
    return out;
  }
  v1::ListBreachesResponse Breaches(const std::string& unit, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    v1::ListBreachesRequest req;
    req.set_unit_code(unit);
    v1::ListBreachesResponse resp;
    grpc::Status s = client_->escalation().ListBreaches(&ctx, req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }
  // Removes the ticket from Redis as the archive's retention does: its hash and its
  // idempotency record (the stream entries stay; the reads must not need them).
  void RemoveFromRedis(const std::string& id, const std::string& work_order) {
    const int shard = *keys::ShardOfTicketId(id);
    ASSERT_THAT(stack_.redis().ExecuteSync({"DEL", keys::Ticket(shard, id)}), IsOk());
    const std::string key = keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, work_order, "");
    ASSERT_THAT(stack_.redis().ExecuteSync({"DEL", keys::IdempotencyRecord(keys::ShardOf(key), key)}),
                IsOk());
  }
};

TEST_F(ReadModelReadsTest, AListIsReadFromTheReadModelAndSaysHowFarItHadCaughtUp) {
  const std::string first = SubmitAndRoute("12345-R1");
  clock_.Advance(absl::Seconds(1));
  const std::string second = SubmitAndRoute("12345-R2");
  // Nothing projected yet: nothing listed, and no position to report.
  v1::ListTicketsResponse before = ListUnit(kCounty);
  EXPECT_TRUE(before.tickets().empty());
  EXPECT_FALSE(before.read_model().has_caught_up_to());

  Drain(*projector_);
  v1::ListTicketsResponse listed = ListUnit(kCounty);
  EXPECT_THAT(Ids(listed), ElementsAre(second, first));  // newest first
  ASSERT_TRUE(listed.read_model().has_caught_up_to());
  const absl::Time caught_up = FromProto(listed.read_model().caught_up_to());
  EXPECT_GE(caught_up, FromProto(client_->Get(second).updated_at()));
  // The complainant is masked as everywhere else.
  EXPECT_NE(listed.tickets(0).complaint().complainant().phone(),
            testing::HotlineComplaint("12345-R2").complaint().complainant().phone());

  // A write the read model has not taken in: the list still shows the old version, and says
  // it had caught up only to before the write.
  clock_.Advance(absl::Seconds(5));
  v1::Ticket assigned;
  ASSERT_TRUE(client_->Assign(client_->Get(first), "h-cd-wgy", &assigned).ok());
  v1::ListTicketsResponse stale = ListUnit(kCounty);
  ASSERT_EQ(stale.tickets_size(), 2);
  EXPECT_LT(stale.tickets(1).version(), assigned.version());
  EXPECT_LT(FromProto(stale.read_model().caught_up_to()), FromProto(assigned.updated_at()));
  Drain(*projector_);
  v1::ListTicketsResponse fresh = ListUnit(kCounty);
  ASSERT_EQ(fresh.tickets_size(), 2);
  EXPECT_EQ(fresh.tickets(1).version(), assigned.version());
  EXPECT_GE(FromProto(fresh.read_model().caught_up_to()), FromProto(assigned.updated_at()));
}

TEST_F(ReadModelReadsTest, PagesListEveryTicketOnceNewestFirstAndTokensBelongToTheirFilters) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    if (i % 3 == 0) clock_.Advance(absl::Seconds(1));  // three share one instant: ties by id
    ids.push_back(SubmitAndRoute(absl::StrCat("12345-RP", i)));
  }
  Drain(*projector_);
  v1::ListTicketsRequest req;
  req.set_unit_code(kTownship);
  req.set_page_size(3);
  std::vector<std::string> paged;
  std::vector<int> sizes;
  std::string token;
  do {
    req.set_page_token(token);
    v1::ListTicketsResponse page = List(req);
    sizes.push_back(page.tickets_size());
    for (const v1::Ticket& t : page.tickets()) paged.push_back(t.ticket_id());
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_THAT(sizes, ElementsAre(3, 3, 1));
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), ids.size());
  for (size_t i = 1; i < paged.size(); ++i) {
    const v1::Ticket a = client_->Get(paged[i - 1]), b = client_->Get(paged[i]);
    EXPECT_TRUE(FromProto(a.accepted_at()) > FromProto(b.accepted_at()) ||
                (a.accepted_at().seconds() == b.accepted_at().seconds() &&
                 a.accepted_at().nanos() == b.accepted_at().nanos() && paged[i - 1] > paged[i]))
        << i;
  }

  req.set_page_token("");
  const std::string first_token = List(req).next_page_token();
  grpc::Status status;
  v1::ListTicketsRequest other = req;
  other.set_breached_only(true);
  other.set_page_token(first_token);
  List(other, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("filters differ"));
  other = req;
  other.set_page_token("1700000000000:T20261205-001-x:abc");  // a Redis-scan token
  List(other, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(ReadModelReadsTest, FiltersFindTheBreachedTheClosedAndATiersTickets) {
  const std::string whole = OneWholeCase("12345-RF1");  // breached, revisited satisfied: closed
  const std::string plain = SubmitAndRoute("12345-RF2");
  Drain(*projector_);
  v1::ListTicketsRequest req;
  req.set_unit_code(kCounty);
  req.set_breached_only(true);
  EXPECT_THAT(Ids(List(req)), ElementsAre(whole));
  req.set_breached_only(false);
  req.add_statuses(client_->Get(whole).status());
  EXPECT_THAT(Ids(List(req)), ElementsAre(whole));
  req.clear_statuses();
  req.set_supervision_tier(v1::TIER_COMMUNITY);
  EXPECT_THAT(Ids(List(req)), ::testing::Contains(plain));
  req.clear_supervision_tier();
  req.add_categories(client_->Get(plain).complaint().category());
  EXPECT_EQ(List(req).tickets_size(), 2);  // both complaints are of the sample's category
  // Another county sees neither.
  EXPECT_TRUE(ListUnit(kOtherCounty).tickets().empty());
}

TEST_F(ReadModelReadsTest, BreachesAreListedFromTheReadModelByTheSubtreeTheyCountAgainst) {
  const std::string id = OneWholeCase("12345-RB1");
  Drain(*projector_);
  v1::ListBreachesResponse county = Breaches(kCounty);
  ASSERT_EQ(county.breaches_size(), 1);
  const v1::Breach& b = county.breaches(0);
  EXPECT_EQ(b.ticket_id(), id);
  EXPECT_EQ(b.clock(), v1::CLOCK_KIND_PRELIMINARY);
  EXPECT_EQ(b.unit_code(), escalation::kCommunity);
  EXPECT_EQ(b.tier(), v1::TIER_COMMUNITY);
  EXPECT_TRUE(b.has_deadline());
  EXPECT_TRUE(b.has_detected_at());
  EXPECT_GT(FromProto(b.breached_by()), absl::ZeroDuration());
  EXPECT_TRUE(county.read_model().has_caught_up_to());
  EXPECT_EQ(Breaches(kTownship).breaches_size(), 1);
  EXPECT_EQ(Breaches(kOtherCounty).breaches_size(), 0);
  grpc::Status status;
  Breaches("999999", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReadModelReadsTest, AHistoryHoldsTheEventsTheReadModelHasNotTakenInYet) {
  const std::string id = SubmitAndRoute("12345-RH1");
  Drain(*projector_);
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
  // Two events are only in the stream; the history has them all, in order, in any page size.
  const std::vector<int64_t> all = Versions(client_->Events(id));
  ASSERT_EQ(all.back(), t.version());
  EXPECT_THAT(Versions(client_->History(id)), ElementsAreArray(all));
  EXPECT_THAT(Versions(client_->History(id, 1)), ElementsAreArray(all));
  EXPECT_THAT(Versions(client_->History(id, 2)), ElementsAreArray(all));
  Drain(*projector_);
  EXPECT_THAT(Versions(client_->History(id, 1)), ElementsAreArray(all));
}

TEST_F(ReadModelReadsTest, AHistoryDoesNotSkipAnEventAnotherProjectorHasNotAppliedYet) {
  const std::string id = SubmitAndRoute("12345-RH2");
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t).ok());
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t).ok());
  Drain(*projector_);
  // As if another projector still held the routing event: the read model has 1, 3 and 4.
  ASSERT_THAT(live_->Exec("DELETE FROM ticket_events WHERE ticket_id = $1 AND version = 2",
                          {pg::Text(id)}),
              IsOk());
  const std::vector<int64_t> all = Versions(client_->Events(id));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_THAT(Versions(client_->History(id)), ElementsAreArray(all));
  EXPECT_THAT(Versions(client_->History(id, 1)), ElementsAreArray(all));
}

TEST_F(ReadModelReadsTest, ATicketGoneFromRedisIsReadWithItsWholeHistoryFromTheArchive) {
  const std::string id = OneWholeCase("12345-RA1");
  const v1::Ticket live = client_->Get(id);
  const std::vector<int64_t> history = Versions(client_->History(id));
  Drain(*projector_);
  RemoveFromRedis(id, "12345-RA1");

  const v1::Ticket archived = client_->Get(id);
  EXPECT_EQ(archived.version(), live.version());
  EXPECT_EQ(archived.status(), live.status());
  EXPECT_EQ(archived.complaint().complainant().phone(), live.complaint().complainant().phone())
      << "masked the same way";
  EXPECT_THAT(Versions(client_->History(id)), ElementsAreArray(history));
  EXPECT_THAT(Versions(client_->History(id, 2)), ElementsAreArray(history));
  v1::Ticket found;
  ASSERT_TRUE(LookupWorkOrder("12345-RA1", &found).ok());
  EXPECT_EQ(found.ticket_id(), id);
  // Still listed.
  EXPECT_THAT(Ids(ListUnit(kCounty)), ElementsAre(id));
}

TEST_F(ReadModelReadsTest, WithPostgresDownListsAreUnavailableWhileIntakeClocksAndHistoriesGoOn) {
  const std::string id = SubmitAndRoute("12345-RD1");
  Drain(*projector_);
  ASSERT_THAT(pg_server_.Stop(), IsOk());
  grpc::Status status;
  ListUnit(kCounty, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  Breaches(kCounty, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  const std::string later = SubmitAndRoute("12345-RD2");  // intake needs only Redis
  EXPECT_THAT(Versions(client_->History(later)), ElementsAreArray(Versions(client_->Events(later))));
  EXPECT_EQ(client_->Get(id).ticket_id(), id);
  // The clocks run on Redis alone: the assign clock of the ticket accepted meanwhile breaches
  // on time (nobody signed for it) and the ticket climbs to the township.
  const absl::Time accepted = FromProto(client_->Get(later).accepted_at());
  EXPECT_GT(FireAt(accepted + absl::Minutes(31)), 0);
  bool breached = false, escalated = false;
  for (const v1::TicketEvent& e : client_->Events(later)) {
    breached |= e.has_breached() && e.breached().clock() == v1::CLOCK_KIND_ASSIGN;
    escalated |= e.has_escalated();
  }
  EXPECT_TRUE(breached);
  EXPECT_TRUE(escalated);

  ASSERT_THAT(pg_server_.Start(), IsOk());
  (void)projector_->RunOnce(absl::ZeroDuration());  // finds its connection lost, reconnects next
  Drain(*projector_);
  EXPECT_THAT(Ids(ListUnit(kCounty)), ::testing::UnorderedElementsAre(later, id));
}

}  // namespace
}  // namespace dispatch::readmodel
