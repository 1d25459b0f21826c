// The dispatchd binary as an operator runs it: flags, TLS and tokens from a development PKI,
// health checking, reflection-free calls, graceful shutdown on SIGTERM.
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/rpc/unary.h"
#include "services/dispatchd/server.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "common/testing/sample_complaint.h"
#include "tests/testing/dispatchd_process.h"
#include "tests/testing/signed_calls.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::Dispatchd;
using ::dispatch::testing::RedisServer;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::dispatch::testing::TestPki;

std::shared_ptr<grpc::Channel> TlsChannel(const TestPki& pki, int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), pki.Credentials());
}

// A gateway of the 12345 hotline.
void AsHotlineGateway(const TestPki& pki, grpc::ClientContext* ctx) {
  ctx->AddMetadata("authorization",
                   "Bearer " + pki.Token("gw-12345", "", {"gateway"}, {"CHANNEL_HOTLINE_12345"}));
}

HealthCheckResponse::ServingStatus Health(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  return s.ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
}

TEST(Dispatchd, ServesHealthAndIntakeThenStopsGracefullyOnSigterm) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  TestPki pki;
  Dispatchd d({"--listen=127.0.0.1:0", "--redis=" + redis.address(),
               "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto", "--dev_pki=" + pki.dir()});
  ASSERT_GT(d.port(), 0);
  auto channel = TlsChannel(pki, d.port());
  EXPECT_EQ(Health(channel, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(channel, "dispatch.v1.IntakeService"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(channel, "dispatch.v1.EscalationService"), HealthCheckResponse::SERVING);

  auto stub = v1::IntakeService::NewStub(channel);
  grpc::ClientContext ctx;
  AsHotlineGateway(pki, &ctx);
  v1::SubmitComplaintResponse resp;
  ASSERT_TRUE(stub->SubmitComplaint(&ctx, testing::HotlineComplaint("WO-d1"), &resp).ok());
  EXPECT_TRUE(resp.created());

  EXPECT_EQ(d.Terminate(), 0);
}

TEST(Dispatchd, HostsOnlyTheServicesAskedFor) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  TestPki pki;
  Dispatchd d({"--listen=127.0.0.1:0", "--redis=" + redis.address(), "--services=intake",
               "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto", "--dev_pki=" + pki.dir()});
  ASSERT_GT(d.port(), 0);
  auto channel = TlsChannel(pki, d.port());
  EXPECT_EQ(Health(channel, "dispatch.v1.IntakeService"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(channel, "dispatch.v1.RoutingService"), HealthCheckResponse::UNKNOWN);
  EXPECT_EQ(d.Terminate(), 0);
}

TEST(Dispatchd, ABadConfigStopsStartUpWithAClearMessage) {
  Dispatchd d({"--listen=127.0.0.1:0", "--services=intake,billing"});
  EXPECT_EQ(d.port(), 0);
  EXPECT_NE(d.Terminate(), 0);
}

TEST(Dispatchd, WithoutTlsAndTokenKeysItDoesNotStart) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  // No certificate, no token issuer: nothing would be authenticated, so nothing is served.
  Dispatchd d({"--listen=127.0.0.1:0", "--redis=" + redis.address(),
               "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto"});
  EXPECT_EQ(d.port(), 0);
  EXPECT_NE(d.Terminate(), 0);
}

TEST(DispatchServer, PlaintextIsServedOnlyOnALoopbackAddress) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  redis::HiredisClient client(redis.client_options());
  TestPki pki;
  FakeClock clock(absl::FromUnixSeconds(1795500000));
  for (const char* listen : {"0.0.0.0:0", "127.0.0.1:0"}) {
    auto config = ParseConfig(absl::StrCat(
        "listen_address: '", listen, "' redis_address: '", redis.address(),
        "' services: 'intake' tls { plaintext_on_loopback: true } org_file: '",
        DISPATCH_SOURCE_DIR, "/deploy/org.textproto'"));
    ASSERT_THAT(config, IsOk());
    pki.Configure(&*config);
    auto server = DispatchServer::Start(*config, &client, &clock);
    if (std::string(listen) == "0.0.0.0:0") {
      EXPECT_THAT(server, testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                            ::testing::HasSubstr("not a loopback address")));
      continue;
    }
    ASSERT_THAT(server, IsOk());
    // Plaintext, but still a token on every call.
    auto stub = v1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext anonymous;
    v1::SubmitComplaintResponse resp;
    EXPECT_EQ(stub->SubmitComplaint(&anonymous, testing::HotlineComplaint("WO-p"), &resp)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext signed_in;
    AsHotlineGateway(pki, &signed_in);
    EXPECT_TRUE(stub->SubmitComplaint(&signed_in, testing::HotlineComplaint("WO-p"), &resp).ok());
    (*server)->Shutdown(absl::Seconds(1));
  }
}

