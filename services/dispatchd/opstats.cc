#include "services/dispatchd/opstats.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/keys.h"
#include "common/metrics/metrics.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch {
namespace {

// The ms part of a stream id ("1733450000000-3").
std::optional<absl::Time> TimeOfId(const std::string& id) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &ms) || ms <= 0) return std::nullopt;
  return absl::FromUnixMillis(ms);
}

// The value of `field` in a flat field/value reply, or null.
const redis::Reply* Field(const redis::Reply& flat, const std::string& field) {
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    if (flat.elements[i].str == field) return &flat.elements[i + 1];
  }
  return nullptr;
}

}  // namespace

OperatorStats::OperatorStats(std::unique_ptr<redis::Client> redis, readmodel::Reader* reader,
                             const SlaPolicy* policy, Clock* clock, Options options)
    : redis_(std::move(redis)), reader_(reader), policy_(policy), clock_(clock), options_(options) {
  source_ = metrics::AddSource(
      [this](std::vector<prometheus::MetricFamily>* out) { Export(out); });
}

OperatorStats::~OperatorStats() {
  Stop();
  metrics::RemoveSource(source_);
}

void OperatorStats::Start() {
  refresh_.Start("opstats", options_.interval, Periodic::First::kTickNow,
                 [this] { RefreshOnce(); });
}

void OperatorStats::Stop() { refresh_.Stop(); }

void OperatorStats::RefreshOnce() {
  Snapshot next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next = snapshot_;
  }
  // Timers due now (service time) in every shard, and the routing group of every stream.
  const std::string now_ms = std::to_string(absl::ToUnixMillis(clock_->Now()));
  std::vector<std::vector<std::string>> commands;
  for (int s = 0; s < keys::kShardCount; ++s) {
    commands.push_back({"ZCOUNT", keys::Timers(s), "-inf", now_ms});
  }
  for (int s = 0; s < keys::kShardCount; ++s) {
    commands.push_back({"XINFO", "GROUPS", keys::Events(s)});
  }
  std::vector<absl::StatusOr<redis::Reply>> replies = redis_->ExecuteAllSync(std::move(commands));
  int64_t due = 0;
  bool due_ok = true;
  for (int s = 0; s < keys::kShardCount; ++s) {
    if (!replies[s].ok()) {
      due_ok = false;
      break;
    }
    due += replies[s]->integer;
  }
  next.due_backlog = due_ok ? std::optional<int64_t>(due) : std::nullopt;
  int64_t backlog = 0;
  bool routing_ok = true;
  std::vector<std::vector<std::string>> oldest;
  for (int s = 0; s < keys::kShardCount; ++s) {
    const auto& r = replies[keys::kShardCount + s];
    if (!r.ok()) {
      // A stream that does not exist yet has no group: nothing waits there.
      if (absl::StrContains(r.status().message(), "no such key")) continue;
      routing_ok = false;
      break;
    }
    for (const redis::Reply& group : r->elements) {
      const redis::Reply* name = Field(group, "name");
      if (name == nullptr || name->str != keys::kRoutingGroup) continue;
      const redis::Reply* lag = Field(group, "lag");
      const redis::Reply* pending = Field(group, "pending");
      const redis::Reply* last = Field(group, "last-delivered-id");
      const int64_t waiting = lag != nullptr ? lag->integer : 0;
      const int64_t taken = pending != nullptr ? pending->integer : 0;
      backlog += waiting + taken;
      if (taken > 0) oldest.push_back({"XPENDING", keys::Events(s), keys::kRoutingGroup});
      if (waiting > 0 && last != nullptr) {
        oldest.push_back({"XRANGE", keys::Events(s), absl::StrCat("(", last->str), "+", "COUNT", "1"});
      }
    }
  }
  next.routing_known = routing_ok;
  next.routing_backlog = routing_ok ? std::optional<int64_t>(backlog) : std::nullopt;
  next.oldest_unrouted.reset();
  if (routing_ok && !oldest.empty()) {
    for (const auto& r : redis_->ExecuteAllSync(std::move(oldest))) {
      if (!r.ok() || r->elements.empty()) continue;
      // XPENDING's summary: count, smallest id, ...; XRANGE: [[id, fields]].
      const std::string id =
          r->elements[0].is_array() ? r->elements[0].elements[0].str : r->elements[1].str;
      std::optional<absl::Time> at = TimeOfId(id);
      if (at && (!next.oldest_unrouted || *at < *next.oldest_unrouted)) next.oldest_unrouted = at;
    }
  }
  if (reader_ != nullptr) {
    auto caught_up = reader_->CaughtUpTo();
    next.caught_up_to = caught_up.ok() ? *caught_up : std::nullopt;
    const absl::Time now = absl::Now();
    if (now - next.open_at >= options_.open_tickets_interval) {
      auto rows = reader_->Query(
          "SELECT status, supervision_tier, count(*) FROM tickets WHERE closed_at IS NULL "
          "GROUP BY 1, 2");
      if (rows.ok()) {
        next.open.clear();
        for (int i = 0; i < rows->rows(); ++i) {
          int status = 0, tier = 0;
          int64_t n = 0;
          if (absl::SimpleAtoi(rows->Get(i, 0), &status) &&
              absl::SimpleAtoi(rows->Get(i, 1), &tier) && absl::SimpleAtoi(rows->Get(i, 2), &n)) {
            next.open[{status, tier}] = n;
          }
        }
        next.open_at = now;
      }
    }
  }
  next.refreshed = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(next);
}

