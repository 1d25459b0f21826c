#include "common/config.h"

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
  auto* r = c.mutable_redis();
  if (r->pool_size() == 0) r->set_pool_size(2);
  if (r->max_batch() == 0) r->set_max_batch(256);
  if (r->max_queue() == 0) r->set_max_queue(100000);
  SetIfZero(r->mutable_connect_timeout(), absl::Seconds(1));
  SetIfZero(r->mutable_command_timeout(), absl::Seconds(2));
  if (c.time_scale() == 0) c.set_time_scale(1);
  // SLA targets default in SlaPolicy (services/escalation/sla_policy.h), escalation options in
  // TimerEngine::OptionsFromConfig (services/escalation/timer_engine.h).
}

absl::Status Validate(const DispatchConfig& c) {
  for (const auto& s : c.services()) {
    if (s != "intake" && s != "routing" && s != "escalation") {
      return absl::InvalidArgumentError(absl::StrCat(
          "services: unknown service \"", s, "\" (known: intake, routing, escalation)"));
    }
  }
  if (c.redis().pool_size() < 1 || c.redis().pool_size() > 64) {
    return absl::InvalidArgumentError("redis.pool_size: must be between 1 and 64");
  }
  if (!(c.time_scale() >= 1 && c.time_scale() <= 100000)) {
    return absl::InvalidArgumentError("time_scale: must be within [1, 100000]");
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
  if (overrides.services) {
    c.clear_services();
    for (const auto& s : *overrides.services) c.add_services(s);
  }
  ApplyDefaults(c);
  absl::Status s = Validate(c);
  if (!s.ok()) return s;
  return c;
}

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

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
