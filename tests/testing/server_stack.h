// ServerStack: an in-process dispatchd for integration tests — a real redis-server started by
// the test (RedisServer) and a DispatchServer on 127.0.0.1:0 built from the given configuration
// text (with the sample organisation, deploy/org.textproto, unless it names an org_file), with a Redis client and a gRPC channel to it. Shuts down in its destructor.
#ifndef DISPATCH_TESTS_TESTING_SERVER_STACK_H_
#define DISPATCH_TESTS_TESTING_SERVER_STACK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "services/dispatchd/server.h"

namespace dispatch::testing {

class ServerStack {
 public:
  ~ServerStack() {
    if (server_) server_->Shutdown(absl::Seconds(5));
  }

  absl::Status Start(const std::string& config_text, Clock* clock) {
    absl::Status s = redis_server_.Start();
    if (!s.ok()) return s;
    redis_ = std::make_unique<redis::HiredisClient>(redis_options());
    // The shipped sample organisation unless the test names its own.
    const std::string org =
        absl::StrContains(config_text, "org_file")
            ? ""
            : absl::StrCat("org_file: '", DISPATCH_SOURCE_DIR, "/deploy/org.textproto' ");
    auto config = ParseConfig(absl::StrCat("listen_address: '127.0.0.1:0' redis_address: '",
                                           redis_server_.address(), "' ", org, config_text));
    if (!config.ok()) return config.status();
    auto server = DispatchServer::Start(*config, redis_.get(), clock);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    return absl::OkStatus();
  }

  redis::HiredisOptions redis_options() const { return redis_server_.client_options(); }
  int port() const { return server_->port(); }
  RedisServer& redis_server() { return redis_server_; }
  redis::HiredisClient& redis() { return *redis_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  RedisServer redis_server_;
  std::unique_ptr<redis::HiredisClient> redis_;
  std::unique_ptr<DispatchServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_SERVER_STACK_H_
