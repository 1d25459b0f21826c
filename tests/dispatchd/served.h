// Served: dispatchd in-process for the operator-surface tests, with its HTTP listener on a
// free loopback port (plaintext there; gRPC over TLS), a real redis-server and the test PKI.
#ifndef DISPATCH_TESTS_DISPATCHD_SERVED_H_
#define DISPATCH_TESTS_DISPATCHD_SERVED_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/dispatchd/server.h"
#include "tests/testing/signed_calls.h"

namespace dispatch {

// A server with the HTTP listener on a free loopback port, probing its dependencies every
// 100 ms.
struct Served {
  using RedisServer = testing::RedisServer;
  using TestPki = testing::TestPki;
  // `extra`: more of the config; `http_extra`: more of its http block.
  explicit Served(const std::string& extra = "", const std::string& http_extra = "") {
    EXPECT_THAT(redis.Start(), testing::IsOk());
    redis::HiredisOptions options = redis.client_options();
    client = std::make_unique<redis::HiredisClient>(options);
    auto parsed = ParseConfig(absl::StrCat(
        "listen_address: '127.0.0.1:0' redis_address: '", redis.address(),
        "' services: 'intake' org_file: '", DISPATCH_SOURCE_DIR,
        "/deploy/org.textproto' http { listen_address: '127.0.0.1:0' "
        "plaintext_on_loopback: true ", http_extra, " } health_interval { nanos: 100000000 } ",
        extra));
    EXPECT_THAT(parsed, testing::IsOk());
    config = *parsed;
    pki.Configure(&config);
    auto started = DispatchServer::Start(config, client.get(), &clock);
    EXPECT_THAT(started, testing::IsOk());
    server = *std::move(started);
  }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), pki.Credentials());
  }
  httplib::Client Http() const {
    httplib::Client c("127.0.0.1", server->http_port());
    c.set_read_timeout(5, 0);
    return c;
  }
  RedisServer redis;
  std::unique_ptr<redis::HiredisClient> client;
  TestPki pki;
  FakeClock clock{absl::FromUnixSeconds(1795500000)};
  DispatchConfig config;
  std::unique_ptr<DispatchServer> server;
};

// Polls `check` until it holds or `within` passes; returns whether it held.
template <typename F>
bool Eventually(F check, absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    if (check()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return check();
}

}  // namespace dispatch

#endif  // DISPATCH_TESTS_DISPATCHD_SERVED_H_
