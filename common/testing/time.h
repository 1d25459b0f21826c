// Time helpers for tests that read like the policy: "Monday 23 November 2026, 09:00 in
// Shanghai".
#ifndef DISPATCH_COMMON_TESTING_TIME_H_
#define DISPATCH_COMMON_TESTING_TIME_H_

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace dispatch::testing {

inline absl::TimeZone ShanghaiZone() {
  absl::TimeZone tz;
  absl::LoadTimeZone("Asia/Shanghai", &tz);
  return tz;
}

inline absl::Time Shanghai(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), ShanghaiZone());
}

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_TIME_H_
