// Duty rosters, read in Asia/Shanghai.
#include "services/routing/roster.h"

#include "common/config.h"
#include "gtest/gtest.h"

namespace dispatch::routing {
namespace {

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  absl::LoadTimeZone("Asia/Shanghai", &tz);
  return tz;
}

absl::Time At(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), Shanghai());
}

config::v1::Handler Handler(const std::string& text) {
  config::v1::Handler h;
  EXPECT_TRUE(ParseTextProto(text, &h).ok());
  return h;
}

TEST(Roster, AWeekdayOfficerIsOnDutyInOfficeHoursOnly) {
  auto h = Handler(R"(shifts { weekdays: [1, 2, 3, 4, 5] start: "08:30" end: "17:30" })");
  // Monday 23 November 2026.
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 23, 8, 29), Shanghai()));
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 23, 8, 30), Shanghai()));
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 23, 17, 29), Shanghai()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 23, 17, 30), Shanghai()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 28, 10, 0), Shanghai()));  // Saturday
}

TEST(Roster, ANightShiftStartingFridayCoversEarlySaturday) {
  auto h = Handler(R"(shifts { weekdays: [5] start: "18:00" end: "08:00" })");
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 27, 23, 0), Shanghai()));   // Friday night
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 28, 7, 59), Shanghai()));   // Saturday early
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 28, 8, 0), Shanghai()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 27, 7, 0), Shanghai()));   // Friday early: Thursday's
}

TEST(Roster, TwentyFourHourDutyIsAlwaysOn) {
  auto h = Handler("on_duty_around_the_clock: true");
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 29, 3, 0), Shanghai()));
}

TEST(Roster, NoShiftsMeansManualAssignmentOnly) {
  EXPECT_FALSE(OnDuty(Handler(""), At(2026, 11, 23, 10, 0), Shanghai()));
}

}  // namespace
}  // namespace dispatch::routing
