// Configuration of dispatchd: a text-format dispatch.config.v1.DispatchConfig file
// (deploy/dispatchd.textproto documents every field), defaults for what it leaves out, and
// validation that names the offending field. Command-line flags are applied on top by the
// binary (services/dispatchd/main.cc) through ConfigOverrides.
#ifndef DISPATCH_COMMON_CONFIG_H_
#define DISPATCH_COMMON_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/hiredis_client.h"
#include "dispatch/config/v1/config.pb.h"
#include "google/protobuf/message.h"

namespace dispatch {

using config::v1::DispatchConfig;

struct ConfigOverrides {
  std::optional<std::string> listen_address;
  std::optional<std::string> redis_address;
  std::optional<std::vector<std::string>> services;
  std::optional<std::string> org_file;
  std::optional<std::string> calendar_dir;
  std::optional<double> time_scale;
  // read_model.conninfo (a connection string without a password).
  std::optional<std::string> read_model;
  // read_model.pii_key_file.
  std::optional<std::string> pii_key_file;
  // http.listen_address.
  std::optional<std::string> http_listen_address;
  // http.web_root.
  std::optional<std::string> web_root;
  // http.plaintext_on_loopback.
  std::optional<bool> http_plaintext_on_loopback;
  // logging.access_log, logging.audit_log.
  std::optional<std::string> access_log;
  std::optional<std::string> audit_log;
};

// Parses `text` (text-format DispatchConfig), applies `overrides`, fills defaults, validates.
absl::StatusOr<DispatchConfig> ParseConfig(const std::string& text,
                                           const ConfigOverrides& overrides = {});

// Reads the file at `path` (empty path: built-in defaults only) and calls ParseConfig.
absl::StatusOr<DispatchConfig> LoadConfig(const std::string& path,
                                          const ConfigOverrides& overrides = {});

// The Redis client settings of `config` (redis_address and the redis { ... } section);
// INVALID_ARGUMENT when the address cannot be parsed.
absl::StatusOr<redis::HiredisOptions> RedisOptions(const DispatchConfig& config);

// Reads a whole file; NOT_FOUND "<path>: cannot open".
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Parses text-format protobuf; INVALID_ARGUMENT names the line and column of the first error.
absl::Status ParseTextProto(const std::string& text, google::protobuf::Message* message);

// Reads and parses a text-format protobuf file; NOT_FOUND if it cannot be read. Messages are
// prefixed with the path.
absl::Status LoadTextProtoFile(const std::string& path, google::protobuf::Message* message);

}  // namespace dispatch

#endif  // DISPATCH_COMMON_CONFIG_H_
