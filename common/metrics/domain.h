// The domain's counters and SLA histograms (issue #17), recorded where the work happens:
// intake (OnAccepted) and every committed ticket write (OnTransition: from TicketWriter, and from
// the routing worker for its automatic assignments, which commit through their own script); the
// timer engine counts its warnings, breaches and escalations itself (escalation/timer_engine.cc)
// from the fire script's reply. Labels: channel, clock, tier, never a ticket or a person.
//   dispatch_complaints_accepted_total{channel}
//   dispatch_clocks_started_total{clock}      a clock (or a new round of one) began
//   dispatch_clocks_met_total{clock,on_time}  a clock was met, before its deadline or not
//   dispatch_tickets_closed_total
//   dispatch_time_to_assign_seconds, dispatch_time_to_resolve_seconds: from the clock's start to
//     when it was met, in service seconds, with buckets on the targets (1800, 10800, 259200).
// A replayed write (the same request id again) records nothing.
#ifndef DISPATCH_COMMON_METRICS_DOMAIN_H_
#define DISPATCH_COMMON_METRICS_DOMAIN_H_

#include "dispatch/v1/types.pb.h"

namespace dispatch::metrics {

// A new ticket, accepted on `channel`, with its clocks.
void OnAccepted(v1::Channel channel, const v1::Ticket& ticket);
void OnTransition(const v1::Ticket& before, const v1::Ticket& after);

}  // namespace dispatch::metrics

#endif  // DISPATCH_COMMON_METRICS_DOMAIN_H_
