#include "common/metrics/metrics.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace dispatch::metrics {
namespace {

struct Sources {
  absl::Mutex mu;
  int next = 1;
  std::map<int, Source> sources;
};
Sources& TheSources() {
  static auto* s = new Sources();
  return *s;
}

}  // namespace

prometheus::Registry& Registry() {
  static auto* registry = new prometheus::Registry();
  return *registry;
}

int AddSource(Source source) {
  Sources& s = TheSources();
  absl::MutexLock lock(&s.mu);
  const int id = s.next++;
  s.sources.emplace(id, std::move(source));
  return id;
}

void RemoveSource(int id) {
  Sources& s = TheSources();
  absl::MutexLock lock(&s.mu);
  s.sources.erase(id);
}

std::string Scrape() {
  std::vector<prometheus::MetricFamily> families = Registry().Collect();
  {
    Sources& s = TheSources();
    absl::MutexLock lock(&s.mu);
    std::vector<prometheus::MetricFamily> computed;
    for (auto& [id, source] : s.sources) source(&computed);
    // Two sources of the same family (two servers in one test process) become one family: a
    // name may appear only once in an exposition.
    for (auto& family : computed) {
      auto same = std::find_if(families.begin(), families.end(),
                               [&](const auto& f) { return f.name == family.name; });
      if (same == families.end()) {
        families.push_back(std::move(family));
      } else {
        for (auto& m : family.metric) same->metric.push_back(std::move(m));
      }
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

const std::vector<double>& LatencyBuckets() {
  static const auto* b = new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                 5,      10};
  return *b;
}

const std::vector<double>& SlaBuckets() {
  static const auto* b = new std::vector<double>{300,   900,   1800,   3600,   10800,
                                                 21600, 86400, 172800, 259200, 604800};
  return *b;
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value,
                      absl::string_view prefix) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  return v == nullptr ? "UNKNOWN" : std::string(absl::StripPrefix(v->name(), prefix));
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "Canceled";
    case grpc::StatusCode::UNKNOWN: return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT: return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND: return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS: return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED: return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FailedPrecondition";
    case grpc::StatusCode::ABORTED: return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE: return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED: return "Unimplemented";
    case grpc::StatusCode::INTERNAL: return "Internal";
    case grpc::StatusCode::UNAVAILABLE: return "Unavailable";
    case grpc::StatusCode::DATA_LOSS: return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED: return "Unauthenticated";
    default: return "Unknown";
  }
}

prometheus::Family<prometheus::Counter>& CounterFamily(const std::string& name,
                                                       const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(Registry());
}
prometheus::Family<prometheus::Gauge>& GaugeFamily(const std::string& name,
                                                   const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(Registry());
}
prometheus::Family<prometheus::Histogram>& HistogramFamily(const std::string& name,
                                                           const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(Registry());
}

namespace {
prometheus::Family<prometheus::Counter>& StartedFamily() {
  static auto& f = CounterFamily("grpc_server_started_total",
                                 "RPCs started on the server, by service and method.");
  return f;
}
prometheus::Family<prometheus::Counter>& HandledFamily() {
  static auto& f = CounterFamily(
      "grpc_server_handled_total",
      "RPCs completed on the server, by service, method and gRPC status code.");
  return f;
}
prometheus::Family<prometheus::Histogram>& HandlingFamily() {
  static auto& f = HistogramFamily(
      "grpc_server_handling_seconds",
      "Time from the call's arrival to its status, by service and method (seconds).");
  return f;
}
}  // namespace

RpcMetrics::RpcMetrics(const std::string& service, const std::string& method, const char* type)
    : service_(service), method_(method), type_(type) {
  const prometheus::Labels labels{
      {"grpc_type", type_}, {"grpc_service", service_}, {"grpc_method", method_}};
  started_ = &StartedFamily().Add(labels);
  handling_ = &HandlingFamily().Add(labels, LatencyBuckets());
}

const RpcMetrics& RpcMetrics::For(const char* method, const char* type) {
  // Looked up on every call: by the name's address first (names are string literals), with no
  // allocation; a name seen at a new address shares the metrics made for it.
  static absl::Mutex mu;
  static auto* by_address =
      new absl::flat_hash_map<std::pair<const void*, const void*>, const RpcMetrics*>();
  static auto* by_name = new absl::flat_hash_map<std::string, std::unique_ptr<RpcMetrics>>();
  const std::pair<const void*, const void*> address{method, type};
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = by_address->find(address);
    if (it != by_address->end()) return *it->second;
  }
  absl::MutexLock lock(&mu);
  auto& slot = (*by_name)[absl::StrCat(type, "/", method)];
  if (slot == nullptr) {
    const std::string full(method);
    const size_t dot = full.find('.');
    const std::string service =
        absl::StrCat("dispatch.v1.", dot == std::string::npos ? full : full.substr(0, dot));
    const std::string name = dot == std::string::npos ? full : full.substr(dot + 1);
    slot.reset(new RpcMetrics(service, name, type));
  }
  (*by_address)[address] = slot.get();
  return *slot;
}

void RpcMetrics::Handled(grpc::StatusCode code, double seconds) const {
  const size_t i = static_cast<size_t>(code) < handled_.size() ? static_cast<size_t>(code) : 2;
  prometheus::Counter* counter = handled_[i].load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &HandledFamily().Add({{"grpc_type", type_},
                                    {"grpc_service", service_},
                                    {"grpc_method", method_},
                                    {"grpc_code", CodeName(static_cast<grpc::StatusCode>(i))}});
    handled_[i].store(counter, std::memory_order_release);
  }
  counter->Increment();
  handling_->Observe(seconds);
}

void AuthFailure(const char* transport, grpc::StatusCode code) {
  static auto& family = CounterFamily(
      "dispatch_auth_failures_total",
      "Calls refused at the door: unauthenticated (no or a bad credential) or denied (the "
      "access policy has no grant for the caller's roles), by transport.");
  static auto* grpc_unauthenticated =
      &family.Add({{"transport", "grpc"}, {"result", "unauthenticated"}});
  static auto* grpc_denied = &family.Add({{"transport", "grpc"}, {"result", "denied"}});
  static auto* http_unauthenticated =
      &family.Add({{"transport", "http"}, {"result", "unauthenticated"}});
  static auto* http_denied = &family.Add({{"transport", "http"}, {"result", "denied"}});
  const bool http = std::string(transport) == "http";
  if (code == grpc::StatusCode::UNAUTHENTICATED) {
    (http ? http_unauthenticated : grpc_unauthenticated)->Increment();
  } else if (code == grpc::StatusCode::PERMISSION_DENIED) {
    (http ? http_denied : grpc_denied)->Increment();
  }
}

prometheus::MetricFamily GaugeSnapshot(
    const std::string& name, const std::string& help,
    const std::vector<std::pair<std::vector<prometheus::ClientMetric::Label>, double>>& values) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  for (const auto& [labels, value] : values) {
    prometheus::ClientMetric m;
    m.label = labels;
    m.gauge.value = value;
    family.metric.push_back(std::move(m));
  }
  return family;
}

}  // namespace dispatch::metrics
