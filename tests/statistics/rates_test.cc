// The monthly rates (DOMAIN.md §7a) and the property-company exit trigger (§5), as the rules
// state them (services/statistics/rates.h). Hand-built histories: a community (430923100001)
// under a township (430923100) under a county (430923).
#include "services/statistics/rates.h"

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/testing/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dispatch::statistics {
namespace {

using ::dispatch::testing::Shanghai;
using ::dispatch::testing::ShanghaiZone;

constexpr char kCommunity[] = "430923100001";
constexpr char kOtherCommunity[] = "430923100002";
constexpr char kTownship[] = "430923100";
constexpr char kCounty[] = "430923";

// The tree above: who supervises a ticket of the community at each tier.
std::string SupervisorOfTree(const std::string& unit, v1::Tier tier) {
  if (unit != kCommunity && unit != kOtherCommunity) return "";
  switch (tier) {
    case v1::TIER_TOWNSHIP: return kTownship;
    case v1::TIER_COUNTY: return kCounty;
    default: return "";
  }
}

// A ticket's history, built in the order things happen; each event at a Shanghai time.
class History {
 public:
  // Accepted at `at` with the default clocks: assign 30 min, preliminary 3 h, resolve 3 days.
  explicit History(absl::Time at) {
    auto& e = Add(at);
    for (auto [kind, after] : {std::pair{v1::CLOCK_KIND_ASSIGN, absl::Minutes(30)},
                               std::pair{v1::CLOCK_KIND_PRELIMINARY, absl::Hours(3)},
                               std::pair{v1::CLOCK_KIND_RESOLVE, absl::Hours(72)}}) {
      v1::SlaClock* c = e.mutable_accepted()->add_clocks();
      c->set_kind(kind);
      c->set_round(1);
      *c->mutable_started_at() = ToProto(at);
      *c->mutable_deadline() = ToProto(at + after);
    }
  }
  History& Routed(absl::Time at, const std::string& unit, bool desk = false) {
    auto& r = *Add(at).mutable_routed();
    r.set_unit_code(unit);
    r.set_needs_manual_routing(desk);
    return *this;
  }
  History& Returned(absl::Time at, const std::string& unit) {
    Add(at, unit).mutable_returned()->set_unit_code(unit);
    return *this;
  }
  History& Breached(absl::Time at, v1::ClockKind clock, const std::string& unit, bool met_late = false) {
    auto& b = *Add(at).mutable_breached();
    b.set_clock(clock);
    b.set_unit_code(unit);
    b.set_met_late(met_late);
    return *this;
  }
  // Raised to `tier` (督办) after a missed clock; the tier must act by `deadline`.
  History& Escalated(absl::Time at, v1::Tier tier, absl::Time deadline) {
    auto& x = *Add(at).mutable_escalated();
    x.set_to_tier(tier);
    *x.mutable_supervision_deadline() = ToProto(deadline);
    return *this;
  }
  History& Contacted(absl::Time at) {
    Add(at, kCommunity).mutable_contacted()->set_preliminary_result("called the company");
    return *this;
  }
  History& Resolved(absl::Time at, v1::Substantiation finding = v1::SUBSTANTIATION_UNSPECIFIED,
                    bool refused = false) {
    auto& r = *Add(at, kCommunity).mutable_resolved();
    r.set_result("fixed");
    r.set_substantiation(finding);
    r.set_refused_to_rectify(refused);
    return *this;
  }
  const std::vector<v1::TicketEvent>& events() const { return events_; }
  History& Extended(absl::Time at, absl::Time new_deadline, bool approved = true) {
    auto& d = *Add(at, kTownship).mutable_extension_decided();
    d.set_clock(v1::CLOCK_KIND_RESOLVE);
    d.set_approved(approved);
    *d.mutable_new_deadline() = ToProto(new_deadline);
    return *this;
  }
  History& Revisited(absl::Time at, bool reached, bool solved, v1::Satisfaction s,
                     const std::string& unit = kCommunity) {
    auto& r = *Add(at, kTownship).mutable_revisited();
    r.set_reached(reached);
    r.set_solved(solved);
    r.set_satisfaction(s);
    r.set_unit_code(unit);
    return *this;
  }
  // A new round whose resolve clock is due `resolve_in` after the reopen.
  History& Reopened(absl::Time at, absl::Duration resolve_in = absl::Hours(72)) {
    auto& r = *Add(at).mutable_reopened();
    r.set_redo_count(++redo_);
    v1::SlaClock* c = r.add_clocks();
    c->set_kind(v1::CLOCK_KIND_RESOLVE);
    c->set_round(redo_ + 1);
    *c->mutable_deadline() = ToProto(at + resolve_in);
    return *this;
  }
  // A reopen from the second on: the new round supervised at `tier` until `deadline`.
  History& ReopenedSupervised(absl::Time at, v1::Tier tier, absl::Time deadline) {
    Reopened(at);
    auto& r = *events_.back().mutable_reopened();
    r.set_supervision_tier(tier);
    v1::SlaClock* c = r.add_clocks();
    c->set_kind(v1::CLOCK_KIND_SUPERVISION);
    *c->mutable_deadline() = ToProto(deadline);
    return *this;
  }
  History& Closed(absl::Time at, v1::ClosureReason why = v1::CLOSURE_REASON_SATISFIED) {
    Add(at).mutable_closed()->set_reason(why);
    return *this;
  }
  std::vector<Fact> Facts() const { return FoldTicket(events_, ShanghaiZone(), SupervisorOfTree); }
  std::vector<Fact> FactsOf(Measure m) const {
    std::vector<Fact> out;
    for (const Fact& f : Facts()) {
      if (f.measure == m) out.push_back(f);
    }
    return out;
  }

 private:
  v1::TicketEvent& Add(absl::Time at, const std::string& actor_unit = "") {
    v1::TicketEvent& e = events_.emplace_back();
    e.set_ticket_id("T1");
    e.set_ticket_version(static_cast<int64_t>(events_.size()));
    *e.mutable_occurred_at() = ToProto(at);
    e.mutable_actor()->set_id(actor_unit.empty() ? "system" : "someone");
    e.mutable_actor()->set_unit_code(actor_unit);
    return e;
  }
  std::vector<v1::TicketEvent> events_;
  int redo_ = 0;
};

absl::Time Nov(int day, int hour, int minute) { return Shanghai(2026, 11, day, hour, minute); }

// Accepted on 10 November at 09:00, routed to the community, the company contacted within the
// hour, resolved the next morning (on time).
History ResolvedNextDay() {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity).Contacted(Nov(10, 10, 0)).Resolved(Nov(11, 9, 0));
  return h;
}

// A ticket handled by the book: resolved next day, revisited satisfied, closed.
History ByTheBook() {
  History h = ResolvedNextDay();
  h.Revisited(Nov(12, 9, 0), true, true, v1::SATISFACTION_SATISFIED).Closed(Nov(12, 9, 0));
  return h;
}

TEST(ResponseRate, ATicketWhoseAssignAndPreliminaryClocksWereMetOnTimeCountsForTheUnitThatHeldIt) {
  auto facts = ByTheBook().FactsOf(Measure::kResponse);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_TRUE(facts[0].numerator);
  EXPECT_EQ(facts[0].unit_code, kCommunity);
  EXPECT_EQ(facts[0].month, absl::CivilMonth(2026, 11));
}

TEST(ResponseRate, NoResponseIsCountedWhileTheClocksAreStillRunning) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity);
  EXPECT_THAT(h.FactsOf(Measure::kResponse), ::testing::IsEmpty());
}

