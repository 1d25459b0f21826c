#include "common/metrics/domain.h"

#include <string>

#include "absl/strings/strip.h"
#include "common/metrics/metrics.h"
#include "google/protobuf/util/time_util.h"

namespace dispatch::metrics {
namespace {

using google::protobuf::util::TimeUtil;

std::string ClockName(v1::ClockKind kind) {
  return EnumLabel(v1::ClockKind_descriptor(), kind, "CLOCK_KIND_");
}

prometheus::Family<prometheus::Counter>& Started() {
  static auto& f = CounterFamily("dispatch_clocks_started_total",
                                 "SLA clocks started (a new round counts again), by clock.");
  return f;
}

const v1::SlaClock* Find(const v1::Ticket& t, v1::ClockKind kind, int round) {
  for (const v1::SlaClock& c : t.clocks()) {
    if (c.kind() == kind && c.round() == round) return &c;
  }
  return nullptr;
}

}  // namespace

void OnAccepted(v1::Channel channel, const v1::Ticket& ticket) {
  static auto& accepted = CounterFamily("dispatch_complaints_accepted_total",
                                        "Complaints accepted as new tickets, by channel.");
  accepted
      .Add({{"channel", EnumLabel(v1::Channel_descriptor(), channel, "CHANNEL_")}})
      .Increment();
  for (const v1::SlaClock& c : ticket.clocks()) Started().Add({{"clock", ClockName(c.kind())}}).Increment();
}

void OnTransition(const v1::Ticket& before, const v1::Ticket& after) {
  static auto& met = CounterFamily(
      "dispatch_clocks_met_total",
      "SLA clocks met, by clock and whether before the deadline (on_time=\"true\").");
  static auto& closed = CounterFamily("dispatch_tickets_closed_total",
                                      "Tickets closed (after their revisit).")
                            .Add({});
  static auto& to_assign = HistogramFamily(
                               "dispatch_time_to_assign_seconds",
                               "From acceptance to a named person responsible (the ASSIGN "
                               "clock met), service seconds.")
                               .Add({}, SlaBuckets());
  static auto& to_resolve = HistogramFamily(
                                "dispatch_time_to_resolve_seconds",
                                "From the RESOLVE clock's start to its being met, service "
                                "seconds.")
                                .Add({}, SlaBuckets());
  for (const v1::SlaClock& c : after.clocks()) {
    const v1::SlaClock* was = Find(before, c.kind(), c.round());
    if (was == nullptr) Started().Add({{"clock", ClockName(c.kind())}}).Increment();
    if (!c.has_met_at() || (was != nullptr && was->has_met_at())) continue;
    const bool on_time = !c.has_deadline() || c.met_at() < c.deadline();
    met.Add({{"clock", ClockName(c.kind())}, {"on_time", on_time ? "true" : "false"}}).Increment();
    if (c.has_started_at()) {
      const double seconds =
          static_cast<double>(TimeUtil::DurationToMilliseconds(c.met_at() - c.started_at())) / 1000;
      if (c.kind() == v1::CLOCK_KIND_ASSIGN) to_assign.Observe(seconds);
      if (c.kind() == v1::CLOCK_KIND_RESOLVE) to_resolve.Observe(seconds);
    }
  }
  if (before.status() != v1::TICKET_STATUS_CLOSED && after.status() == v1::TICKET_STATUS_CLOSED) {
    closed.Increment();
  }
}

}  // namespace dispatch::metrics
