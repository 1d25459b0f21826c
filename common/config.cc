#include "common/config.h"

#include "common/log.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "common/proto_time.h"

namespace dispatch {
namespace {

void SetIfZero(google::protobuf::Duration* d, absl::Duration value) {
  if (IsZero(*d)) *d = ToProto(value);
}

void ApplyDefaults(DispatchConfig& c) {
  if (c.listen_address().empty()) c.set_listen_address("127.0.0.1:50051");
  if (c.redis_address().empty()) c.set_redis_address("tcp://127.0.0.1:6379");
  if (c.services().empty()) {
    for (const char* s : {"intake", "routing", "escalation"}) c.add_services(s);
  }
  if (c.time_zone().empty()) c.set_time_zone("Asia/Shanghai");
  if (c.routing_consumer().empty()) c.set_routing_consumer("routing-1");
  if (c.http().threads() == 0) c.mutable_http()->set_threads(32);
  if (!c.has_health_interval()) c.mutable_health_interval()->set_seconds(1);
  auto* r = c.mutable_redis();
  if (r->pool_size() == 0) r->set_pool_size(2);
  if (r->max_batch() == 0) r->set_max_batch(256);
  if (r->max_queue() == 0) r->set_max_queue(100000);
  SetIfZero(r->mutable_connect_timeout(), absl::Seconds(1));
  SetIfZero(r->mutable_command_timeout(), absl::Seconds(2));
  if (c.time_scale() == 0) c.set_time_scale(1);
  SetIfZero(c.mutable_routing_grace(), absl::Minutes(5));
  SetIfZero(c.mutable_org_refresh_interval(), absl::Seconds(1));
  auto* l = c.mutable_limits();
  if (l->max_request_bytes() == 0) l->set_max_request_bytes(64 << 10);
  if (l->max_organisation_bytes() == 0) l->set_max_organisation_bytes(4 << 20);
  if (l->max_watches() == 0) l->set_max_watches(1000);
  SetIfZero(l->mutable_watch_write_timeout(), absl::Seconds(30));
  SetIfZero(l->mutable_keepalive_time(), absl::Seconds(60));
  SetIfZero(l->mutable_keepalive_timeout(), absl::Seconds(20));
  if (l->memory_quota_bytes() == 0) l->set_memory_quota_bytes(int64_t{512} << 20);
  auto* rm = c.mutable_read_model();
  if (rm->projector_consumer().empty()) rm->set_projector_consumer("projector-1");
  if (rm->projector_batch() == 0) rm->set_projector_batch(500);
  if (rm->reader_connections() == 0) rm->set_reader_connections(4);
  SetIfZero(rm->mutable_statement_timeout(), absl::Seconds(10));
  SetIfZero(rm->mutable_retention(), absl::Hours(24 * 30));
  SetIfZero(rm->mutable_idempotency_retention(), absl::Hours(24 * 90));
  SetIfZero(rm->mutable_stream_keep(), absl::Hours(24 * 7));
  SetIfZero(rm->mutable_archive_interval(), absl::Minutes(1));
  SetIfZero(rm->mutable_pii_retention(), absl::Hours(24 * 1095));
  auto* st = c.mutable_statistics();
  if (st->response_weight() == 0 && st->resolution_weight() == 0 &&
      st->satisfaction_weight() == 0) {
    st->set_response_weight(10);
    st->set_resolution_weight(45);
    st->set_satisfaction_weight(45);
  }
  if (st->company_window_months() == 0) st->set_company_window_months(12);
  if (st->exit_min_distinct_complainants() == 0) st->set_exit_min_distinct_complainants(20);
  if (st->exit_satisfaction_below_percent() == 0) st->set_exit_satisfaction_below_percent(50);
  SetIfZero(st->mutable_fold_interval(), absl::Seconds(2));
  SetIfZero(st->mutable_fold_delay(), absl::Seconds(30));
  if (st->close_day() == 0) st->set_close_day(6);
  if (st->black_below_score() == 0) st->set_black_below_score(90);
  if (st->black_years() == 0) st->set_black_years(2);
  // SLA targets default in SlaPolicy (services/escalation/sla_policy.h), escalation options in
  // TimerEngine::OptionsFromConfig (services/escalation/timer_engine.h).
}

absl::Status Validate(const DispatchConfig& c) {
  for (const auto& s : c.services()) {
    if (s != "intake" && s != "routing" && s != "escalation" && s != "projector" &&
        s != "statistics") {
      return absl::InvalidArgumentError(absl::StrCat(
          "services: unknown service \"", s,
          "\" (known: intake, routing, escalation, projector, statistics)"));
    }
    if (s == "projector" && c.read_model().conninfo().empty()) {
      return absl::InvalidArgumentError(
          "read_model.conninfo: required by the projector service (the read model's "
          "PostgreSQL)");
    }
  }
  if (c.read_model().projector_batch() < 1 || c.read_model().projector_batch() > 5000) {
    return absl::InvalidArgumentError("read_model.projector_batch: must be within [1, 5000]");
  }
  if (c.read_model().reader_connections() < 1 || c.read_model().reader_connections() > 64) {
    return absl::InvalidArgumentError("read_model.reader_connections: must be within [1, 64]");
  }
  if (FromProto(c.read_model().retention()) < absl::Hours(1)) {
    return absl::InvalidArgumentError("read_model.retention: must be at least 1 hour");
  }
  // Short only in soak tests and benchmarks with a scaled clock (entry ids keep Redis's own).
  if (FromProto(c.read_model().stream_keep()) < absl::Minutes(5)) {
    return absl::InvalidArgumentError("read_model.stream_keep: must be at least 5 minutes");
  }
  if (FromProto(c.read_model().pii_retention()) < absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError("read_model.pii_retention: must be at least 30 days");
  }
  if (FromProto(c.read_model().idempotency_retention()) <= absl::ZeroDuration() ||
      FromProto(c.read_model().archive_interval()) <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "read_model.idempotency_retention, archive_interval: must be positive");
  }
  const config::v1::StatisticsOptions& st = c.statistics();
  for (int w : {st.response_weight(), st.resolution_weight(), st.satisfaction_weight()}) {
    if (w < 0 || w > 100) {
      return absl::InvalidArgumentError(
          "statistics.response_weight, resolution_weight, satisfaction_weight: each within "
          "[0, 100]");
    }
  }
  if (st.company_window_months() < 1 || st.company_window_months() > 60) {
    return absl::InvalidArgumentError("statistics.company_window_months: must be within [1, 60]");
  }
  if (st.exit_min_distinct_complainants() < 1) {
    return absl::InvalidArgumentError("statistics.exit_min_distinct_complainants: must be positive");
  }
  if (st.exit_satisfaction_below_percent() < 1 || st.exit_satisfaction_below_percent() > 100) {
    return absl::InvalidArgumentError(
        "statistics.exit_satisfaction_below_percent: must be within [1, 100]");
  }
  if (FromProto(st.fold_interval()) <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("statistics.fold_interval: must be positive");
  }
  if (FromProto(st.fold_delay()) < absl::ZeroDuration() ||
      FromProto(st.fold_delay()) > absl::Hours(1)) {
    return absl::InvalidArgumentError("statistics.fold_delay: must be within [0, 1 h]");
  }
  if (!(st.black_below_score() >= 1 && st.black_below_score() <= 100)) {
    return absl::InvalidArgumentError("statistics.black_below_score: must be within [1, 100]");
  }
  if (st.black_years() < 1 || st.black_years() > 10) {
    return absl::InvalidArgumentError("statistics.black_years: must be within [1, 10]");
  }
  if (!(st.red_min_score() >= 0 && st.red_min_score() <= 100)) {
    return absl::InvalidArgumentError("statistics.red_min_score: must be within [0, 100]");
  }
  if (st.close_day() < 1 || st.close_day() > 28) {
    return absl::InvalidArgumentError("statistics.close_day: must be within [1, 28]");
  }
  if (c.redis().pool_size() < 1 || c.redis().pool_size() > 64) {
    return absl::InvalidArgumentError("redis.pool_size: must be between 1 and 64");
  }
  if (!(c.time_scale() >= 1 && c.time_scale() <= 100000)) {
    return absl::InvalidArgumentError("time_scale: must be within [1, 100000]");
  }
  for (auto [name, d] : {std::pair{"routing_grace", &c.routing_grace()},
                         std::pair{"org_refresh_interval", &c.org_refresh_interval()},
                         std::pair{"limits.watch_write_timeout", &c.limits().watch_write_timeout()},
                         std::pair{"limits.keepalive_time", &c.limits().keepalive_time()},
                         std::pair{"limits.keepalive_timeout", &c.limits().keepalive_timeout()}}) {
    if (FromProto(*d) <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must be positive"));
    }
  }
  const auto& l = c.limits();
  if (l.max_request_bytes() < 1024 || l.max_request_bytes() > (64 << 20)) {
    return absl::InvalidArgumentError("limits.max_request_bytes: must be within [1 KiB, 64 MiB]");
  }
  if (l.max_organisation_bytes() < l.max_request_bytes() ||
      l.max_organisation_bytes() > (256 << 20)) {
    return absl::InvalidArgumentError(
        "limits.max_organisation_bytes: must be within [max_request_bytes, 256 MiB]");
  }
  if (l.memory_quota_bytes() < 4 * int64_t{l.max_organisation_bytes()}) {
    return absl::InvalidArgumentError(
        "limits.memory_quota_bytes: at least four times max_organisation_bytes");
  }
  if (l.max_watches() < 1 || l.max_watches() > 100000) {
    return absl::InvalidArgumentError("limits.max_watches: must be within [1, 100000]");
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(c.time_zone(), &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown time zone \"", c.time_zone(), "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DispatchConfig> ParseConfig(const std::string& text,
                                           const ConfigOverrides& overrides) {
  DispatchConfig c;
  absl::Status parsed = ParseTextProto(text, &c);
  if (!parsed.ok()) return parsed;
  if (overrides.listen_address) c.set_listen_address(*overrides.listen_address);
  if (overrides.redis_address) c.set_redis_address(*overrides.redis_address);
  if (overrides.org_file) c.set_org_file(*overrides.org_file);
  if (overrides.calendar_dir) c.set_calendar_dir(*overrides.calendar_dir);
  if (overrides.time_scale) c.set_time_scale(*overrides.time_scale);
  if (overrides.read_model) c.mutable_read_model()->set_conninfo(*overrides.read_model);
  if (overrides.pii_key_file) c.mutable_read_model()->set_pii_key_file(*overrides.pii_key_file);
  if (overrides.http_listen_address) c.mutable_http()->set_listen_address(*overrides.http_listen_address);
  if (overrides.web_root) c.mutable_http()->set_web_root(*overrides.web_root);
  if (overrides.access_log) c.mutable_logging()->set_access_log(*overrides.access_log);
  if (overrides.audit_log) c.mutable_logging()->set_audit_log(*overrides.audit_log);
  if (overrides.http_plaintext_on_loopback) {
    c.mutable_http()->set_plaintext_on_loopback(*overrides.http_plaintext_on_loopback);
  }
  if (overrides.services) {
    c.clear_services();
    for (const auto& s : *overrides.services) c.add_services(s);
  }
  ApplyDefaults(c);
  absl::Status s = Validate(c);
  if (!s.ok()) return s;
  return c;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<redis::HiredisOptions> RedisOptions(const DispatchConfig& config) {
  auto address = redis::ParseAddress(config.redis_address());
  if (!address.ok()) return address.status();
  redis::HiredisOptions options;
  options.address = *address;
  options.pool_size = config.redis().pool_size();
  options.max_batch = config.redis().max_batch();
  options.max_queue = config.redis().max_queue();
  options.connect_timeout = FromProto(config.redis().connect_timeout());
  options.command_timeout = FromProto(config.redis().command_timeout());
  // Credentials come from a file or the environment, never from the command line (where every
  // user of the machine can read them in the process list).
  const auto& r = config.redis();
  options.username = r.username();
  if (!r.password_file().empty() && !r.password_env().empty()) {
    return absl::InvalidArgumentError(
        "redis.password_file, redis.password_env: give one of them, not both");
  }
  if (!r.password_file().empty()) {
    struct stat st;
    if (stat(r.password_file().c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      log::Warn("config", "redis.password_file can be read by others than its owner; chmod 600 it",
                {{"file", r.password_file()}});
    }
    auto text = ReadFile(r.password_file());
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis.password_file: ", text.status().message()));
    }
    options.password = text->substr(0, text->find('\n'));
    if (!options.password.empty() && options.password.back() == '\r') options.password.pop_back();
    if (options.password.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis.password_file: ", r.password_file(), " has no password on its first line"));
    }
  } else if (!r.password_env().empty()) {
    const char* value = std::getenv(r.password_env().c_str());
    if (value == nullptr || *value == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "redis.password_env: the environment variable ", r.password_env(), " is not set"));
    }
    options.password = value;
  } else if (!r.username().empty()) {
    return absl::InvalidArgumentError(
        "redis.username: needs a password (redis.password_file or redis.password_env)");
  }
  return options;
}

absl::Status ParseTextProto(const std::string& text, google::protobuf::Message* message) {
  struct Collector : google::protobuf::io::ErrorCollector {
    std::string first;
    void AddError(int line, int column, const std::string& error) override {
      if (first.empty()) first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", error);
    }
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    return absl::InvalidArgumentError(absl::StrCat(
        errors.first, " (want a text-format ", message->GetDescriptor()->full_name(), ")"));
  }
  return absl::OkStatus();
}

absl::Status LoadTextProtoFile(const std::string& path, google::protobuf::Message* message) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::Status s = ParseTextProto(*text, message);
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<DispatchConfig> LoadConfig(const std::string& path,
                                          const ConfigOverrides& overrides) {
  std::string text;
  if (!path.empty()) {
    auto read = ReadFile(path);
    if (!read.ok()) return read.status();
    text = *std::move(read);
  }
  auto c = ParseConfig(text, overrides);
  if (!c.ok()) {
    return absl::Status(c.status().code(),
                        absl::StrCat(path.empty() ? "defaults" : path, ": ", c.status().message()));
  }
  return c;
}

}  // namespace dispatch