TEST(ResponseRate, AClockMetLateIsAMissedResponse) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Breached(Nov(10, 12, 5), v1::CLOCK_KIND_PRELIMINARY, kCommunity, /*met_late=*/true)
      .Contacted(Nov(10, 12, 5));
  auto facts = h.FactsOf(Measure::kResponse);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_FALSE(facts[0].numerator);
}

TEST(ResponseRate, AClockMetLateIsAMissedResponseAlsoWhenTheEngineRecordsItAfterTheContact) {
  // The order the timer engine writes: the contact (past the 3-hour deadline) first, then the
  // breach it finds met late.
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Contacted(Nov(10, 12, 5))
      .Breached(Nov(10, 12, 6), v1::CLOCK_KIND_PRELIMINARY, kCommunity, /*met_late=*/true);
  auto facts = h.FactsOf(Measure::kResponse);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_FALSE(facts[0].numerator);
  EXPECT_EQ(facts[0].unit_code, kCommunity);
}

TEST(ResponseRate, AnAssignClockMissedWhileTheTownshipHeldTheTicketIsChargedToTheTownshipNotTheCommunityThatTookItOver) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kTownship)
      .Breached(Nov(10, 9, 30), v1::CLOCK_KIND_ASSIGN, kTownship)
      .Routed(Nov(10, 9, 40), kCommunity)
      .Contacted(Nov(10, 10, 0));
  auto facts = h.FactsOf(Measure::kResponse);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_FALSE(facts[0].numerator);
  EXPECT_EQ(facts[0].unit_code, kTownship);
}

