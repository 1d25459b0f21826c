#include "services/dispatchd/health.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics/metrics.h"

namespace dispatch {

HealthMonitor::HealthMonitor(std::unique_ptr<redis::Client> redis,
                             std::unique_ptr<pg::Connection> postgres,
                             grpc::HealthCheckServiceInterface* health,
                             std::vector<Service> services, Options options)
    : redis_(std::move(redis)),
      postgres_(std::move(postgres)),
      health_(health),
      services_(std::move(services)),
      options_(options) {
  source_ = metrics::AddSource([this](std::vector<prometheus::MetricFamily>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<std::vector<prometheus::ClientMetric::Label>, double>> values{
        {{{"dependency", "redis"}}, redis_state_.up ? 1.0 : 0.0}};
    if (postgres_ != nullptr) {
      values.push_back({{{"dependency", "postgresql"}}, postgres_state_.up ? 1.0 : 0.0});
    }
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_dependency_up",
        "1 while the dependency answers this process's health probes, 0 once two probes in a "
        "row failed.",
        values));
  });
}

HealthMonitor::~HealthMonitor() {
  Stop();
  metrics::RemoveSource(source_);
}

void HealthMonitor::Start() {
  ProbeOnce();
  probes_.Start("health", options_.interval, Periodic::First::kWaitFirst, [this] { ProbeOnce(); });
}

void HealthMonitor::Stop() { probes_.Stop(); }

void HealthMonitor::ProbeOnce() {
  absl::Status redis = redis_->ExecuteSync({"TIME"}).status();
  absl::Status postgres = absl::OkStatus();
  if (postgres_ != nullptr) postgres = postgres_->Exec("SELECT 1").status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto judge = [this](Dependency& d, const absl::Status& s) {
      if (s.ok()) {
        if (!d.up) log::Info("health", "dependency reachable again", {{"dependency", d.name}});
        d.failures = 0;
        d.up = true;
        d.error.clear();
        return;
      }
      d.error = std::string(s.message());
      // The first probe decides by itself: never SERVING at start with a dependency down.
      if ((++d.failures >= options_.down_after || !probed_) && d.up) {
        d.up = false;
        log::Error("health", "dependency unreachable, NOT_SERVING",
                   {{"dependency", d.name}, {"error", d.error}});
      }
    };
    judge(redis_state_, redis);
    if (postgres_ != nullptr) judge(postgres_state_, postgres);
    probed_ = true;
  }
  Publish();
}

void HealthMonitor::Publish() {
  bool redis_up, postgres_up;
  {
    std::lock_guard<std::mutex> lock(mu_);
    redis_up = redis_state_.up;
    postgres_up = postgres_ == nullptr || postgres_state_.up;
  }
  bool all = true;
  for (const Service& s : services_) {
    const bool serving = redis_up && (!s.needs_postgres || postgres_up);
    health_->SetServingStatus(s.name, serving);
    all = all && serving;
  }
  health_->SetServingStatus("", all);
  ready_.store(all);
}

std::string HealthMonitor::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = absl::StrCat("{\"status\":\"", ready_.load() ? "SERVING" : "NOT_SERVING",
                                 "\",\"redis\":\"", redis_state_.up ? "up" : "down", "\"");
  if (postgres_ != nullptr) {
    absl::StrAppend(&out, ",\"postgresql\":\"", postgres_state_.up ? "up" : "down", "\"");
  }
  out += "}";
  return out;
}

}  // namespace dispatch
