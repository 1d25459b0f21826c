// What operators look at (issue #17): Prometheus metrics on the HTTP listener, health that
// follows the dependencies, liveness and readiness. A real redis-server and real TLS; the
// scrape is checked by Debian's promtool.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/status_matchers.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/dispatchd/server.h"
#include "tests/dispatchd/served.h"
#include "tests/testing/http_calls.h"
#include "common/log.h"
#include "dispatch/v1/routing.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/testing/signed_calls.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::RedisServer;
using ::dispatch::testing::TestPki;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

HealthCheckResponse::ServingStatus Health(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  return stub->Check(&ctx, req, &resp).ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
}

v1::SubmitComplaintResponse Submit(const Served& s, const std::string& work_order,
                                   bool signed_in, grpc::Status* status) {
  auto stub = v1::IntakeService::NewStub(s.Channel());
  grpc::ClientContext ctx;
  if (signed_in) {
    ctx.AddMetadata("authorization", "Bearer " + s.pki.Token("gw-12345", "", {"gateway"},
                                                             {"CHANNEL_HOTLINE_12345"}));
  }
  v1::SubmitComplaintResponse resp;
  *status = stub->SubmitComplaint(&ctx, testing::HotlineComplaint(work_order), &resp);
  return resp;
}

// The value of the sample whose line matches `pattern` (labels in any order are not handled:
// the text serializer writes them sorted by name), or -1.
double Sample(const std::string& scrape, const std::string& pattern) {
  std::smatch m;
  std::regex re(pattern + R"( ([0-9.e+-]+)\n)");
  if (!std::regex_search(scrape, m, re)) return -1;
  return std::stod(m[1]);
}

// promtool's linter on a scrape: names, units, HELP, _total on counters.
void ExpectPromtoolPasses(const std::string& scrape) {
  // Per process: ctest runs the tests of this file in parallel processes.
  const std::string path = absl::StrCat(::testing::TempDir(), "/scrape-", getpid(), ".txt");
  std::ofstream(path) << scrape;
  const std::string command = absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string said;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) said += buf;
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << "promtool check metrics:\n" << said;
  EXPECT_EQ(said, "") << said;
}