// "unit seq numerator month" of the response facts.
std::vector<std::string> Responses(const History& h) {
  std::vector<std::string> out;
  for (const Fact& f : h.FactsOf(Measure::kResponse)) {
    out.push_back(absl::StrCat(f.unit_code, " #", f.seq, " ", f.numerator ? 1 : 0, " ",
                               absl::FormatCivilTime(f.month)));
  }
  return out;
}

TEST(ResponseRate, ATownshipThatSupervisedAndGotTheTicketResolvedBeforeItsDeadlineCountsAMetResponse) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Breached(Nov(10, 9, 30), v1::CLOCK_KIND_ASSIGN, kCommunity)
      .Escalated(Nov(10, 9, 30), v1::TIER_TOWNSHIP, Nov(10, 13, 30))
      .Contacted(Nov(10, 10, 0))
      .Resolved(Nov(10, 13, 29));
  // The community missed its clock once; the township, supervising, did its part in time.
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 0 2026-11"),
                                                   absl::StrCat(kTownship, " #1 1 2026-11")));
}

TEST(ResponseRate, ASupervisionDeadlineMissedIsChargedToTheTownshipThatSupervisedNotToTheCommunityAgain) {
  History h(Nov(30, 20, 0));
  h.Routed(Nov(30, 20, 1), kCommunity)
      .Breached(Nov(30, 20, 30), v1::CLOCK_KIND_ASSIGN, kCommunity)
      .Escalated(Nov(30, 20, 30), v1::TIER_TOWNSHIP, Nov(30, 23, 30))
      .Breached(Nov(30, 23, 30), v1::CLOCK_KIND_SUPERVISION, kTownship)
      .Escalated(Nov(30, 23, 30), v1::TIER_COUNTY, Shanghai(2026, 12, 1, 3, 30))
      .Contacted(Shanghai(2026, 12, 1, 1, 0))
      .Resolved(Shanghai(2026, 12, 1, 3, 30));  // at the county's deadline: late
  // Still open at the county: no fact for it until the engine records the late resolution.
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 0 2026-11"),
                                                   absl::StrCat(kTownship, " #1 0 2026-11")));
  h.Breached(Shanghai(2026, 12, 1, 3, 31), v1::CLOCK_KIND_SUPERVISION, kCounty, /*met_late=*/true);
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 0 2026-11"),
                                                   absl::StrCat(kTownship, " #1 0 2026-11"),
                                                   absl::StrCat(kCounty, " #2 0 2026-11")));
}

TEST(ResponseRate, AMissedRevisitSupervisedByTheTownshipIsMetWhenTheTicketClosesBeforeTheDeadline) {
  History h = ResolvedNextDay();
  h.Breached(Nov(12, 9, 0), v1::CLOCK_KIND_REVISIT, kCommunity)
      .Escalated(Nov(12, 9, 0), v1::TIER_TOWNSHIP, Nov(12, 17, 0))
      .Revisited(Nov(12, 16, 0), true, true, v1::SATISFACTION_SATISFIED)
      .Closed(Nov(12, 16, 0));
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 1 2026-11"),
                                                   absl::StrCat(kTownship, " #1 1 2026-11")));
}

TEST(ResponseRate, ASecondReopenSupervisedATierUpIsOneMoreRoundForThatTier) {
  History h = ByTheBook();
  h.Reopened(Nov(13, 9, 0))
      .Resolved(Nov(13, 12, 0))
      .ReopenedSupervised(Nov(14, 9, 0), v1::TIER_TOWNSHIP, Nov(14, 21, 0))
      .Resolved(Nov(14, 20, 0));
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 1 2026-11"),
                                                   absl::StrCat(kTownship, " #1 1 2026-11")));
}

