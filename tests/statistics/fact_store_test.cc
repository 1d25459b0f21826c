// The statistics facts kept in the read model (services/statistics/fact_store.h) and served by
// StatisticsService (statistics_service.h), against real PostgreSQL and Redis through a real
// dispatchd: the incremental facts equal a month recomputed from the events, folding again
// changes nothing, a reopen takes the closure's facts back out of the totals, and scorecards,
// the tickets behind them, rankings and company records read them.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dispatch/v1/statistics.grpc.pb.h"
#include "services/statistics/fact_store.h"
#include "tests/readmodel/read_model_fixture.h"

namespace dispatch::statistics {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kCommunity[] = "430923100001";  // 城东社区
constexpr char kTownship[] = "430923100";      // 东坪镇
constexpr char kCounty[] = "430923";           // 安化县

class FactStoreTest : public readmodel::ReadModelFixture {
 protected:
  std::string StackConfig() override {
    return absl::StrCat("services: 'statistics' read_model { conninfo: '", live_conninfo_, "' }");
  }

  void SetUp() override {
    ReadModelFixture::SetUp();
    facts_pg_ = Open(live_conninfo_);
    FactStore::Options options;
    absl::LoadTimeZone("Asia/Shanghai", &options.zone);
    options.batch = 3;  // several transactions even for a few tickets
    options.fold_delay = absl::ZeroDuration();
    options.clock = &store_clock_;  // the month close's clock, moved by the tests that close
    facts_ = std::make_unique<FactStore>(facts_pg_.get(), org_.get(), options);
    stats_ = v1::StatisticsService::NewStub(stack_.channel());
  }

  // Projects everything, then folds everything queued.
  void Fold() {
    Drain(*projector_);
    for (;;) {
      auto n = facts_->RunOnce();
      ASSERT_THAT(n, IsOk());
      if (*n == 0) return;
    }
  }

  absl::CivilMonth MonthOf(const std::string& id) {
    absl::TimeZone shanghai;
    absl::LoadTimeZone("Asia/Shanghai", &shanghai);
    return absl::ToCivilMonth(FromProto(client_->Get(id).accepted_at()), shanghai);
  }

  // "measure numerator/denominator" of every rate of the unit's scorecard.
  std::vector<std::string> Scorecard(const std::string& unit, absl::CivilMonth month,
                                     v1::Scorecard* out = nullptr) {
    grpc::ClientContext ctx;
    v1::GetScorecardRequest req;
    req.set_unit_code(unit);
    req.set_month(absl::FormatCivilTime(month));
    v1::Scorecard card;
    grpc::Status s = stats_->GetScorecard(&ctx, req, &card);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> lines;
    for (const v1::Rate& r : card.rates()) {
      lines.push_back(absl::StrCat(v1::Measure_Name(r.measure()), " ", r.numerator(), "/",
                                   r.denominator()));
    }
    if (out != nullptr) *out = card;
    return lines;
  }

  std::string Digest() {
    std::string out;
    for (const char* t : {"ticket_facts", "fact_units", "unit_month_totals", "company_complaints"}) {
      absl::StrAppend(&out, t, ": ",
                      Text(*live_, absl::StrCat("SELECT count(*) || ' ' || md5(coalesce(string_agg("
                                                "x::text, '|' ORDER BY x::text), '')) FROM ",
                                                t, " x")),
                      "\n");
    }
    return out;
  }

  // A closed case (OneWholeCase: the 3-hour clock breached), a ticket returned by the
  // community, and one still open with its clocks running.
  std::vector<std::string> ThreeCases() {
    std::vector<std::string> ids;
    ids.push_back(OneWholeCase("12345-S1"));
    const std::string returned = SubmitAndRoute("12345-S2");
    v1::Ticket t;
    grpc::Status s = client_->Return(client_->Get(returned), "h-cd-wgy", &t);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ids.push_back(returned);
    ids.push_back(SubmitAndRoute("12345-S3"));
    return ids;
  }

