// The HTTP/JSON gateway (issue #17): the protobuf JSON mapping both ways, routes from the
// google.api.http rules, errors as HTTP status plus {code, status, message}, server-sent events
// that resume after Last-Event-ID. (Every RPC × role × scope over HTTP is the access matrix,
// tests/auth/access_matrix_test.cc, run over gRPC and the gateway alike.)
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/stream_cursor.h"
#include "common/testing/sample_complaint.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/dispatchd/gateway.h"
#include "tests/dispatchd/served.h"
#include "tests/testing/http_calls.h"

namespace dispatch {
namespace {

using ::testing::HasSubstr;

std::string Gateway12345(const Served& s) {
  return s.pki.Token("gw-12345", "", {"gateway"}, {"CHANNEL_HOTLINE_12345"});
}

httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

google::protobuf::Struct Json(const std::string& body) {
  google::protobuf::Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &out).ok()) << body;
  return out;
}

TEST(GatewayErrors, EveryGrpcCodeHasTheHttpStatusIntegratorsExpect) {
  const std::vector<std::pair<absl::StatusCode, int>> table = {
      {absl::StatusCode::kOk, 200},
      {absl::StatusCode::kCancelled, 499},
      {absl::StatusCode::kUnknown, 500},
      {absl::StatusCode::kInvalidArgument, 400},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kFailedPrecondition, 400},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnauthenticated, 401},
  };
  for (const auto& [code, http] : table) {
    EXPECT_EQ(HttpStatusOf(code), http) << absl::StatusCodeToString(code);
    if (code == absl::StatusCode::kOk) continue;
    // The body names the code by number and name, and carries the message as is.
    auto body = Json(ErrorJson(absl::Status(code, "field x: \"quoted\"\n中文")));
    EXPECT_EQ(body.fields().at("code").number_value(), static_cast<int>(code));
    EXPECT_EQ(body.fields().at("message").string_value(), "field x: \"quoted\"\n中文");
    EXPECT_FALSE(body.fields().at("status").string_value().empty());
  }
}

TEST(Gateway, AComplaintSubmittedAsJsonIsTheTicketGrpcReads) {
  Served s;
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(testing::HotlineComplaint("WO-h1"), &json)
                  .ok());
  httplib::Client http = s.Http();
  auto res = http.Post("/v1/complaints", Bearer(Gateway12345(s)), json, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  // lowerCamelCase names, enums by name.
  EXPECT_THAT(res->body, HasSubstr("\"ticketId\":\""));
  EXPECT_THAT(res->body, HasSubstr("\"TICKET_STATUS_ACCEPTED\""));
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &submitted).ok());
  EXPECT_TRUE(submitted.created());

  // The same ticket over gRPC.
  auto stub = v1::IntakeService::NewStub(s.Channel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + Gateway12345(s));
  v1::GetTicketRequest get;
  get.set_ticket_id(submitted.ticket().ticket_id());
  v1::GetTicketResponse got;
  ASSERT_TRUE(stub->GetTicket(&ctx, get, &got).ok());
  EXPECT_EQ(got.ticket().complaint().description(),
            testing::HotlineComplaint("WO-h1").complaint().description());

  // And over HTTP by its path; a re-send is the same ticket, not created again.
  auto read = http.Get(absl::StrCat("/v1/tickets/", submitted.ticket().ticket_id()),
                       Bearer(Gateway12345(s)));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200) << read->body;
  auto again = http.Post("/v1/complaints", Bearer(Gateway12345(s)), json, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_THAT(again->body, ::testing::Not(HasSubstr("\"created\":true")));
  // Every answer tells the service's time and scale (the dashboard's clocks follow them).
  EXPECT_FALSE(read->get_header_value("X-Dispatch-Service-Time").empty());
  EXPECT_EQ(read->get_header_value("X-Dispatch-Time-Scale"), "1");
}

