// The "三三三" rule as the policy states it.
#include "services/escalation/sla_policy.h"

#include "common/config.h"
#include "common/proto_time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "common/testing/time.h"
#include "gtest/gtest.h"
#include "tests/testing/calendar.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

using ::dispatch::testing::Shanghai;

absl::Time Deadline(const std::vector<v1::SlaClock>& clocks, v1::ClockKind kind) {
  for (const auto& c : clocks) {
    if (c.kind() == kind) return FromProto(c.deadline());
  }
  return absl::InfinitePast();
}

TEST(SanSanSan, AComplaintAcceptedAt0900IsDueForAssignmentAt0930) {
  auto clocks = SlaPolicy::Default().ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL,
                                               Shanghai(2026, 11, 23, 9, 0));
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_ASSIGN), Shanghai(2026, 11, 23, 9, 30));
}

TEST(SanSanSan, ThePropertyCompanyMustBeContactedWithinThreeHoursAroundTheClock) {
  // 22:10 acceptance: the 3-hour clock runs through the night (24-hour duty system).
  auto clocks = SlaPolicy::Default().ClocksFor(v1::CATEGORY_PARKING_FEE, v1::PRIORITY_NORMAL,
                                               Shanghai(2026, 11, 23, 22, 10));
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_PRELIMINARY), Shanghai(2026, 11, 24, 1, 10));
}

TEST(SanSanSan, ThreeCalendarDaysToResolveIncludingAWeekend) {
  // Friday 17:50 → Monday 17:50 with calendar days.
  auto clocks = SlaPolicy::Default().ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL,
                                               Shanghai(2026, 11, 27, 17, 50));
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_RESOLVE), Shanghai(2026, 11, 30, 17, 50));
}

TEST(SanSanSan, EveryClockStartsAtAcceptance) {
  absl::Time at = Shanghai(2026, 11, 23, 9, 0);
  for (const auto& c : SlaPolicy::Default().ClocksFor(v1::CATEGORY_OTHER, v1::PRIORITY_NORMAL, at)) {
    EXPECT_EQ(FromProto(c.started_at()), at);
    EXPECT_FALSE(c.has_met_at());
    EXPECT_FALSE(c.breached());
  }
}

TEST(Emergencies, GetFasterClocksAndEmergencyPriority) {
  absl::Time at = Shanghai(2026, 11, 23, 9, 0);
  auto clocks = SlaPolicy::Default().ClocksFor(v1::CATEGORY_EMERGENCY_BURST_PIPE,
                                               v1::PRIORITY_NORMAL, at);
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_ASSIGN), at + absl::Minutes(10));
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_RESOLVE), at + absl::Hours(24));
  EXPECT_EQ(SlaPolicy::EffectivePriority(v1::CATEGORY_EMERGENCY_FIRE, v1::PRIORITY_NORMAL),
            v1::PRIORITY_EMERGENCY);
  EXPECT_EQ(SlaPolicy::EffectivePriority(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_UNSPECIFIED),
            v1::PRIORITY_NORMAL);
}

TEST(Emergencies, AnOrdinaryComplaintMarkedEmergencyRunsOnEmergencyClocks) {
  absl::Time at = Shanghai(2026, 11, 23, 9, 0);
  auto urgent = SlaPolicy::Default().ClocksFor(v1::CATEGORY_SERVICE_QUALITY,
                                               v1::PRIORITY_URGENT, at);
  EXPECT_EQ(Deadline(urgent, v1::CLOCK_KIND_ASSIGN), at + absl::Minutes(30));  // same clocks
  auto emergency = SlaPolicy::Default().ClocksFor(v1::CATEGORY_SERVICE_QUALITY,
                                                  v1::PRIORITY_EMERGENCY, at);
  EXPECT_EQ(Deadline(emergency, v1::CLOCK_KIND_ASSIGN), at + absl::Minutes(10));
}

TEST(Configuration, ACategoryCanHaveItsOwnTargets) {
  config::v1::SlaPolicy c;
  c.set_version("2026-lifts");
  auto* lifts = c.add_by_category();
  lifts->set_category(v1::CATEGORY_SPECIAL_EQUIPMENT);
  *lifts->mutable_targets()->mutable_preliminary() = ToProto(absl::Hours(1));
  auto policy = SlaPolicy::FromConfig(c);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version(), "2026-lifts");
  absl::Time at = Shanghai(2026, 11, 23, 9, 0);
  auto clocks = policy->ClocksFor(v1::CATEGORY_SPECIAL_EQUIPMENT, v1::PRIORITY_NORMAL, at);
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_ASSIGN), at + absl::Minutes(30));  // default kept
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_PRELIMINARY), at + absl::Hours(1));
}

TEST(Configuration, WorkingDaysNeedACalendar) {
  config::v1::SlaPolicy c;
  c.mutable_defaults()->set_resolve_day_basis(v1::DAY_BASIS_WORKING);
  c.mutable_defaults()->set_resolve_working_days(3);
  EXPECT_THAT(SlaPolicy::FromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("sla.defaults.resolve_day_basis")));
}

std::shared_ptr<const WorkCalendar> Calendar2026() { return testing::ShippedCalendar({2026}); }

config::v1::SlaPolicy ThreeWorkingDays() {
  config::v1::SlaPolicy c;
  c.mutable_defaults()->set_resolve_day_basis(v1::DAY_BASIS_WORKING);
  c.mutable_defaults()->set_resolve_working_days(3);
  return c;
}