  std::unique_ptr<pg::Connection> facts_pg_;
  FakeClock store_clock_{clock_.Now()};
  std::unique_ptr<FactStore> facts_;
  std::unique_ptr<v1::StatisticsService::Stub> stats_;
};

TEST_F(FactStoreTest, AMonthRecomputedFromScratchEqualsTheIncrementallyMaintainedOneTicketForTicket) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  auto check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->tickets, 3);
  EXPECT_GE(check->facts, 6);  // response, resolution, satisfaction, on time, redo, returns
  EXPECT_EQ(check->difference_count, 0) << absl::StrJoin(check->differences, "\n");

  // A stored fact that is not what the events say is found, and so is a total.
  ASSERT_THAT(live_->Exec("UPDATE ticket_facts SET numerator = NOT numerator "
                          "WHERE ticket_id = $1 AND measure = 0 AND seq = 0",
                          {pg::Text(ids[0])}),
              IsOk());
  ASSERT_THAT(live_->Exec("UPDATE unit_month_totals SET denominator = denominator + 1 "
                          "WHERE unit_code = $1 AND measure = 3",
                          {pg::Text(kCounty)}),
              IsOk());
  check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->difference_count, 2) << absl::StrJoin(check->differences, "\n");
  EXPECT_THAT(absl::StrJoin(check->differences, "\n"), HasSubstr(ids[0] + " response#0"));
  EXPECT_THAT(absl::StrJoin(check->differences, "\n"), HasSubstr("total 430923 on_time"));
}

TEST_F(FactStoreTest, FoldingEveryTicketAgainChangesNothing) {
  ThreeCases();
  Fold();
  const std::string before = Digest();
  ASSERT_THAT(live_->Exec("INSERT INTO fact_queue (ticket_id) SELECT ticket_id FROM tickets"),
              IsOk());
  Fold();
  EXPECT_EQ(Digest(), before);
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM fact_queue"), 0);
}

TEST_F(FactStoreTest, AChangeIsFoldedOnceItIsFoldDelayOldTogetherWithTheLaterChangesOfItsTicket) {
  const std::string first = SubmitAndRoute("12345-S5");
  const std::string second = SubmitAndRoute("12345-S6");
  Drain(*projector_);
  v1::Ticket t;
  ASSERT_TRUE(client_->Assign(client_->Get(first), "h-cd-wgy", &t).ok());
  Drain(*projector_);  // `first` is queued twice now, `second` once
  FactStore::Options options;
  absl::LoadTimeZone("Asia/Shanghai", &options.zone);
  options.fold_delay = absl::Hours(1);
  FactStore delayed(facts_pg_.get(), org_.get(), options);
  EXPECT_THAT(delayed.RunOnce(), IsOkAndHolds(0));
  EXPECT_EQ(Count(*live_, "SELECT count(*) FROM ticket_facts"), 0);

  // The first change of `first` is an hour old: both of its rows go, `second` waits.
  ASSERT_THAT(live_->Exec("UPDATE fact_queue SET queued_at = now() - interval '2 hours' "
                          "WHERE seq = (SELECT min(seq) FROM fact_queue WHERE ticket_id = $1)",
                          {pg::Text(first)}),
              IsOk());
  EXPECT_THAT(delayed.RunOnce(), IsOkAndHolds(2));
  EXPECT_THAT(Column(*live_, "SELECT DISTINCT ticket_id FROM ticket_facts"), ElementsAre(first));
  EXPECT_THAT(Column(*live_, "SELECT ticket_id FROM fact_queue"), ElementsAre(second));
}

TEST_F(FactStoreTest, TheStatisticsWaitWhileTheProjectorIsBehindButNotForEver) {
  SubmitAndRoute("12345-S7");
  Drain(*projector_);  // its progress is recorded now
  EXPECT_THAT(facts_->ProjectorBehind(), IsOkAndHolds(false));
  // No progress for five seconds: behind.
  ASSERT_THAT(live_->Exec("UPDATE projector_progress SET updated_at = now() - interval '5 s'"),
              IsOk());
  EXPECT_THAT(facts_->ProjectorBehind(), IsOkAndHolds(true));
  // A change queued longer than max_yield (10 minutes) is folded all the same.
  ASSERT_THAT(live_->Exec("UPDATE fact_queue SET queued_at = now() - interval '11 minutes'"),
              IsOk());
  EXPECT_THAT(facts_->ProjectorBehind(), IsOkAndHolds(false));
}