TEST(Metrics, EveryCallIsCountedByMethodAndCodeAndTheScrapePassesPromtool) {
  Served s;
  ASSERT_GT(s.server->http_port(), 0);
  grpc::Status status;
  Submit(s, "WO-m1", true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Submit(s, "WO-m2", false, &status);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  httplib::Client http = s.Http();
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  const std::string scrape = res->body;
  const std::string submit =
      R"(grpc_method="SubmitComplaint",grpc_service="dispatch.v1.IntakeService",grpc_type="unary")";
  EXPECT_GE(Sample(scrape, R"(grpc_server_handled_total\{grpc_code="OK",)" + submit + R"(\})"),
            1);
  EXPECT_GE(Sample(scrape, R"(grpc_server_handled_total\{grpc_code="Unauthenticated",)" +
                               submit + R"(\})"),
            1);
  EXPECT_GE(Sample(scrape, R"(grpc_server_started_total\{)" + submit + R"(\})"), 2);
  EXPECT_GE(Sample(scrape, R"(grpc_server_handling_seconds_count\{)" + submit + R"(\})"), 2);
  EXPECT_GE(Sample(scrape, R"(dispatch_auth_failures_total\{result="unauthenticated",transport="grpc"\})"),
            1);
  EXPECT_EQ(Sample(scrape, R"(dispatch_dependency_up\{dependency="redis"\})"), 1);

  ExpectPromtoolPasses(scrape);
}

TEST(Metrics, TheDomainIsCountedAsItHappensAcceptedBreachedEscalated) {
  // Accepted, then the service's clock moves four days on: the timer engine breaches the
  // ticket's clocks (the script reads Redis TIME, long past the test clock's deadlines) and
  // escalates it.
  Served s("services: 'routing' services: 'escalation'");
  grpc::Status status;
  Submit(s, "WO-d1", true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  s.clock.Set(absl::FromUnixSeconds(1795500000) + absl::Hours(96));
  httplib::Client http = s.Http();
  std::string scrape;
  auto value = [&](const std::string& pattern) {
    auto res = http.Get("/metrics");
    scrape = res ? res->body : "";
    return Sample(scrape, pattern);
  };
  EXPECT_GE(value(R"(dispatch_complaints_accepted_total\{channel="HOTLINE_12345"\})"), 1);
  EXPECT_GE(Sample(scrape, R"(dispatch_clocks_started_total\{clock="ASSIGN"\})"), 1);
  EXPECT_TRUE(Eventually(
      [&] {
        return value(R"(dispatch_clock_breaches_total\{clock="ASSIGN",tier="[A-Z]+"\})") >= 1 &&
               Sample(scrape, R"(dispatch_escalations_total\{clock="ASSIGN",tier="[A-Z]+"\})") >= 1;
      },
      absl::Seconds(10)))
      << scrape;
  EXPECT_GE(Sample(scrape, R"(dispatch_timer_lateness_seconds_count)"), 1);
  EXPECT_GE(Sample(scrape, R"(dispatch_redis_roundtrip_seconds_count\{client="timers"\})"), 1);
  // The background gauges: present once refreshed, without a Redis call per scrape.
  EXPECT_TRUE(Eventually(
      [&] { return value(R"(dispatch_opstats_refreshed_timestamp_seconds)") > 0; },
      absl::Seconds(10)));
  EXPECT_GE(Sample(scrape, R"(dispatch_timer_due_backlog)"), 0);
  EXPECT_GE(Sample(scrape, R"(dispatch_routing_backlog)"), 0);
  EXPECT_GE(Sample(scrape, R"(dispatch_timer_due_lag_seconds)"), 0);
  EXPECT_GE(Sample(scrape, R"(dispatch_calendar_fallbacks_total)"), 0);
  ExpectPromtoolPasses(scrape);

  // Every dispatch_ metric the alert rules and the Grafana dashboard use is one this server
  // exports (but those of PostgreSQL, the HTTP gateway and watches, which this server has not
  // used or does not run, and the auth failures, made by a refused call).
  std::string deploy;
  for (const char* file : {"/deploy/prometheus/dispatch.rules.yml", "/deploy/grafana/dispatch.json"}) {
    std::ifstream in(std::string(DISPATCH_SOURCE_DIR) + file);
    deploy.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::set<std::string> used;
  const std::regex name(R"(dispatch_[a-z_]+)");
  for (auto it = std::sregex_iterator(deploy.begin(), deploy.end(), name);
       it != std::sregex_iterator(); ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      if (absl::EndsWith(n, suffix)) n = n.substr(0, n.size() - strlen(suffix));
    }
    used.insert(n);
  }
  EXPECT_GE(used.size(), 15u);
  for (const std::string& n : used) {
    if (absl::StartsWith(n, "dispatch_pg_") || absl::StartsWith(n, "dispatch_http_") ||
        n == "dispatch_read_model_lag_seconds" || n == "dispatch_open_tickets" ||
        n == "dispatch_watch_cutoffs_total" || n == "dispatch_auth_failures_total" ||
        n == "dispatch_clock_warnings_total" || n == "dispatch_clocks_met_total" ||
        n == "dispatch_tickets_closed_total" || n == "dispatch_time_to_assign_seconds" ||
        n == "dispatch_time_to_resolve_seconds") {
      continue;  // made by work this test does not do
    }
    EXPECT_THAT(scrape, HasSubstr("# TYPE " + n + " ")) << n << " is in deploy/ but not exported";
  }
}

TEST(Logs, EveryCallIsInTheAccessLogAndEveryWriteAndRefusalInTheAuditLogWithoutPersonalData) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/operator-logs-", getpid());
  std::filesystem::create_directories(dir);
  const std::string access = dir + "/access.log", audit = dir + "/audit.log";
  std::filesystem::remove(access);
  std::filesystem::remove(audit);
  ASSERT_THAT(log::OpenFiles(access, audit), IsOk());
  Served s("services: 'routing' routing_worker_disabled: true");
  grpc::Status status;
  v1::SubmitComplaintResponse accepted = Submit(s, "WO-l1", true, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Submit(s, "WO-l2", false, &status);  // refused at the door
  // A dispatcher's write over HTTP: committed or refused, it is audited.
  v1::RouteTicketRequest route;
  route.mutable_write()->set_ticket_id(accepted.ticket().ticket_id());
  route.mutable_write()->set_expected_version(accepted.ticket().version());
  route.mutable_write()->set_request_id("route-l1");
  route.set_unit_code("430923100001");
  route.set_department(v1::DEPARTMENT_HOUSING);
  v1::TicketActionResponse routed;
  testing::HttpUnary(s.server->http_port(), s.pki.Token("desk-ah", "430900", {"dispatcher"}),
                     "RoutingService.RouteTicket", route, &routed);
  // Open311 and the event stream are counted and logged like the gateway's routes (refused here:
  // no credentials).
  httplib::Client http = s.Http();
  auto open311 = http.Get("/open311/v2/services.json");
  ASSERT_TRUE(open311);
  EXPECT_EQ(open311->status, 401);
  auto events = http.Get("/v1/events");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 401);
  auto scrape = http.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(Sample(scrape->body, R"(dispatch_http_requests_total\{code="401",route="GET /open311/v2/services.json"\})"), 1);
  EXPECT_EQ(Sample(scrape->body, R"(dispatch_http_requests_total\{code="401",route="GET /v1/events"\})"), 1);
  ASSERT_THAT(log::OpenFiles("", ""), IsOk());  // flushes nothing: lines are written whole

  auto lines = [](const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const std::vector<std::string> access_lines = lines(access), audit_lines = lines(audit);
  int grpc_ok = 0, grpc_refused = 0, http_calls = 0;
  std::set<std::string> http_routes;
  for (const std::string& line : access_lines) {
    google::protobuf::Struct json;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &json).ok()) << line;
    const auto& f = json.fields();
    if (f.at("transport").string_value() == "grpc" &&
        f.at("method").string_value() == "dispatch.v1.IntakeService/SubmitComplaint") {
      if (f.at("code").string_value() == "OK") {
        ++grpc_ok;
        EXPECT_EQ(f.at("subject").string_value(), "gw-12345");
      }
      if (f.at("code").string_value() == "Unauthenticated") ++grpc_refused;
    }
    if (f.at("transport").string_value() == "http") {
      ++http_calls;
      http_routes.insert(absl::StrCat(f.at("route").string_value(), " ",
                                      f.at("http_status").string_value()));
    }
  }
  EXPECT_EQ(grpc_ok, 1);
  EXPECT_EQ(grpc_refused, 1);
  EXPECT_EQ(http_calls, 3);  // the scrape of /metrics is not an API call
  EXPECT_THAT(http_routes, ::testing::IsSupersetOf({"POST /v1/tickets/{write.ticket_id}:route 200",
                                                    "GET /open311/v2/services.json 401",
                                                    "GET /v1/events 401"}));
  int accepted_lines = 0, refusals = 0, writes = 0;
  for (const std::string& line : audit_lines) {
    google::protobuf::Struct json;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &json).ok()) << line;
    const std::string action = json.fields().at("action").string_value();
    accepted_lines += action == "complaint_accepted";
    refusals += action == "refused_at_door";
    if (absl::StartsWith(action, "ticket_write")) {
      ++writes;
      EXPECT_EQ(json.fields().at("ticket_id").string_value(), accepted.ticket().ticket_id());
      EXPECT_EQ(json.fields().at("actor").string_value(), "desk-ah");
    }
  }
  EXPECT_EQ(accepted_lines, 1);
  EXPECT_EQ(refusals, 3);  // gRPC, Open311 and the event stream, each without credentials
  EXPECT_EQ(writes, 1);
  // The complainant's name and phone are in no log.
  const auto complaint = testing::HotlineComplaint("WO-l1").complaint();
  for (const auto& line : access_lines) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr(complaint.complainant().phone())));
  }
  for (const auto& line : audit_lines) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr(complaint.complainant().phone())));
    EXPECT_THAT(line, ::testing::Not(HasSubstr(complaint.complainant().name())));
  }
}