TEST(Gateway, ErrorsAreTheHttpStatusOfTheirCodeWithAJsonBody) {
  Served s;
  httplib::Client http = s.Http();
  std::string valid;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(testing::HotlineComplaint("WO-e1"), &valid).ok());
  auto expect = [](const httplib::Result& res, int http_status, int code,
                   const std::string& message_part) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, http_status) << res->body;
    auto body = Json(res->body);
    EXPECT_EQ(body.fields().at("code").number_value(), code) << res->body;
    EXPECT_THAT(body.fields().at("message").string_value(), HasSubstr(message_part));
  };
  // UNAUTHENTICATED: no token; the challenge names the scheme.
  auto anonymous = http.Post("/v1/complaints", valid, "application/json");
  expect(anonymous, 401, 16, "");
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Bearer");
  // PERMISSION_DENIED: a gateway may not list tickets.
  expect(http.Get("/v1/tickets", Bearer(Gateway12345(s))), 403, 7, "the rule allows");
  // INVALID_ARGUMENT: the field and the rule, as over gRPC.
  v1::SubmitComplaintRequest bad = testing::HotlineComplaint("WO-e2");
  bad.mutable_complaint()->mutable_complainant()->set_phone("12");
  std::string bad_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(bad, &bad_json).ok());
  expect(http.Post("/v1/complaints", Bearer(Gateway12345(s)), bad_json, "application/json"), 400,
         3, "complaint.complainant.phone");
  // INVALID_ARGUMENT: a body that is not the request's JSON.
  expect(http.Post("/v1/complaints", Bearer(Gateway12345(s)), "{\"complaint\": 7}",
                   "application/json"),
         400, 3, "body: not a valid dispatch.v1.SubmitComplaintRequest");
  // INVALID_ARGUMENT: a query parameter that names no field.
  const std::string supervisor = s.pki.Token("duty-1", "430900", {"supervisor"});
  expect(http.Get("/v1/tickets?colour=red", Bearer(supervisor)), 400, 3,
         "query parameter colour");
  // NOT_FOUND: no such route; a ticket of another county (it does not exist for the caller).
  expect(http.Get("/v1/nothing-here", Bearer(supervisor)), 404, 5, "no such route");
  auto accepted = http.Post("/v1/complaints", Bearer(Gateway12345(s)), valid, "application/json");
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->status, 200);
  v1::SubmitComplaintResponse first;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(accepted->body, &first).ok());
  expect(http.Get(absl::StrCat("/v1/tickets/", first.ticket().ticket_id()),
                  Bearer(s.pki.Token("duty-2", "430902", {"supervisor"}))),
         404, 5, "");
  // ALREADY_EXISTS: the same work order with another complaint.
  v1::SubmitComplaintRequest changed = testing::HotlineComplaint("WO-e1");
  changed.mutable_complaint()->set_title("另一件事");
  std::string changed_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(changed, &changed_json).ok());
  expect(http.Post("/v1/complaints", Bearer(Gateway12345(s)), changed_json, "application/json"),
         409, 6, "");
  // RESOURCE_EXHAUSTED: a request over limits.max_request_bytes.
  v1::SubmitComplaintRequest big = testing::HotlineComplaint("WO-e3");
  big.mutable_complaint()->set_description(std::string(70000, 'x'));
  std::string big_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(big, &big_json).ok());
  expect(http.Post("/v1/complaints", Bearer(Gateway12345(s)), big_json, "application/json"), 429,
         8, "limits.max_request_bytes");
  // UNAVAILABLE: Redis down.
  ASSERT_THAT(s.redis.Stop(), testing::IsOk());
  v1::SubmitComplaintRequest later = testing::HotlineComplaint("WO-e4");
  std::string later_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(later, &later_json).ok());
  expect(http.Post("/v1/complaints", Bearer(Gateway12345(s)), later_json, "application/json"),
         503, 14, "");
}

TEST(Gateway, TheEventStreamResumesAfterTheLastEventIdWithNothingLostOrRepeated) {
  Served s;
  grpc::Status status;
  const std::string supervisor = s.pki.Token("duty-1", "430900", {"supervisor"});
  auto submit = [&](const std::string& work_order) {
    httplib::Client http = s.Http();
    v1::SubmitComplaintRequest req = testing::HotlineComplaint(work_order);
    req.mutable_complaint()->mutable_location()->mutable_jurisdiction()->set_community_code(
        "430923100001");
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(req, &json).ok());
    auto res = http.Post("/v1/complaints", Bearer(Gateway12345(s)), json, "application/json");
    v1::SubmitComplaintResponse resp;
    EXPECT_TRUE(res && res->status == 200);
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &resp).ok());
    return resp.ticket().ticket_id();
  };
  // From the start of the streams: the first ticket's event, and its id.
  const std::string first = submit("WO-s1");
  v1::WatchTicketEventsRequest from_start;
  from_start.mutable_resume_after()->set_token(
      EncodeStreamCursor(std::vector<std::string>(keys::kShardCount, "0-0")));
  std::string id;
  ASSERT_TRUE(testing::HttpWatchFor(s.server->http_port(), supervisor, from_start, first, 3000, &id)
                  .ok());
  ASSERT_FALSE(id.empty());
  // After that id the first ticket's event does not come again; the second's does.
  const std::string second = submit("WO-s2");
  std::string next_id;
  EXPECT_EQ(testing::HttpWatchFor(s.server->http_port(), supervisor, v1::WatchTicketEventsRequest(),
                                  first, 800, nullptr, id)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(testing::HttpWatchFor(s.server->http_port(), supervisor,
                                    v1::WatchTicketEventsRequest(), second, 3000, &next_id, id)
                  .ok());
  EXPECT_NE(next_id, id);
  // Refused like gRPC: no token, and a unit outside the caller's.
  EXPECT_EQ(testing::HttpWatchFor(s.server->http_port(), "", from_start, first).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::WatchTicketEventsRequest elsewhere;
  elsewhere.set_unit_code("430902");
  EXPECT_EQ(testing::HttpWatchFor(s.server->http_port(),
                                  s.pki.Token("duty-2", "430923", {"supervisor"}), elsewhere, first)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(Gateway, ServesTheDashboardsFilesFromTheWebRoot) {
  const std::string root = absl::StrCat(::testing::TempDir(), "/web-root-", getpid());
  std::filesystem::create_directories(root);
  std::ofstream(root + "/index.html") << "<!doctype html><title>值班</title>";
  Served s("", absl::StrCat("web_root: '", root, "'"));
  httplib::Client http = s.Http();
  auto page = http.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("值班"));
  EXPECT_EQ(page->get_header_value("Content-Security-Policy"), "default-src 'self'");
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
}

}  // namespace
}  // namespace dispatch