TEST_F(FactStoreTest, AScorecardCountsItsSubtreeAndListsTheTicketsBehindEachNumber) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  // The closed case: its 3-hour clock breached (no response), solved and satisfied, on time,
  // not redone. The returned ticket: one dispatch of two returned; the open one: its dispatch.
  const std::vector<std::string> expected = {
      "MEASURE_RESPONSE 0/1",    "MEASURE_RESOLUTION 1/1", "MEASURE_SATISFACTION 1/1",
      "MEASURE_ON_TIME 1/1",     "MEASURE_RETURN 1/3",     "MEASURE_REDO 0/1"};
  v1::Scorecard card;
  EXPECT_EQ(Scorecard(kCommunity, month, &card), expected);
  // The breach raised the closed case to the township (督办), which had it resolved before its
  // supervision deadline: one more response, met, charged to the township (and so the county).
  std::vector<std::string> supervised = expected;
  supervised[0] = "MEASURE_RESPONSE 1/2";
  EXPECT_EQ(Scorecard(kTownship, month), supervised);
  EXPECT_EQ(Scorecard(kCounty, month), supervised);
  // 10 % * 0 + 45 % * 100 + 45 % * 100.
  ASSERT_TRUE(card.has_composite());
  EXPECT_DOUBLE_EQ(card.composite(), 90);
  EXPECT_EQ(card.unit_name(), "城东社区");
  EXPECT_TRUE(card.position().read_model().has_caught_up_to());
  EXPECT_FALSE(card.position().has_unfolded_since());
  // Nothing in the next month.
  EXPECT_EQ(Scorecard(kCommunity, month + 1)[0], "MEASURE_RESPONSE 0/0");

  // The returns behind 1/3, one a page, and only the returned one.
  grpc::ClientContext ctx;
  v1::ListScorecardTicketsRequest req;
  req.set_unit_code(kTownship);
  req.set_month(absl::FormatCivilTime(month));
  req.set_measure(v1::MEASURE_RETURN);
  req.set_page_size(2);
  v1::ListScorecardTicketsResponse page;
  ASSERT_TRUE(stats_->ListScorecardTickets(&ctx, req, &page).ok());
  EXPECT_EQ(page.tickets_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  grpc::ClientContext ctx2;
  req.set_page_token(page.next_page_token());
  v1::ListScorecardTicketsResponse rest;
  ASSERT_TRUE(stats_->ListScorecardTickets(&ctx2, req, &rest).ok());
  EXPECT_EQ(rest.tickets_size(), 1);
  EXPECT_TRUE(rest.next_page_token().empty());
  grpc::ClientContext ctx3;
  req.clear_page_token();
  req.set_numerator(true);
  v1::ListScorecardTicketsResponse returned;
  ASSERT_TRUE(stats_->ListScorecardTickets(&ctx3, req, &returned).ok());
  ASSERT_EQ(returned.tickets_size(), 1);
  EXPECT_EQ(returned.tickets(0).ticket_id(), ids[1]);
  EXPECT_EQ(returned.tickets(0).charged_unit_code(), kCommunity);
}

