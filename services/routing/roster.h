// Duty rosters: whether a handler is on duty at a given moment.
//
// A handler is on duty around the clock (24-hour duty) or inside one of its weekly shifts, read
// in the service's time zone. A shift belongs to the weekdays it starts on; a shift whose end is
// at or before its start runs past midnight into the next day (a night shift that starts on
// Friday covers early Saturday). Pure functions, thread-safe.
#ifndef DISPATCH_SERVICES_ROUTING_ROSTER_H_
#define DISPATCH_SERVICES_ROUTING_ROSTER_H_

#include "absl/time/time.h"
#include "dispatch/config/v1/org.pb.h"

namespace dispatch::routing {

bool OnDuty(const config::v1::Handler& handler, absl::Time t, absl::TimeZone zone);

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROSTER_H_