TEST(ResponseRate, ASupervisionTakenOverByAHigherTierBeforeItsDeadlineIsNotCounted) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Breached(Nov(10, 9, 30), v1::CLOCK_KIND_ASSIGN, kCommunity)
      .Escalated(Nov(10, 9, 30), v1::TIER_TOWNSHIP, Nov(10, 17, 30))
      .Breached(Nov(10, 12, 0), v1::CLOCK_KIND_PRELIMINARY, kCommunity)
      .Escalated(Nov(10, 12, 0), v1::TIER_COUNTY, Nov(10, 20, 0))
      .Resolved(Nov(10, 19, 0));
  EXPECT_THAT(Responses(h), ::testing::ElementsAre(absl::StrCat(kCommunity, " #0 0 2026-11"),
                                                   absl::StrCat(kCounty, " #2 1 2026-11")));
}

TEST(ResponseRate, ATicketAcceptedAt23_59_59_999ShanghaiOnTheLastDayOfAMonthCountsInThatMonth) {
  const absl::Time last = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 23, 59, 59), ShanghaiZone()) +
                          absl::Milliseconds(999);
  for (auto [at, month] : {std::pair{last, absl::CivilMonth(2026, 11)},
                           std::pair{last + absl::Milliseconds(1), absl::CivilMonth(2026, 12)}}) {
    History h(at);
    h.Routed(at + absl::Minutes(1), kCommunity).Contacted(at + absl::Minutes(20));
    auto facts = h.FactsOf(Measure::kResponse);
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_EQ(facts[0].month, month) << absl::FormatTime(at, ShanghaiZone());
  }
  // In UTC the second instant is still 30 November (16:00): the month is Shanghai's, not UTC's.
  EXPECT_EQ(absl::ToCivilMonth(last + absl::Milliseconds(1), absl::UTCTimeZone()), absl::CivilMonth(2026, 11));
}

TEST(ResponseRate, AResolutionWithoutARecordedContactMeetsThePreliminaryClock) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity).Resolved(Nov(10, 11, 0));
  auto facts = h.FactsOf(Measure::kResponse);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_TRUE(facts[0].numerator);
  EXPECT_EQ(facts[0].unit_code, kCommunity);
}

TEST(ResolutionAndSatisfaction, ASatisfiedRevisitCountsTheTicketSolvedAndSatisfiedForTheRevisitedUnitInTheMonthOfClosure) {
  History h(Nov(29, 9, 0));
  h.Routed(Nov(29, 9, 1), kCommunity)
      .Contacted(Nov(29, 10, 0))
      .Resolved(Nov(30, 9, 0))
      .Revisited(Shanghai(2026, 12, 1, 9, 0), true, true, v1::SATISFACTION_BASICALLY_SATISFIED)
      .Closed(Shanghai(2026, 12, 1, 9, 0));
  for (Measure m : {Measure::kResolution, Measure::kSatisfaction}) {
    auto facts = h.FactsOf(m);
    ASSERT_EQ(facts.size(), 1u) << MeasureName(m);
    EXPECT_TRUE(facts[0].numerator) << MeasureName(m);
    EXPECT_EQ(facts[0].unit_code, kCommunity);
    EXPECT_EQ(facts[0].month, absl::CivilMonth(2026, 12)) << "closed in December, accepted in November";
  }
}

TEST(ResolutionAndSatisfaction, ATicketReopenedTwiceCountsOnceAtItsFinalClosureWithTheVerdictOfItsFirstReachedRevisit) {
  History h = ResolvedNextDay();
  h.Revisited(Nov(12, 9, 0), true, false, v1::SATISFACTION_DISSATISFIED)
      .Reopened(Nov(12, 9, 0))
      .Resolved(Nov(13, 9, 0))
      .Revisited(Nov(14, 9, 0), true, false, v1::SATISFACTION_DISSATISFIED)
      .Reopened(Nov(14, 9, 0));
  // Reopened: not closed, so neither verdict nor redo counts yet.
  EXPECT_THAT(h.FactsOf(Measure::kSatisfaction), ::testing::IsEmpty());
  EXPECT_THAT(h.FactsOf(Measure::kRedo), ::testing::IsEmpty());
  EXPECT_THAT(h.FactsOf(Measure::kOnTime), ::testing::IsEmpty());
  h.Resolved(Nov(15, 9, 0))
      .Revisited(Shanghai(2026, 12, 2, 9, 0), true, true, v1::SATISFACTION_SATISFIED)
      .Closed(Shanghai(2026, 12, 2, 9, 0));
  for (Measure m : {Measure::kResolution, Measure::kSatisfaction, Measure::kRedo}) {
    auto facts = h.FactsOf(m);
    ASSERT_EQ(facts.size(), 1u) << MeasureName(m) << ": once, however often it was reopened";
    EXPECT_EQ(facts[0].month, absl::CivilMonth(2026, 12)) << MeasureName(m);
  }
  EXPECT_FALSE(h.FactsOf(Measure::kResolution)[0].numerator) << "the first verdict: not solved";
  EXPECT_FALSE(h.FactsOf(Measure::kSatisfaction)[0].numerator) << "the first verdict: dissatisfied";
  EXPECT_TRUE(h.FactsOf(Measure::kRedo)[0].numerator);
  ASSERT_EQ(h.FactsOf(Measure::kResponse).size(), 1u) << "response counts round 1 once";
}