TEST_F(FactStoreTest, AReopenTakesTheClosuresFactsBackOutOfTheTotalsUntilItClosesAgain) {
  const std::string id = OneWholeCase("12345-S4");
  Fold();
  const absl::CivilMonth month = MonthOf(id);
  EXPECT_THAT(Scorecard(kCommunity, month)[1], "MEASURE_RESOLUTION 1/1");
  // A false closure found by the county's revisit reopens it.
  v1::Ticket t;
  ASSERT_TRUE(client_->Revisit(client_->Get(id), "supervisor-2", v1::TIER_COUNTY,
                               v1::SATISFACTION_DISSATISFIED, &t, "rv2-S4", true)
                  .ok());
  ASSERT_NE(t.status(), v1::TICKET_STATUS_CLOSED);
  Fold();
  const std::vector<std::string> reopened = Scorecard(kCommunity, month);
  EXPECT_EQ(reopened[1], "MEASURE_RESOLUTION 0/0");
  EXPECT_EQ(reopened[2], "MEASURE_SATISFACTION 0/0");
  EXPECT_EQ(reopened[3], "MEASURE_ON_TIME 0/0");
  EXPECT_EQ(reopened[5], "MEASURE_REDO 0/0");

  // Handled again and closed: counted once, at the final closure, as a redo, with the verdict
  // of the first reached revisit (satisfied).
  ASSERT_TRUE(client_->Assign(client_->Get(id), "h-cd-wgy", &t, "assign-2").ok());
  ASSERT_TRUE(client_->SignFor(t, "h-cd-wgy", &t, "sign-2").ok());
  ASSERT_TRUE(client_->Contact(t, "h-cd-wgy", &t, "contact-2").ok());
  ASSERT_TRUE(client_->Resolve(t, "h-cd-wgy", &t, "resolve-2").ok());
  ASSERT_TRUE(client_->Revisit(t, "supervisor-1", v1::TIER_TOWNSHIP, v1::SATISFACTION_SATISFIED,
                               &t, "rv3-S4")
                  .ok());
  ASSERT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  Fold();
  const std::vector<std::string> closed = Scorecard(kCommunity, month);
  EXPECT_EQ(closed[1], "MEASURE_RESOLUTION 1/1");
  EXPECT_EQ(closed[2], "MEASURE_SATISFACTION 1/1");
  EXPECT_EQ(closed[5], "MEASURE_REDO 1/1");
  auto check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->difference_count, 0) << absl::StrJoin(check->differences, "\n");
}

TEST_F(FactStoreTest, RankingsOrderTheChildrenOfAUnitAndAnUnknownMonthIsRefused) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  grpc::ClientContext ctx;
  v1::ListRankingsRequest req;
  req.set_parent_unit_code(kTownship);
  req.set_month(absl::FormatCivilTime(MonthOf(ids[0])));
  v1::ListRankingsResponse resp;
  grpc::Status s = stats_->ListRankings(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.order_by(), v1::MEASURE_COMPOSITE);
  ASSERT_GE(resp.rankings_size(), 2);
  // 城东社区 has a score; the township's other communities have none and share the last rank.
  EXPECT_EQ(resp.rankings(0).unit_code(), kCommunity);
  EXPECT_EQ(resp.rankings(0).rank(), 1);
  EXPECT_FALSE(resp.rankings(1).has_composite());
  EXPECT_EQ(resp.rankings(1).rank(), 2);
  EXPECT_EQ(resp.rankings(resp.rankings_size() - 1).rank(), 2);

  grpc::ClientContext bad;
  req.set_month("2026-13");
  s = stats_->ListRankings(&bad, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("month: must be a month \"YYYY-MM\""));
}

TEST_F(FactStoreTest, AMonthExportsAsCsvWithOneRowAUnitOfTheSubtreeRankedAmongItsSiblings) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  grpc::ClientContext ctx;
  v1::ExportMonthRequest req;
  req.set_unit_code(kTownship);
  req.set_month(absl::FormatCivilTime(MonthOf(ids[0])));
  v1::ExportMonthResponse resp;
  grpc::Status s = stats_->ExportMonth(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> lines = absl::StrSplit(resp.csv(), "\r\n", absl::SkipEmpty());
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "unit_code,unit_name,tier,parent_code,response_numerator,response_denominator,"
            "resolution_numerator,resolution_denominator,satisfaction_numerator,"
            "satisfaction_denominator,on_time_numerator,on_time_denominator,return_numerator,"
            "return_denominator,redo_numerator,redo_denominator,composite,rank_among_siblings");
  // The township: its community's figures and its own supervision round (met): response 1/2,
  // composite 10 % * 50 + 45 % * 100 + 45 % * 100 = 95.
  EXPECT_EQ(lines[1], "430923100,东坪镇,TIER_TOWNSHIP,430923,1,2,1,1,1,1,1,1,1,3,0,1,95.00,");
  EXPECT_EQ(lines[2],
            "430923100001,城东社区,TIER_COMMUNITY,430923100,0,1,1,1,1,1,1,1,1,3,0,1,90.00,1");
  // The township's other communities: nothing counted, last among the siblings.
  EXPECT_THAT(lines[3], ::testing::EndsWith(",0,0,0,0,0,0,0,0,0,0,0,0,,2"));
}

