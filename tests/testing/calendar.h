// The statutory working-day calendars shipped in deploy/calendar/, for tests. The including
// test target must define DISPATCH_SOURCE_DIR (tests/CMakeLists.txt).
#ifndef DISPATCH_TESTS_TESTING_CALENDAR_H_
#define DISPATCH_TESTS_TESTING_CALENDAR_H_

#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/escalation/work_calendar.h"

namespace dispatch::testing {

// deploy/calendar/<year>.textproto; a test failure if it cannot be read.
inline config::v1::HolidayCalendar CalendarYear(int year) {
  config::v1::HolidayCalendar c;
  EXPECT_THAT(LoadTextProtoFile(
                  absl::StrCat(DISPATCH_SOURCE_DIR, "/deploy/calendar/", year, ".textproto"), &c),
              IsOk());
  return c;
}

// The calendar of the given years as dispatchd builds it.
inline std::shared_ptr<const WorkCalendar> ShippedCalendar(std::initializer_list<int> years) {
  std::vector<config::v1::HolidayCalendar> configs;
  for (int y : years) configs.push_back(CalendarYear(y));
  auto c = WorkCalendar::FromConfig(configs);
  EXPECT_THAT(c, IsOk());
  return std::make_shared<WorkCalendar>(*std::move(c));
}

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_CALENDAR_H_
