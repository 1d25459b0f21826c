// "3 days" as working days, on the statutory calendars shipped in deploy/calendar/.
#include "services/escalation/work_calendar.h"

#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "common/testing/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/calendar.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::IsOkAndHolds;
using ::dispatch::testing::Shanghai;
using ::dispatch::testing::ShanghaiZone;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

using ::dispatch::testing::CalendarYear;

class WorkingDays : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = WorkCalendar::FromConfig({CalendarYear(2025), CalendarYear(2026)});
    ASSERT_THAT(c, IsOk());
    calendar_ = std::make_unique<WorkCalendar>(*std::move(c));
  }
  absl::StatusOr<absl::Time> ThreeWorkingDaysAfter(absl::Time accepted) {
    return calendar_->AddWorkingDays(accepted, 3, ShanghaiZone());
  }
  std::unique_ptr<WorkCalendar> calendar_;
};

TEST_F(WorkingDays, AMakeUpSaturdayCountsAndAWeekdayInsideAHolidayDoesNot) {
  EXPECT_THAT(calendar_->IsWorkingDay(absl::CivilDay(2026, 2, 14)), IsOkAndHolds(true));   // Sat
  EXPECT_THAT(calendar_->IsWorkingDay(absl::CivilDay(2026, 2, 16)), IsOkAndHolds(false));  // Mon
  EXPECT_THAT(calendar_->IsWorkingDay(absl::CivilDay(2026, 11, 28)), IsOkAndHolds(false)); // Sat
  EXPECT_THAT(calendar_->IsWorkingDay(absl::CivilDay(2026, 11, 27)), IsOkAndHolds(true));  // Fri
}

TEST_F(WorkingDays, AcceptedFridayEveningIsDueAtTheEndOfWednesday) {
  // Fri 27 Nov 2026, 17:50: Mon 30, Tue 1, Wed 2 December count.
  EXPECT_THAT(ThreeWorkingDaysAfter(Shanghai(2026, 11, 27, 17, 50)),
              IsOkAndHolds(Shanghai(2026, 12, 3, 0, 0)));
}

TEST_F(WorkingDays, AcceptedAt1750OnTheEveOfNationalDayCountsAfterTheHolidayAndOnTheMakeUpSaturday) {
  // Wed 30 Sep 2026, 17:50; 1-7 October off; Thu 8, Fri 9 and the make-up Sat 10 count.
  EXPECT_THAT(ThreeWorkingDaysAfter(Shanghai(2026, 9, 30, 17, 50)),
              IsOkAndHolds(Shanghai(2026, 10, 11, 0, 0)));
}

TEST_F(WorkingDays, AcrossSpringFestivalTheMakeUpSaturdayBeforeItCounts) {
  // Fri 13 Feb 2026: Sat 14 (make-up) counts, 15-23 off, then Tue 24 and Wed 25.
  EXPECT_THAT(ThreeWorkingDaysAfter(Shanghai(2026, 2, 13, 10, 0)),
              IsOkAndHolds(Shanghai(2026, 2, 26, 0, 0)));
}

TEST_F(WorkingDays, AcceptedOnAHolidayCountsFromTheFirstWorkingDayAfterIt) {
  // Sat 2 May 2026 (Labour Day holiday): Wed 6, Thu 7, Fri 8.
  EXPECT_THAT(ThreeWorkingDaysAfter(Shanghai(2026, 5, 2, 9, 0)),
              IsOkAndHolds(Shanghai(2026, 5, 9, 0, 0)));
}

TEST_F(WorkingDays, AYearWithoutACalendarIsAnErrorNotAGuess) {
  // Wed 30 Dec 2026: Thu 31 counts, then 2027 has no calendar file.
  EXPECT_THAT(ThreeWorkingDaysAfter(Shanghai(2026, 12, 30, 9, 0)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("2027")));
}

TEST(WorkCalendarConfig, BadFilesAreNamed) {
  config::v1::HolidayCalendar c = CalendarYear(2026);
  c.set_make_up_working_days(0, "2026-01-05");  // a Monday
  EXPECT_THAT(WorkCalendar::FromConfig({c}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("make_up_working_days[0]")));
  c = CalendarYear(2026);
  c.mutable_holidays(0)->set_first("2025-12-31");
  EXPECT_THAT(WorkCalendar::FromConfig({c}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("holidays[0].first")));
  EXPECT_THAT(WorkCalendar::FromConfig({CalendarYear(2026), CalendarYear(2026)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
}

}  // namespace
}  // namespace dispatch