constexpr char kCuiyuan[] = "91430923MA4L000016";   // serves 翠苑一区 (the sample complaint's)
constexpr char kBinjiang[] = "91430923MA4L000029";  // serves 滨江花园

TEST_F(FactStoreTest, ACompanysRecordCountsItsComplaintsInTheWindowAndListsThem) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  grpc::ClientContext ctx;
  v1::GetCompanyRecordRequest req;
  // By its registered name: the record is kept under its credit code (the sample complaints are
  // about 翠苑一区, which it serves).
  req.set_company("安化翠苑物业服务有限公司");
  req.set_month(absl::FormatCivilTime(MonthOf(ids[0])));
  v1::CompanyRecord record;
  grpc::Status s = stats_->GetCompanyRecord(&ctx, req, &record);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(record.company(), kCuiyuan);
  EXPECT_EQ(record.credit_code(), kCuiyuan);
  EXPECT_EQ(record.name(), "安化翠苑物业服务有限公司");
  EXPECT_EQ(record.complaints(), 3);
  EXPECT_EQ(record.substantiated(), 1);  // the closed case was found substantiated
  EXPECT_EQ(record.reached(), 1);
  EXPECT_EQ(record.satisfied(), 1);
  EXPECT_DOUBLE_EQ(record.satisfaction_percent(), 100);
  EXPECT_FALSE(record.exit_trigger());
  ASSERT_EQ(record.listed_size(), 3);
  EXPECT_EQ(record.listed(2).ticket_id(), ids[0]);  // newest first
  EXPECT_TRUE(record.listed(2).substantiated());

  // A window that ends before the complaints: nothing.
  grpc::ClientContext earlier;
  req.set_month(absl::FormatCivilTime(MonthOf(ids[0]) - 1));
  ASSERT_TRUE(stats_->GetCompanyRecord(&earlier, req, &record).ok());
  EXPECT_EQ(record.complaints(), 0);
  EXPECT_EQ(record.listed_size(), 0);
}

// The record of `company` (a code or a name) for the month of `id`.
v1::CompanyRecord Record(v1::StatisticsService::Stub* stats, const std::string& company,
                         absl::CivilMonth month) {
  grpc::ClientContext ctx;
  v1::GetCompanyRecordRequest req;
  req.set_company(company);
  req.set_month(absl::FormatCivilTime(month));
  v1::CompanyRecord record;
  grpc::Status s = stats->GetCompanyRecord(&ctx, req, &record);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return record;
}

TEST_F(FactStoreTest, ACorrectedCompanyTakesTheComplaintWithItsVerdictToTheOtherCompanysRecord) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  ASSERT_EQ(Record(stats_.get(), kCuiyuan, month).substantiated(), 1);
  // The closed, substantiated case was about 滨江物业 after all (found at an audit).
  v1::Ticket t;
  grpc::Status s = client_->SetCompany(client_->Get(ids[0]), "desk-1", kBinjiang, &t);
  ASSERT_TRUE(s.ok()) << s.error_message();
  Fold();
  v1::CompanyRecord cuiyuan = Record(stats_.get(), kCuiyuan, month);
  v1::CompanyRecord binjiang = Record(stats_.get(), kBinjiang, month);
  EXPECT_EQ(cuiyuan.complaints(), 2);
  EXPECT_EQ(cuiyuan.substantiated(), 0);
  EXPECT_EQ(binjiang.complaints(), 1);
  EXPECT_EQ(binjiang.substantiated(), 1);
  EXPECT_EQ(binjiang.reached(), 1);
  EXPECT_EQ(binjiang.name(), "安化滨江物业管理有限公司");
  ASSERT_EQ(binjiang.listed_size(), 1);
  EXPECT_EQ(binjiang.listed(0).ticket_id(), ids[0]);
  auto check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->difference_count, 0) << absl::StrJoin(check->differences, "\n");

  // Then about no company of the organisation at all, although its complaint names one by its
  // registered name: in no record.
  ASSERT_TRUE(client_->SetCompany(t, "desk-1", "", &t, "company-2").ok());
  ASSERT_THAT(live_->Exec("UPDATE tickets SET property_company = '安化滨江物业管理有限公司' "
                          "WHERE ticket_id = $1",
                          {pg::Text(ids[0])}),
              IsOk());
  Fold();
  EXPECT_EQ(Record(stats_.get(), kBinjiang, month).complaints(), 0);
  EXPECT_EQ(Record(stats_.get(), kCuiyuan, month).complaints(), 2);
}