TEST(WorkingDayPolicy, AComplaintAcceptedAt1750OnTheEveOfAHolidayIsDueThreeWorkingDaysAfterIt) {
  auto policy = SlaPolicy::FromConfig(ThreeWorkingDays(), Calendar2026(), testing::ShanghaiZone());
  ASSERT_THAT(policy, IsOk());
  EXPECT_TRUE(policy->UsesWorkingDays());
  absl::Time accepted = Shanghai(2026, 9, 30, 17, 50);
  auto clocks = policy->ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL, accepted);
  // The 30-minute and 3-hour clocks still run through the holiday night.
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_ASSIGN), Shanghai(2026, 9, 30, 18, 20));
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_PRELIMINARY), Shanghai(2026, 9, 30, 20, 50));
  // 1-7 October off; 8, 9 and the make-up Saturday 10 count.
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_RESOLVE), Shanghai(2026, 10, 11, 0, 0));
  EXPECT_EQ(clocks[2].day_basis(), v1::DAY_BASIS_WORKING);
  EXPECT_EQ(clocks[2].target_working_days(), 3);
  EXPECT_EQ(policy->calendar_fallbacks(), 0);
}

TEST(WorkingDayPolicy, DatesTheCalendarDoesNotCoverAssumeWeekdaysAndAreCounted) {
  auto policy = SlaPolicy::FromConfig(ThreeWorkingDays(), Calendar2026(), testing::ShanghaiZone());
  ASSERT_THAT(policy, IsOk());
  // Thu 31 Dec 2026; 2027 has no file: Fri 1, Mon 4, Tue 5 January are assumed working.
  absl::Time accepted = Shanghai(2026, 12, 31, 10, 0);
  ::testing::internal::CaptureStderr();
  auto clocks = policy->ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL, accepted);
  std::string warned = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(Deadline(clocks, v1::CLOCK_KIND_RESOLVE), Shanghai(2027, 1, 6, 0, 0));
  EXPECT_EQ(policy->calendar_fallbacks(), 1);
  // Said loudly (DOMAIN.md section 8), naming the complaint's acceptance time.
  EXPECT_THAT(warned, ::testing::HasSubstr("\"level\":\"warning\""));
  EXPECT_THAT(warned, ::testing::HasSubstr("working-day calendar missing a year"));
  EXPECT_THAT(warned, ::testing::HasSubstr("2026-12-31 10:00"));
  // A date the calendar covers assumes nothing and says nothing.
  ::testing::internal::CaptureStderr();
  policy->ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL, Shanghai(2026, 6, 1, 9, 0));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(policy->calendar_fallbacks(), 1);
}

TEST(Configuration, TargetsMustBeOrderedAndPositive) {
  config::v1::SlaPolicy c;
  *c.mutable_defaults()->mutable_assign() = ToProto(absl::Hours(5));
  EXPECT_THAT(SlaPolicy::FromConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("assign <= preliminary")));
  config::v1::SlaPolicy twice;
  twice.add_by_category()->set_category(v1::CATEGORY_PARKING_FEE);
  twice.add_by_category()->set_category(v1::CATEGORY_PARKING_FEE);
  EXPECT_THAT(SlaPolicy::FromConfig(twice),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

}  // namespace
}  // namespace dispatch

namespace dispatch {
namespace {

TEST(SignForPolicy, ByDefaultTheAssignClockIsMetBySigningForTheTicketWithinTenMinutes) {
  SlaPolicy p = SlaPolicy::Default();
  EXPECT_EQ(p.assign_met_by(), v1::ASSIGN_MET_BY_SIGN_FOR);
  EXPECT_EQ(p.TargetsFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL).sign_for,
            absl::Minutes(10));
  EXPECT_EQ(p.TargetsFor(v1::CATEGORY_EMERGENCY_FIRE, v1::PRIORITY_NORMAL).sign_for,
            absl::Minutes(5));
}

TEST(SignForPolicy, ACityThatCountsTheAssignmentItselfSaysSo) {
  config::v1::SlaPolicy c;
  c.set_assign_met_by(v1::ASSIGN_MET_BY_ASSIGNMENT);
  *c.mutable_defaults()->mutable_sign_for() = ToProto(absl::Minutes(20));
  auto p = SlaPolicy::FromConfig(c);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->assign_met_by(), v1::ASSIGN_MET_BY_ASSIGNMENT);
  EXPECT_EQ(p->TargetsFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL).sign_for,
            absl::Minutes(20));
  *c.mutable_defaults()->mutable_sign_for() = ToProto(absl::Minutes(-1));
  EXPECT_THAT(SlaPolicy::FromConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sign_for: must be positive")));
}

TEST(WorkingDayPolicy, AClockThatAssumedPlainWeekdaysIsMarkedForTheDashboard) {
  config::v1::SlaPolicy c;
  c.mutable_defaults()->set_resolve_day_basis(v1::DAY_BASIS_WORKING);
  c.mutable_defaults()->set_resolve_working_days(3);
  auto policy = SlaPolicy::FromConfig(c, testing::ShippedCalendar({2025, 2026}), testing::ShanghaiZone());
  ASSERT_THAT(policy, IsOk());
  ::testing::internal::CaptureStderr();
  auto uncovered =
      policy->ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL, Shanghai(2026, 12, 31, 10, 0));
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(uncovered.back().calendar_assumed());
  auto covered =
      policy->ClocksFor(v1::CATEGORY_SERVICE_QUALITY, v1::PRIORITY_NORMAL, Shanghai(2026, 6, 1, 9, 0));
  EXPECT_FALSE(covered.back().calendar_assumed());
}

}  // namespace
}  // namespace dispatch