TEST(Dispatchd, EveryServiceNeedsAnOrganisationIntakeAlsoForItsDesks) {
  Dispatchd d({"--listen=127.0.0.1:0", "--services=intake"});
  EXPECT_EQ(d.port(), 0);
  EXPECT_NE(d.Terminate(), 0);
}

TEST(Dispatchd, WithATimeScaleEveryProcessAdoptsTheEpochSharedInRedis) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  redis::HiredisClient client(redis.client_options());
  // A scaled deployment started ten real seconds ago: at 600x its service time is now about
  // 100 minutes ahead of real time.
  auto time = client.ExecuteSync({"TIME"});
  ASSERT_THAT(time, IsOk());
  const absl::Time real_now = absl::FromUnixSeconds(std::stoll(time->elements[0].str));
  ASSERT_THAT(client.ExecuteSync({"SET", "{time}:epoch",
                                  std::to_string(absl::ToUnixMicros(real_now - absl::Seconds(10)))}),
              IsOk());
  TestPki pki;
  Dispatchd d({"--listen=127.0.0.1:0", "--redis=" + redis.address(), "--services=intake",
               "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto", "--time_scale=600",
               "--dev_pki=" + pki.dir()});
  ASSERT_GT(d.port(), 0);
  auto stub = v1::IntakeService::NewStub(TlsChannel(pki, d.port()));
  grpc::ClientContext ctx;
  // Tokens are judged by the real time, not the scaled service time.
  AsHotlineGateway(pki, &ctx);
  v1::SubmitComplaintResponse resp;
  ASSERT_TRUE(stub->SubmitComplaint(&ctx, testing::HotlineComplaint("WO-scaled"), &resp).ok());
  absl::Time accepted = FromProto(resp.ticket().accepted_at());
  EXPECT_GE(accepted, real_now + absl::Minutes(99));
  EXPECT_LE(accepted, real_now + absl::Minutes(140));
}

TEST(DispatchServer, ShutdownLetsACallInFlightFinishThenStops) {
  RedisServer redis;
  ASSERT_THAT(redis.Start(), IsOk());
  redis::HiredisOptions options = redis.client_options();
  options.command_timeout = absl::Seconds(5);
  redis::HiredisClient client(options);
  auto config = ParseConfig(absl::StrCat("listen_address: '127.0.0.1:0' redis_address: '",
                                         redis.address(), "' services: 'intake' org_file: '",
                                         DISPATCH_SOURCE_DIR, "/deploy/org.textproto'"));
  ASSERT_THAT(config, IsOk());
  TestPki pki;
  pki.Configure(&*config);
  FakeClock clock(absl::FromUnixSeconds(1795500000));
  auto server = DispatchServer::Start(*config, &client, &clock);
  ASSERT_THAT(server, IsOk());
  auto stub = v1::IntakeService::NewStub(TlsChannel(pki, (*server)->port()));

  // Redis holds every client's commands for half a second, so the submission below is still in
  // flight when the shutdown begins.
  ASSERT_THAT(client.ExecuteSync({"CLIENT", "PAUSE", "500", "ALL"}), IsOk());
  grpc::Status submitted;
  std::thread caller([&] {
    grpc::ClientContext ctx;
    AsHotlineGateway(pki, &ctx);
    v1::SubmitComplaintResponse resp;
    submitted = stub->SubmitComplaint(&ctx, testing::HotlineComplaint("WO-inflight"), &resp);
  });
  while (rpc::UnaryCallsInFlight().load() == 0) std::this_thread::yield();
  absl::Time began = absl::Now();
  (*server)->Shutdown(absl::Seconds(10));
  // Shutdown returned once the call was answered (Redis resumed), and it was answered OK.
  EXPECT_GE(absl::Now() - began, absl::Milliseconds(100));
  EXPECT_EQ(rpc::UnaryCallsInFlight().load(), 0);
  caller.join();
  EXPECT_TRUE(submitted.ok()) << submitted.error_message();
}

}  // namespace
}  // namespace dispatch
