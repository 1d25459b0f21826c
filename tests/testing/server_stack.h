// ServerStack: an in-process dispatchd for integration tests — a real redis-server started by
// the test (RedisServer) and a DispatchServer on 127.0.0.1:0 built from the given configuration
// text (with the sample organisation, deploy/org.textproto, unless it names an org_file), over
// TLS with a test PKI (signed_calls.h), with a Redis client and gRPC channels to it: channel()
// signs every call for the actor its request names (ActingAsRequested), Channel() carries only
// what the test puts on each call. Shuts down in its destructor.
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
#include "tests/testing/signed_calls.h"

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
    pki_.Configure(&*config);
    config::v1::Organisation organisation;
    if (absl::Status s = LoadTextProtoFile(config->org_file(), &organisation); !s.ok()) return s;
    for (const auto& u : organisation.units()) {
      if (u.parent_code().empty()) city_ = u.code();
    }
    auto server = DispatchServer::Start(*config, redis_.get(), clock);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    signer_ = std::make_unique<ActingAsRequested>(&pki_, redis_.get(), city_);
    channel_ = SignedChannel(server_->port());
    return absl::OkStatus();
  }

  // A channel to `port` (of this or another server of the test's PKI) whose calls are signed
  // for the actor their request names.
  std::shared_ptr<grpc::Channel> SignedChannel(int port, grpc::ChannelArguments args = {}) {
    return testing::SignedChannel(port, pki_, signer_.get(), std::move(args));
  }
  // A TLS channel that adds nothing: the test puts a token on each call (WithToken).
  std::shared_ptr<grpc::Channel> Channel(
      std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                               credentials != nullptr ? credentials : pki_.Credentials());
  }

  const TestPki& pki() const { return pki_; }
  // The organisation's city code.
  const std::string& city() const { return city_; }

  redis::HiredisOptions redis_options() const { return redis_server_.client_options(); }
  int port() const { return server_->port(); }
  // The HTTP listener's port (0 unless the config has http.listen_address).
  int http_port() const { return server_->http_port(); }
  RedisServer& redis_server() { return redis_server_; }
  redis::HiredisClient& redis() { return *redis_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  TestPki pki_;
  std::string city_;
  RedisServer redis_server_;
  std::unique_ptr<redis::HiredisClient> redis_;
  std::unique_ptr<DispatchServer> server_;
  std::unique_ptr<ActingAsRequested> signer_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Puts `token` on a call.
inline void WithToken(grpc::ClientContext* ctx, const std::string& token) {
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_SERVER_STACK_H_