TEST(ResolutionAndSatisfaction, ATicketClosedWithoutReachingTheComplainantIsLeftOutOfBoth) {
  History h = ResolvedNextDay();
  h.Revisited(Nov(12, 9, 0), false, false, v1::SATISFACTION_UNSPECIFIED)
      .Revisited(Nov(12, 15, 0), false, false, v1::SATISFACTION_UNSPECIFIED)
      .Closed(Nov(13, 9, 0), v1::CLOSURE_REASON_UNREACHABLE);
  EXPECT_THAT(h.FactsOf(Measure::kResolution), ::testing::IsEmpty());
  EXPECT_THAT(h.FactsOf(Measure::kSatisfaction), ::testing::IsEmpty());
  ASSERT_EQ(h.FactsOf(Measure::kRedo).size(), 1u) << "still a closed ticket";
  EXPECT_FALSE(h.FactsOf(Measure::kRedo)[0].numerator);
}

TEST(ResolutionAndSatisfaction, ARevisitedTicketThatIsNotClosedYetIsNotCounted) {
  History h = ResolvedNextDay();
  h.Revisited(Nov(12, 9, 0), true, true, v1::SATISFACTION_SATISFIED);
  EXPECT_THAT(h.FactsOf(Measure::kSatisfaction), ::testing::IsEmpty());
  ASSERT_EQ(h.FactsOf(Measure::kOnTime).size(), 1u) << "resolved: on-time counts already";
}

TEST(OnTimeCompletion, AResolutionAtExactlyTheDeadlineIsLate) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity).Contacted(Nov(10, 10, 0)).Resolved(Nov(13, 9, 0));
  auto facts = h.FactsOf(Measure::kOnTime);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_FALSE(facts[0].numerator) << "the deadline is the first late instant";
  EXPECT_EQ(facts[0].unit_code, kCommunity);
}

TEST(OnTimeCompletion, AnApprovedExtensionCountsEvenWhenApprovedAfterTheOldDeadline) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Contacted(Nov(10, 10, 0))
      .Breached(Nov(13, 9, 0), v1::CLOCK_KIND_RESOLVE, kCommunity)
      .Extended(Nov(13, 10, 0), Nov(16, 9, 0))
      .Resolved(Nov(15, 9, 0));
  auto facts = h.FactsOf(Measure::kOnTime);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_TRUE(facts[0].numerator) << "resolved before the extended deadline (DOMAIN.md §7a)";
}

TEST(OnTimeCompletion, ARejectedExtensionMovesNothing) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Contacted(Nov(10, 10, 0))
      .Extended(Nov(12, 10, 0), Nov(16, 9, 0), /*approved=*/false)
      .Resolved(Nov(15, 9, 0));
  ASSERT_EQ(h.FactsOf(Measure::kOnTime).size(), 1u);
  EXPECT_FALSE(h.FactsOf(Measure::kOnTime)[0].numerator);
}

TEST(OnTimeCompletion, ALateFirstRoundIsNotWipedOutByAnOnTimeRedo) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Contacted(Nov(10, 10, 0))
      .Resolved(Nov(14, 9, 0))  // a day late
      .Revisited(Nov(15, 9, 0), true, false, v1::SATISFACTION_DISSATISFIED)
      .Reopened(Nov(15, 9, 0))
      .Resolved(Nov(16, 9, 0));  // on time for round 2
  auto facts = h.FactsOf(Measure::kOnTime);
  ASSERT_EQ(facts.size(), 1u) << "counted once, at the latest resolution";
  EXPECT_FALSE(facts[0].numerator);
  EXPECT_EQ(facts[0].at, Nov(16, 9, 0));
}