TEST(Health, RedisDownTurnsEveryServiceNotServingAndItsReturnServingWithoutARestart) {
  Served s;
  auto channel = s.Channel();
  httplib::Client http = s.Http();
  ASSERT_EQ(Health(channel, ""), HealthCheckResponse::SERVING);
  ASSERT_EQ(Health(channel, "dispatch.v1.IntakeService"), HealthCheckResponse::SERVING);
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  ASSERT_THAT(s.redis.Stop(), IsOk());
  EXPECT_TRUE(Eventually(
      [&] { return Health(channel, "") == HealthCheckResponse::NOT_SERVING; }, absl::Seconds(5)));
  EXPECT_EQ(Health(channel, "dispatch.v1.IntakeService"), HealthCheckResponse::NOT_SERVING);
  ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_THAT(ready->body, HasSubstr(R"("redis":"down")"));
  // Alive all the same: the process answers (a restart would not bring Redis back).
  auto live = http.Get("/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto scrape = http.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(Sample(scrape->body, R"(dispatch_dependency_up\{dependency="redis"\})"), 0);

  ASSERT_THAT(s.redis.Start(), IsOk());
  EXPECT_TRUE(Eventually(
      [&] { return Health(channel, "") == HealthCheckResponse::SERVING; }, absl::Seconds(5)));
  EXPECT_EQ(Health(channel, "dispatch.v1.IntakeService"), HealthCheckResponse::SERVING);
  ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
}

// A server with only IntakeService and the given http block, for the listener's own rules.
struct WithHttp {
  absl::StatusOr<std::unique_ptr<DispatchServer>> Start(const std::string& http_block) {
    if (absl::Status s = redis.Start(); !s.ok()) return s;
    client = std::make_unique<redis::HiredisClient>(redis.client_options());
    auto config = ParseConfig(absl::StrCat(
        "listen_address: '127.0.0.1:0' redis_address: '", redis.address(),
        "' services: 'intake' org_file: '", DISPATCH_SOURCE_DIR, "/deploy/org.textproto' http { ",
        http_block, " }"));
    if (!config.ok()) return config.status();
    pki.Configure(&*config);
    return DispatchServer::Start(*config, client.get(), &clock);
  }
  RedisServer redis;
  std::unique_ptr<redis::HiredisClient> client;
  TestPki pki;
  FakeClock clock{absl::FromUnixSeconds(1795500000)};
};

TEST(Health, AServerStartedWhileRedisIsDownIsNotServingFromItsFirstAnswer) {
  WithHttp w;
  ASSERT_THAT(w.redis.Start(), IsOk());
  ASSERT_THAT(w.redis.Stop(), IsOk());
  redis::HiredisClient client(w.redis.client_options());
  auto config = ParseConfig(absl::StrCat(
      "listen_address: '127.0.0.1:0' redis_address: '", w.redis.address(),
      "' services: 'intake' org_file: '", DISPATCH_SOURCE_DIR,
      "/deploy/org.textproto' http { listen_address: '127.0.0.1:0' plaintext_on_loopback: true }"));
  ASSERT_THAT(config, IsOk());
  w.pki.Configure(&*config);
  auto started = DispatchServer::Start(*config, &client, &w.clock);
  ASSERT_THAT(started, IsOk());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*started)->port()),
                                     w.pki.Credentials());
  EXPECT_EQ(Health(channel, ""), HealthCheckResponse::NOT_SERVING);
  httplib::Client http("127.0.0.1", (*started)->http_port());
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
}

TEST(HttpListener, PlaintextIsServedOnlyOnALoopbackAddress) {
  WithHttp w;
  EXPECT_THAT(w.Start("listen_address: '0.0.0.0:0' plaintext_on_loopback: true"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("http.plaintext_on_loopback")));
}

TEST(HttpListener, ServesTlsWithTheServersCertificateByDefault) {
  WithHttp w;
  auto server = w.Start("listen_address: '127.0.0.1:0'");
  ASSERT_THAT(server, IsOk());
  TestPki& pki = w.pki;
  httplib::SSLClient tls("127.0.0.1", (*server)->http_port());
  tls.set_ca_cert_path((pki.dir() + "/ca.pem").c_str());
  tls.enable_server_certificate_verification(true);
  auto res = tls.Get("/livez");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // Plain HTTP to a TLS listener gets nothing.
  httplib::Client plain("127.0.0.1", (*server)->http_port());
  plain.set_read_timeout(2, 0);
  auto refused = plain.Get("/livez");
  EXPECT_FALSE(refused && refused->status == 200);
}

}  // namespace
}  // namespace dispatch