TEST_F(FactStoreTest, ACompanyTheOrganisationDoesNotListKeepsARecordUnderTheNameComplaintsGive) {
  v1::SubmitComplaintRequest req = testing::HotlineComplaint("12345-UNLISTED");
  req.mutable_complaint()->mutable_location()->set_estate_name("茶乡名居");  // no company listed
  req.mutable_complaint()->mutable_location()->clear_address();
  req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->clear_community_code();
  req.mutable_complaint()->set_property_company("茶乡物业");
  const std::string id = client_->Submit(req);
  ASSERT_EQ(client_->Get(id).property_company_code(), "");
  Fold();
  v1::CompanyRecord record = Record(stats_.get(), "茶乡物业", MonthOf(id));
  EXPECT_EQ(record.company(), "茶乡物业");
  EXPECT_EQ(record.credit_code(), "");
  EXPECT_EQ(record.complaints(), 1);
  EXPECT_EQ(Record(stats_.get(), kCuiyuan, MonthOf(id)).complaints(), 0);
}

TEST_F(FactStoreTest, AMonthIsFinalFromTheCloseDayOfTheNextMonthAndALaterCorrectionIsARecordedAdjustmentNotASilentChange) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  absl::TimeZone shanghai;
  absl::LoadTimeZone("Asia/Shanghai", &shanghai);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d %H:%M:%S", facts_->CloseInstant(month), shanghai),
            absl::StrCat(absl::FormatCivilTime(month + 1), "-06 00:00:00"));
  const std::vector<std::string> before = Scorecard(kCounty, month);

  // A millisecond before: still open.
  store_clock_.Set(facts_->CloseInstant(month) - absl::Milliseconds(1));
  EXPECT_THAT(facts_->CloseDueMonths(), IsOkAndHolds(0));
  v1::Scorecard card;
  Scorecard(kCounty, month, &card);
  EXPECT_FALSE(card.final());
  // Due, but the fold is behind (a change queued two minutes ago): not yet.
  store_clock_.Set(facts_->CloseInstant(month));
  ASSERT_THAT(live_->Exec("INSERT INTO fact_queue (ticket_id, queued_at) "
                          "VALUES ($1, now() - interval '2 minutes')",
                          {pg::Text(ids[1])}),
              IsOk());
  EXPECT_THAT(facts_->CloseDueMonths(), IsOkAndHolds(0));
  Fold();
  EXPECT_THAT(facts_->CloseDueMonths(), IsOkAndHolds(1));
  EXPECT_THAT(facts_->CloseDueMonths(), IsOkAndHolds(0));  // once

  // A later revisit finds the closed case's complainant dissatisfied: it is reopened, and its
  // closure's facts leave the live figures.
  v1::Ticket t;
  grpc::Status s = client_->Revisit(client_->Get(ids[0]), "supervisor-1", v1::TIER_TOWNSHIP,
                                    v1::SATISFACTION_DISSATISFIED, &t, "rv-after-close");
  ASSERT_TRUE(s.ok()) << s.error_message();
  store_clock_.Advance(absl::Hours(1));
  Fold();

  // The published figures stand, and the change is recorded beside them.
  EXPECT_EQ(Scorecard(kCounty, month, &card), before);
  EXPECT_TRUE(card.final());
  EXPECT_EQ(FromProto(card.closed_at()), facts_->CloseInstant(month));
  std::map<v1::Measure, std::string> adjusted;
  for (const v1::RateAdjustment& a : card.adjustments()) {
    adjusted[a.measure()] = absl::StrCat(a.numerator_delta(), "/", a.denominator_delta());
  }
  EXPECT_EQ(adjusted[v1::MEASURE_RESOLUTION], "-1/-1");  // it was solved and is no longer closed
  EXPECT_EQ(adjusted[v1::MEASURE_SATISFACTION], "-1/-1");
  grpc::ClientContext ctx;
  v1::ListAdjustmentsRequest req;
  req.set_unit_code(kCommunity);
  req.set_month(absl::FormatCivilTime(month));
  req.set_page_size(1);
  v1::ListAdjustmentsResponse page;
  ASSERT_TRUE(stats_->ListAdjustments(&ctx, req, &page).ok());
  ASSERT_EQ(page.adjustments_size(), 1);
  EXPECT_EQ(page.adjustments(0).ticket_id(), ids[0]);
  EXPECT_EQ(page.adjustments(0).charged_unit_code(), kCommunity);
  EXPECT_EQ(FromProto(page.adjustments(0).recorded_at()), store_clock_.Now());
  EXPECT_FALSE(page.next_page_token().empty());
  // The rankings of the closed month are those of the published figures too.
  grpc::ClientContext rank_ctx;
  v1::ListRankingsRequest rank_req;
  rank_req.set_parent_unit_code(kTownship);
  rank_req.set_month(absl::FormatCivilTime(month));
  v1::ListRankingsResponse ranks;
  ASSERT_TRUE(stats_->ListRankings(&rank_ctx, rank_req, &ranks).ok());
  EXPECT_TRUE(ranks.final());

  // Published + adjustments = what is kept live, checked by the recompute; a lost adjustment
  // is found.
  auto check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(check->difference_count, 0) << absl::StrJoin(check->differences, "\n");
  ASSERT_THAT(live_->Exec("DELETE FROM fact_adjustments WHERE measure = 1"), IsOk());
  check = facts_->Recompute(month);
  ASSERT_THAT(check, IsOk());
  EXPECT_GE(check->difference_count, 1);
  EXPECT_THAT(absl::StrJoin(check->differences, "\n"),
              HasSubstr("published+adjusted 430923 resolution"));
}