TEST(ReturnRate, EachDispatchCountsOnceAndAReturnIsChargedToTheUnitThatReturnedInTheMonthOfTheDispatch) {
  History h(Nov(30, 23, 0));
  h.Routed(Nov(30, 23, 1), kOtherCommunity)
      .Returned(Shanghai(2026, 12, 1, 8, 0), kOtherCommunity)
      .Routed(Shanghai(2026, 12, 1, 8, 30), kCommunity)
      .Contacted(Shanghai(2026, 12, 1, 9, 0));
  auto facts = h.FactsOf(Measure::kReturn);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].unit_code, kOtherCommunity);
  EXPECT_TRUE(facts[0].numerator);
  EXPECT_EQ(facts[0].month, absl::CivilMonth(2026, 11)) << "the dispatch's month, not the return's";
  EXPECT_EQ(facts[1].unit_code, kCommunity);
  EXPECT_FALSE(facts[1].numerator);
  EXPECT_EQ(facts[1].seq, 1);
}

TEST(ReturnRate, APlacementOnTheCountyDeskForManualRoutingIsNotADispatch) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 5), "430923", /*desk=*/true).Routed(Nov(10, 9, 20), kCommunity);
  auto facts = h.FactsOf(Measure::kReturn);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].unit_code, kCommunity);
}

TEST(RedoRate, AClosedTicketThatWasNeverReopenedIsNotARedo) {
  auto facts = ByTheBook().FactsOf(Measure::kRedo);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_FALSE(facts[0].numerator);
}

TEST(Fold, TheSameHistoryFoldsToTheSameFacts) {
  EXPECT_EQ(ByTheBook().Facts(), ByTheBook().Facts());
  EXPECT_EQ(ByTheBook().Facts().size(), 6u) << "response, resolution, satisfaction, on-time, one dispatch, redo";
}

Tally TallyOf(int response_num, int response_den, int resolution_num, int resolution_den,
              int satisfaction_num, int satisfaction_den) {
  Tally t;
  auto set = [&](Measure m, int num, int den) {
    t.numerator[static_cast<int>(m)] = num;
    t.denominator[static_cast<int>(m)] = den;
  };
  set(Measure::kResponse, response_num, response_den);
  set(Measure::kResolution, resolution_num, resolution_den);
  set(Measure::kSatisfaction, satisfaction_num, satisfaction_den);
  return t;
}

TEST(CompositeScore, WeighsResponseResolutionAndSatisfaction10_45_45) {
  // 90 % response, 80 % resolution, 60 % satisfaction: 0.1*90 + 0.45*80 + 0.45*60 = 72.
  EXPECT_DOUBLE_EQ(*Composite(TallyOf(9, 10, 8, 10, 6, 10), Weights{}), 72.0);
}

TEST(CompositeScore, ARateWithoutDenominatorDropsOutAndTheOtherWeightsCarryTheScore) {
  // No revisits reached anyone: only the response rate (90 %) is defined.
  EXPECT_DOUBLE_EQ(*Composite(TallyOf(9, 10, 0, 0, 0, 0), Weights{}), 90.0);
  EXPECT_EQ(Composite(TallyOf(0, 0, 0, 0, 0, 0), Weights{}), std::nullopt);
}

TEST(CompositeScore, WeightsAreConfiguration) {
  EXPECT_DOUBLE_EQ(*Composite(TallyOf(10, 10, 0, 10, 0, 10), Weights{100, 0, 0}), 100.0);
}

// `n` complaints about one company in November 2026, from complainants 0..distinct-1 in turn,
// `satisfied` of the first `reached` satisfied.
std::vector<CompanyComplaint> Complaints(int n, int distinct, int reached, int satisfied,
                                         int refusals = 0) {
  std::vector<CompanyComplaint> out;
  for (int i = 0; i < n; ++i) {
    CompanyComplaint c;
    c.ticket_id = absl::StrCat("T", i);
    c.accepted_at = Nov(1 + i % 28, 10, 0);
    c.complainant_key = absl::StrCat("k", i % distinct);
    c.substantiated = true;
    c.reached = i < reached;
    c.satisfied = i < satisfied;
    c.refused_to_rectify = i < refusals;
    out.push_back(c);
  }
  return out;
}

