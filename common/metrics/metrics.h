// The process's metrics in the Prometheus text format (issue #17), on Debian's prometheus-cpp
// (its core library only: the registry and the text serializer; the HTTP listener is ours,
// services/dispatchd/http_listener.h).
//
// Contract:
//   - One registry per process (Registry()). A module creates its families once and keeps the
//     children it updates, so the hot path is an atomic add; nothing here takes a lock per
//     observation.
//   - Labels are low-cardinality by rule: methods, codes, clocks, tiers, channels, statuses,
//     dependency and client names. Never a ticket id, a person, an estate or a unit below the
//     county.
//   - A scrape never calls Redis or PostgreSQL. Values that need them (backlogs, open tickets)
//     are computed by their owners in the background and published through a Source, which
//     turns cached values into families at scrape time (ages grow while a refresher is stuck).
//   - Names: counters end in _total, durations are seconds, every family has HELP
//     (`promtool check metrics` runs on a scrape in tests/dispatchd/metrics_test.cc).
#ifndef DISPATCH_COMMON_METRICS_METRICS_H_
#define DISPATCH_COMMON_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>
#include <google/protobuf/descriptor.h>

#include "absl/strings/string_view.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace dispatch::metrics {

prometheus::Registry& Registry();

// Families computed at scrape time from cached values. Returns an id for RemoveSource (a
// source must be removed before what it reads is destroyed).
using Source = std::function<void(std::vector<prometheus::MetricFamily>* out)>;
int AddSource(Source source);
void RemoveSource(int id);

// The exposition (text format 0.0.4) of the registry and every source.
std::string Scrape();

// Bucket bounds, seconds. Request latencies: 0.5 ms .. 10 s.
const std::vector<double>& LatencyBuckets();
// The SLA durations, with bounds on the 三三三 targets (1800 s, 10800 s, 259200 s).
const std::vector<double>& SlaBuckets();

// The label value of an enum's value: its name less `prefix` (CLOCK_KIND_ASSIGN -> "ASSIGN"),
// "UNKNOWN" for a number the enum does not have.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value,
                      absl::string_view prefix);

// "InvalidArgument": the grpc_code label value of a status code (go-grpc-prometheus' names).
const char* CodeName(grpc::StatusCode code);

// Counts a call refused at the door: `transport` "grpc" or "http", `code` UNAUTHENTICATED or
// PERMISSION_DENIED (dispatch_auth_failures_total).
void AuthFailure(const char* transport, grpc::StatusCode code);

// One gRPC method's server metrics (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_handling_seconds), labelled as go-grpc-prometheus labels them. Resolved once per
// method; the objects live as long as the process.
class RpcMetrics {
 public:
  // `method` as the access policy names it: "IntakeService.SubmitComplaint" (the service's
  // package "dispatch.v1." is added); `type` "unary" or "server_stream". Cheap enough to call
  // per RPC (a shared lock and a lookup by the name's address).
  static const RpcMetrics& For(const char* method, const char* type = "unary");

  void Started() const { started_->Increment(); }
  const std::string& service() const { return service_; }
  const std::string& method() const { return method_; }
  void Handled(grpc::StatusCode code, double seconds) const;

 private:
  RpcMetrics(const std::string& service, const std::string& method, const char* type);
  std::string service_, method_, type_;
  prometheus::Counter* started_;
  prometheus::Histogram* handling_;
  mutable std::array<std::atomic<prometheus::Counter*>, 17> handled_{};
};

// A child of a labelled counter family made once per label set and cached by the caller:
//   static auto& accepted = metrics::CounterFamily("dispatch_complaints_accepted_total", "...");
//   accepted.Add({{"channel", "HOTLINE_12345"}}).Increment();
// (Family::Add is thread-safe and returns the same child for the same labels.)
prometheus::Family<prometheus::Counter>& CounterFamily(const std::string& name,
                                                       const std::string& help);
prometheus::Family<prometheus::Gauge>& GaugeFamily(const std::string& name,
                                                   const std::string& help);
prometheus::Family<prometheus::Histogram>& HistogramFamily(const std::string& name,
                                                           const std::string& help);

// Helpers for Sources: a family with one sample per label set.
prometheus::MetricFamily GaugeSnapshot(
    const std::string& name, const std::string& help,
    const std::vector<std::pair<std::vector<prometheus::ClientMetric::Label>, double>>& values);

}  // namespace dispatch::metrics

#endif  // DISPATCH_COMMON_METRICS_METRICS_H_