void OperatorStats::Export(std::vector<prometheus::MetricFamily>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  const Snapshot& s = snapshot_;
  const absl::Time now = absl::Now();
  if (s.due_backlog) {
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_timer_due_backlog", "SLA timers due now that the timer engine has not fired yet.",
        {{{}, static_cast<double>(*s.due_backlog)}}));
  }
  if (s.routing_backlog) {
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_routing_backlog",
        "Accepted tickets the routing worker has not taken or not finished (its group's lag and "
        "pending entries).",
        {{{}, static_cast<double>(*s.routing_backlog)}}));
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_routing_oldest_unrouted_age_seconds",
        "Age of the oldest accepted ticket routing has not finished (0 when none waits).",
        {{{}, s.oldest_unrouted ? std::max(0.0, absl::ToDoubleSeconds(now - *s.oldest_unrouted))
                                : 0.0}}));
  }
  if (reader_ != nullptr && s.caught_up_to) {
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_read_model_lag_seconds",
        "How far the read model's projection is behind now (seconds).",
        {{{}, std::max(0.0, absl::ToDoubleSeconds(now - *s.caught_up_to))}}));
  }
  if (!s.open.empty()) {
    std::vector<std::pair<std::vector<prometheus::ClientMetric::Label>, double>> values;
    for (const auto& [key, n] : s.open) {
      values.push_back(
          {{{"status", metrics::EnumLabel(v1::TicketStatus_descriptor(), key.first, "TICKET_STATUS_")},
            {"tier", metrics::EnumLabel(v1::Tier_descriptor(), key.second, "TIER_")}},
           static_cast<double>(n)});
    }
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_open_tickets",
        "Tickets not closed, by status and supervision tier (from the read model, refreshed "
        "every minute).",
        values));
  }
  if (policy_ != nullptr) {
    prometheus::MetricFamily f;
    f.name = "dispatch_calendar_fallbacks_total";
    f.help = "Working-day deadlines computed without a calendar for their year (plain weekdays "
             "assumed; add deploy/calendar/<year>.textproto).";
    f.type = prometheus::MetricType::Counter;
    prometheus::ClientMetric m;
    m.counter.value = static_cast<double>(policy_->calendar_fallbacks());
    f.metric.push_back(std::move(m));
    out->push_back(std::move(f));
  }
  if (s.refreshed != absl::InfinitePast()) {
    out->push_back(metrics::GaugeSnapshot(
        "dispatch_opstats_refreshed_timestamp_seconds",
        "When these gauges were last refreshed (unix seconds).",
        {{{}, absl::ToDoubleSeconds(s.refreshed - absl::UnixEpoch())}}));
  }
}

}  // namespace dispatch