TEST(CompanyComplaints, TheLatestFindingCountsAndARefusalInAnyRoundStays) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity)
      .Resolved(Nov(11, 9, 0), v1::SUBSTANTIATION_SUBSTANTIATED, /*refused=*/true)
      .Revisited(Nov(12, 9, 0), true, false, v1::SATISFACTION_DISSATISFIED)
      .Reopened(Nov(12, 9, 0))
      .Resolved(Nov(13, 9, 0), v1::SUBSTANTIATION_UNSUBSTANTIATED)
      .Revisited(Nov(14, 9, 0), true, true, v1::SATISFACTION_SATISFIED)
      .Closed(Nov(14, 9, 0));
  CompanyComplaint c = CompanyComplaintOf(h.events(), /*partly_counts=*/true);
  EXPECT_EQ(c.ticket_id, "T1");
  EXPECT_EQ(c.accepted_at, Nov(10, 9, 0));
  EXPECT_FALSE(c.substantiated) << "re-examined: not true after all";
  EXPECT_TRUE(c.refused_to_rectify);
  EXPECT_TRUE(c.reached);
  EXPECT_FALSE(c.satisfied) << "the first reached revisit's verdict";
}

TEST(CompanyComplaints, APartlySubstantiatedComplaintCountsOnlyWhenTheRuleSaysSo) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity).Resolved(Nov(11, 9, 0), v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED);
  EXPECT_TRUE(CompanyComplaintOf(h.events(), true).substantiated);
  EXPECT_FALSE(CompanyComplaintOf(h.events(), false).substantiated);
  EXPECT_FALSE(CompanyComplaintOf(h.events(), true).reached) << "no revisit yet";
}

TEST(CompanyComplaints, AComplaintResolvedWithoutAFindingIsNotSubstantiated) {
  History h(Nov(10, 9, 0));
  h.Routed(Nov(10, 9, 1), kCommunity).Resolved(Nov(11, 9, 0));
  EXPECT_FALSE(CompanyComplaintOf(h.events(), true).substantiated);
}

CompanyRecord Evaluate(const std::vector<CompanyComplaint>& c) {
  return EvaluateCompany(c, absl::CivilMonth(2026, 11), ShanghaiZone(), ExitRule{});
}

TEST(ExitTrigger, TwentyOneSubstantiatedComplaintsFrom21ComplainantsAt40PercentSatisfactionMakeACandidate) {
  CompanyRecord r = Evaluate(Complaints(21, 21, 20, 8));
  EXPECT_EQ(r.substantiated, 21);
  EXPECT_EQ(r.distinct_complainants, 21);
  EXPECT_TRUE(r.exit_trigger);
}

TEST(ExitTrigger, TwentyFiveComplaintsFrom20ComplainantsAreNotEnoughBecause20IsNotMoreThan20) {
  CompanyRecord r = Evaluate(Complaints(25, 20, 20, 2));
  EXPECT_EQ(r.substantiated, 25);
  EXPECT_EQ(r.distinct_complainants, 20);
  EXPECT_FALSE(r.exit_trigger);
}

TEST(ExitTrigger, ExactlyFiftyPercentSatisfactionWithoutARefusalIsNotBelowFifty) {
  CompanyRecord r = Evaluate(Complaints(30, 30, 20, 10));
  EXPECT_FALSE(r.exit_trigger);
  // One fewer satisfied: 9 of 20 is below.
  EXPECT_TRUE(Evaluate(Complaints(30, 30, 20, 9)).exit_trigger);
}

TEST(ExitTrigger, OneRefusalToRectifyAt90PercentSatisfactionMakesACandidate) {
  CompanyRecord r = Evaluate(Complaints(21, 21, 20, 18, /*refusals=*/1));
  EXPECT_EQ(r.refusals, 1);
  EXPECT_TRUE(r.exit_trigger);
  EXPECT_FALSE(Evaluate(Complaints(21, 21, 20, 18)).exit_trigger) << "the same without the refusal";
}

TEST(ExitTrigger, OnlyTheTwelveMonthsEndingWithTheMonthCountAndUnsubstantiatedComplaintsDoNot) {
  std::vector<CompanyComplaint> c = Complaints(21, 21, 20, 8);
  // The window of November 2026 is December 2025 to November 2026.
  c[0].accepted_at = Shanghai(2025, 11, 30, 23, 59);  // its last minute before: outside
  EXPECT_FALSE(Evaluate(c).exit_trigger);
  c[0].accepted_at = Shanghai(2025, 12, 1, 0, 0);  // the window's first minute
  EXPECT_TRUE(Evaluate(c).exit_trigger);
  c[1].substantiated = false;
  EXPECT_EQ(Evaluate(c).distinct_complainants, 20);
  EXPECT_FALSE(Evaluate(c).exit_trigger);
}