TEST_F(FactStoreTest, AMonthIsClosedWithAFoldInFlightEitherInItsFiguresOrAsAnAdjustment) {
  // A close waits for a fold that holds the close lock shared: here a fold's transaction is
  // held open by hand, and the close runs on another connection.
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  auto other = Open(live_conninfo_);
  FactStore closer(other.get(), org_.get(), [&] {
    FactStore::Options o;
    absl::LoadTimeZone("Asia/Shanghai", &o.zone);
    o.clock = &store_clock_;
    return o;
  }());
  store_clock_.Set(facts_->CloseInstant(month));
  auto holder = Open(live_conninfo_);
  ASSERT_THAT(holder->Exec("BEGIN"), IsOk());
  ASSERT_THAT(holder->Exec("SELECT pg_advisory_xact_lock_shared($1, 0)", {pg::Int(0x5354 + 1)}),
              IsOk());
  std::atomic<bool> closed{false};
  std::thread close([&] {
    EXPECT_THAT(closer.CloseDueMonths(), IsOkAndHolds(1));
    closed = true;
  });
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(closed.load()) << "the close waits for the fold in flight";
  ASSERT_THAT(holder->Exec("COMMIT"), IsOk());
  close.join();
  EXPECT_TRUE(closed.load());
}

// "credit_code year score" of every company on `list` for `month`, and whether final.
std::vector<std::string> Listed(v1::StatisticsService::Stub* stats, absl::CivilMonth month,
                                v1::CompanyList list, bool* final = nullptr) {
  grpc::ClientContext ctx;
  v1::ListCompanyListsRequest req;
  req.set_month(absl::FormatCivilTime(month));
  req.set_list(list);
  v1::ListCompanyListsResponse resp;
  grpc::Status s = stats->ListCompanyLists(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (final != nullptr) *final = resp.final();
  std::vector<std::string> out;
  for (const v1::ListedCompany& c : resp.companies()) {
    out.push_back(absl::StrCat(c.credit_code(), " ", c.latest_year(), " ", c.latest_score()));
  }
  return out;
}

grpc::Status Evaluate(v1::StatisticsService::Stub* stats, const std::string& code, int64_t year,
                      double score) {
  grpc::ClientContext ctx;
  v1::RecordCreditEvaluationRequest req;
  req.set_credit_code(code);
  req.set_year(static_cast<int32_t>(year));
  req.set_score(score);
  req.set_note("市住建局年度信用评价");
  v1::CreditEvaluation resp;
  return stats->RecordCreditEvaluation(&ctx, req, &resp);
}

TEST_F(FactStoreTest, BelowNinetyTwoYearsRunningIsTheBlackListAndTheListsArePublishedAtTheMonthsClose) {
  const std::vector<std::string> ids = ThreeCases();
  Fold();
  const absl::CivilMonth month = MonthOf(ids[0]);
  const int64_t y = month.year();
  constexpr char kDongfeng[] = "91430902MA4L00003Y";
  ASSERT_TRUE(Evaluate(stats_.get(), kCuiyuan, y - 2, 85).ok());
  ASSERT_TRUE(Evaluate(stats_.get(), kCuiyuan, y - 1, 88.5).ok());
  ASSERT_TRUE(Evaluate(stats_.get(), kBinjiang, y - 1, 89.99).ok());
  ASSERT_TRUE(Evaluate(stats_.get(), kDongfeng, y - 1, 97).ok());
  bool final = true;
  EXPECT_THAT(Listed(stats_.get(), month, v1::COMPANY_LIST_BLACK, &final),
              ElementsAre(absl::StrCat(kCuiyuan, " ", y - 1, " 88.5")));
  EXPECT_FALSE(final);
  EXPECT_THAT(Listed(stats_.get(), month, v1::COMPANY_LIST_RISK_NOTICE),
              ElementsAre(absl::StrCat(kCuiyuan, " ", y - 1, " 88.5"),
                          absl::StrCat(kBinjiang, " ", y - 1, " 89.99")));
  EXPECT_THAT(Listed(stats_.get(), month, v1::COMPANY_LIST_RED), ElementsAre());  // no rule set

  // Published at the close: a score recorded afterwards changes the live lists, not the
  // month's.
  store_clock_.Set(facts_->CloseInstant(month));
  ASSERT_THAT(facts_->CloseDueMonths(), IsOkAndHolds(1));
  ASSERT_TRUE(Evaluate(stats_.get(), kBinjiang, y - 2, 80).ok());
  EXPECT_THAT(Listed(stats_.get(), month, v1::COMPANY_LIST_BLACK, &final),
              ElementsAre(absl::StrCat(kCuiyuan, " ", y - 1, " 88.5")));
  EXPECT_TRUE(final);
  EXPECT_THAT(Listed(stats_.get(), month + 1, v1::COMPANY_LIST_BLACK, &final),
              ElementsAre(absl::StrCat(kCuiyuan, " ", y - 1, " 88.5"),
                          absl::StrCat(kBinjiang, " ", y - 1, " 89.99")));
  EXPECT_FALSE(final);
}

TEST_F(FactStoreTest, ACreditEvaluationNamesAKnownCompanyAPastOrCurrentYearAndAScoreOutOfAHundred) {
  absl::TimeZone shanghai;
  absl::LoadTimeZone("Asia/Shanghai", &shanghai);
  const int64_t y = absl::ToCivilYear(clock_.Now(), shanghai).year();
  grpc::Status s = Evaluate(stats_.get(), "91350100M000100Y43", y - 1, 90);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("credit_code"));
  s = Evaluate(stats_.get(), kCuiyuan, y + 1, 90);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("year"));
  for (double bad : {100.5, -1.0, 88.125}) {
    s = Evaluate(stats_.get(), kCuiyuan, y - 1, bad);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("score")) << bad;
  }
  EXPECT_EQ(Text(*live_, "SELECT count(*) FROM credit_evaluations"), "0") << "nothing written";
}

}  // namespace
}  // namespace dispatch::statistics
