// Duty rosters, read in Asia/Shanghai.
#include "services/routing/roster.h"

#include "common/config.h"
#include "common/testing/time.h"
#include "gtest/gtest.h"

namespace dispatch::routing {
namespace {

using ::dispatch::testing::ShanghaiZone;
constexpr auto At = ::dispatch::testing::Shanghai;

config::v1::Handler Handler(const std::string& text) {
  config::v1::Handler h;
  EXPECT_TRUE(ParseTextProto(text, &h).ok());
  return h;
}

TEST(Roster, AWeekdayOfficerIsOnDutyInOfficeHoursOnly) {
  auto h = Handler(R"(shifts { weekdays: [1, 2, 3, 4, 5] start: "08:30" end: "17:30" })");
  // Monday 23 November 2026.
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 23, 8, 29), ShanghaiZone()));
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 23, 8, 30), ShanghaiZone()));
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 23, 17, 29), ShanghaiZone()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 23, 17, 30), ShanghaiZone()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 28, 10, 0), ShanghaiZone()));  // Saturday
}

TEST(Roster, ANightShiftStartingFridayCoversEarlySaturday) {
  auto h = Handler(R"(shifts { weekdays: [5] start: "18:00" end: "08:00" })");
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 27, 23, 0), ShanghaiZone()));   // Friday night
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 28, 7, 59), ShanghaiZone()));   // Saturday early
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 28, 8, 0), ShanghaiZone()));
  EXPECT_FALSE(OnDuty(h, At(2026, 11, 27, 7, 0), ShanghaiZone()));   // Friday early: Thursday's
}

TEST(Roster, TwentyFourHourDutyIsAlwaysOn) {
  auto h = Handler("on_duty_around_the_clock: true");
  EXPECT_TRUE(OnDuty(h, At(2026, 11, 29, 3, 0), ShanghaiZone()));
}

TEST(Roster, NoShiftsMeansManualAssignmentOnly) {
  EXPECT_FALSE(OnDuty(Handler(""), At(2026, 11, 23, 10, 0), ShanghaiZone()));
}

}  // namespace
}  // namespace dispatch::routing