TEST(ExitTrigger, AComplainantWithoutAKeyIsNeverCountedAsDistinct) {
  std::vector<CompanyComplaint> c = Complaints(22, 22, 20, 8);
  c[0].complainant_key.clear();
  c[1].complainant_key.clear();
  EXPECT_EQ(Evaluate(c).distinct_complainants, 20);
  EXPECT_FALSE(Evaluate(c).exit_trigger);
}

}  // namespace
}  // namespace dispatch::statistics

namespace dispatch::statistics {
namespace {

std::vector<std::string> Ranked(const std::vector<RankedUnit>& units) {
  std::vector<std::string> out;
  for (const RankedUnit& u : units) out.push_back(absl::StrCat(u.rank, " ", u.unit_code));
  return out;
}

TEST(Rankings, HigherFiguresRankFirstEqualOnesShareARankAndUnitsWithoutAFigureComeLast) {
  std::vector<RankedUnit> units = {{"c", 0.8}, {"a", std::nullopt}, {"d", 0.9},
                                   {"b", 0.8}, {"e", std::nullopt}};
  EXPECT_THAT(Ranked(RankUnits(units, false)),
              ::testing::ElementsAre("1 d", "2 b", "2 c", "4 a", "4 e"));
}

TEST(Rankings, ForTheReturnAndRedoRatesLowerRanksFirst) {
  std::vector<RankedUnit> units = {{"a", 0.3}, {"b", 0.1}, {"c", std::nullopt}};
  EXPECT_THAT(Ranked(RankUnits(units, true)), ::testing::ElementsAre("1 b", "2 a", "3 c"));
}

// Company lists (DOMAIN.md §5), from the housing bureau's annual credit scores.
using Lists = std::vector<CompanyList>;

TEST(CompanyLists, AScoreBelowNinetyMeansAnInterviewAndRiskNoticeTwoYearsRunningTheBlackList) {
  const CreditRule rule;  // 90, two years, no red list
  EXPECT_EQ(ListsOf({{2025, 89.5}}, 2026, rule), Lists{CompanyList::kRiskNotice});
  EXPECT_EQ(ListsOf({{2024, 85}, {2025, 89.99}}, 2026, rule),
            (Lists{CompanyList::kBlack, CompanyList::kRiskNotice}));
  EXPECT_EQ(ListsOf({{2024, 85}, {2025, 90}}, 2026, rule), Lists{});  // 90 is not below 90
  EXPECT_EQ(ListsOf({}, 2026, rule), Lists{});
}

TEST(CompanyLists, TwoYearsRunningMeansConsecutiveYearsEndingWithTheLatestEvaluated) {
  const CreditRule rule;
  // 2024 and 2026 below, 2025 not evaluated: not two years running.
  EXPECT_EQ(ListsOf({{2024, 80}, {2026, 80}}, 2026, rule), Lists{CompanyList::kRiskNotice});
  // Below twice, but the latest is good again: off both lists.
  EXPECT_EQ(ListsOf({{2023, 80}, {2024, 80}, {2025, 95}}, 2026, rule), Lists{});
  // The month's year bounds what counts: 2026's evaluation is not yet known in 2025's months.
  EXPECT_EQ(ListsOf({{2024, 80}, {2025, 80}, {2026, 99}}, 2025, rule),
            (Lists{CompanyList::kBlack, CompanyList::kRiskNotice}));
  CreditRule three = rule;
  three.black_years = 3;
  EXPECT_EQ(ListsOf({{2024, 80}, {2025, 80}}, 2026, three), Lists{CompanyList::kRiskNotice});
}

TEST(CompanyLists, TheRedListHasNoThresholdInThePoliciesAndIsEmptyUntilACityConfiguresOne) {
  EXPECT_EQ(ListsOf({{2025, 100}}, 2026, CreditRule()), Lists{});
  CreditRule red;
  red.red_min = 95;
  EXPECT_EQ(ListsOf({{2025, 96}}, 2026, red), Lists{CompanyList::kRed});
  EXPECT_EQ(ListsOf({{2025, 94.9}}, 2026, red), Lists{});
}

}  // namespace
}  // namespace dispatch::statistics
