// The Open311 GeoReport v2 subset (issue #17 item 4, design §5.7) on a real dispatchd: the
// service list from the Category enum, a request posted as a form by a one-channel gateway and
// read back without any personal data, the list by ids, and the refusals: api_key, no
// credentials, a gateway of several channels, no idempotency key, listing without ids.
#include <set>
#include <string>
#include <vector>

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dispatch/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/dispatchd/served.h"

namespace dispatch {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::Not;

// What the complainant gave; none of it may come back on a read.
constexpr char kFamilyName[] = "王";
constexpr char kGivenName[] = "小明";
constexpr char kPhone[] = "13812345678";
constexpr char kDescription[] = "3号楼2单元电梯停运两天，物业称等配件，老人上下楼困难。";
constexpr char kAddress[] = "翠苑一区3幢2单元501室";

// An Open311 client: a gateway with one channel of its own.
std::string CivicApp(const Served& s) {
  return s.pki.Token("open311-app", "", {"gateway"}, {"CHANNEL_QR_CODE"});
}

httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

httplib::Headers WithKey(const std::string& token, const std::string& key) {
  return {{"Authorization", "Bearer " + token}, {"Idempotency-Key", key}};
}

httplib::Params Form() {
  return {{"service_code", "CATEGORY_SPECIAL_EQUIPMENT"},
          {"description", kDescription},
          {"address_string", kAddress},
          {"first_name", kGivenName},
          {"last_name", kFamilyName},
          {"phone", kPhone}};
}

// An Open311 answer: a JSON array.
std::vector<Struct> Items(const std::string& body) {
  Value v;
  auto parsed = google::protobuf::util::JsonStringToMessage(body, &v);
  EXPECT_TRUE(parsed.ok()) << body;
  EXPECT_TRUE(v.has_list_value()) << body;
  std::vector<Struct> out;
  for (const Value& item : v.list_value().values()) out.push_back(item.struct_value());
  return out;
}

std::string Str(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it != s.fields().end() ? it->second.string_value() : "";
}

// An Open311 error: [{"code":<status>,"description":"..."}] with that HTTP status.
void ExpectError(const httplib::Result& res, int status, const std::string& description_part) {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status) << res->body;
  auto items = Items(res->body);
  ASSERT_EQ(items.size(), 1u) << res->body;
  EXPECT_EQ(items[0].fields().at("code").number_value(), status) << res->body;
  EXPECT_THAT(Str(items[0], "description"), HasSubstr(description_part)) << res->body;
}

// Posts the standard form as the civic app; the service_request_id.
std::string Submit(const Served& s, const std::string& key) {
  httplib::Client http = s.Http();
  auto res = http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), key), Form());
  EXPECT_TRUE(res);
  if (!res) return "";
  EXPECT_EQ(res->status, 200) << res->body;
  auto items = Items(res->body);
  EXPECT_EQ(items.size(), 1u) << res->body;
  return items.empty() ? "" : Str(items[0], "service_request_id");
}

// (Ticket ids and times are ASCII, so no Chinese text of the complaint can appear by chance.)
void ExpectNoPersonalData(const std::string& body) {
  EXPECT_THAT(body, Not(HasSubstr(kFamilyName)));
  EXPECT_THAT(body, Not(HasSubstr(kGivenName)));
  EXPECT_THAT(body, Not(HasSubstr(kPhone)));
  EXPECT_THAT(body, Not(HasSubstr("****")));  // not even masked
  EXPECT_THAT(body, Not(HasSubstr("电梯停运")));
  EXPECT_THAT(body, Not(HasSubstr("老人")));
  EXPECT_THAT(body, Not(HasSubstr("翠苑")));
  EXPECT_THAT(body, Not(HasSubstr("幢")));
  EXPECT_THAT(body, Not(HasSubstr("单元")));
}

TEST(Open311, TheServiceListHasEveryCategoryButUnspecifiedWithChineseNames) {
  Served s;
  httplib::Client http = s.Http();
  auto res = http.Get("/open311/v2/services.json", Bearer(CivicApp(s)));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("application/json"));
  auto services = Items(res->body);
  EXPECT_EQ(static_cast<int>(services.size()), v1::Category_descriptor()->value_count() - 1);
  std::set<std::string> codes;
  for (const Struct& service : services) {
    const std::string code = Str(service, "service_code");
    codes.insert(code);
    EXPECT_NE(code, "CATEGORY_UNSPECIFIED");
    EXPECT_FALSE(Str(service, "service_name").empty()) << code;
    EXPECT_FALSE(service.fields().at("metadata").bool_value()) << code;
    EXPECT_EQ(Str(service, "type"), "realtime") << code;
    if (code == "CATEGORY_SPECIAL_EQUIPMENT") {
      EXPECT_EQ(Str(service, "service_name"), "电梯等特种设备");
      EXPECT_EQ(Str(service, "group"), "市场监管");
    }
  }
  EXPECT_TRUE(codes.count("CATEGORY_SPECIAL_EQUIPMENT"));
  EXPECT_TRUE(codes.count("CATEGORY_EMERGENCY_FIRE"));
  EXPECT_TRUE(codes.count("CATEGORY_OTHER"));
  EXPECT_EQ(codes.size(), services.size());
}

TEST(Open311, ARequestPostedAsAFormIsReadBackWithoutPersonalData) {
  Served s;
  const std::string id = Submit(s, "open311-7d3c1f0a");
  ASSERT_TRUE(absl::StartsWith(id, "T")) << id;

  httplib::Client http = s.Http();
  auto one = http.Get(absl::StrCat("/open311/v2/requests/", id, ".json"), Bearer(CivicApp(s)));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;
  auto items = Items(one->body);
  ASSERT_EQ(items.size(), 1u);
  const Struct& request = items[0];
  EXPECT_EQ(Str(request, "service_request_id"), id);
  EXPECT_EQ(Str(request, "status"), "open");
  EXPECT_EQ(Str(request, "service_code"), "CATEGORY_SPECIAL_EQUIPMENT");
  EXPECT_EQ(Str(request, "service_name"), "电梯等特种设备");
  EXPECT_FALSE(Str(request, "requested_datetime").empty());
  EXPECT_FALSE(Str(request, "expected_datetime").empty());  // the 3-day clock's deadline
  // No free text at all: neither the description nor status notes.
  EXPECT_EQ(request.fields().count("description"), 0u);
  EXPECT_EQ(request.fields().count("status_notes"), 0u);
  ExpectNoPersonalData(one->body);

  // The list by ids: an unknown id is simply left out.
  auto list = http.Get(absl::StrCat("/open311/v2/requests.json?service_request_id=", id,
                                    ",T20000101-000-NOSUCH00"),
                       Bearer(CivicApp(s)));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  auto listed = Items(list->body);
  ASSERT_EQ(listed.size(), 1u) << list->body;
  EXPECT_EQ(Str(listed[0], "service_request_id"), id);
  ExpectNoPersonalData(list->body);
}

TEST(Open311, ARetryWithTheSameIdempotencyKeyIsTheSameRequest) {
  Served s;
  const std::string first = Submit(s, "retry-1");
  ASSERT_FALSE(first.empty());
  httplib::Client http = s.Http();
  auto again = http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "retry-1"), Form());
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  auto items = Items(again->body);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(Str(items[0], "service_request_id"), first);
  EXPECT_FALSE(Str(items[0], "service_notice").empty());  // says it was accepted before
  // Another request under the same key is a conflict naming the key.
  httplib::Params other = Form();
  other.erase("description");
  other.emplace("description", "另一件事：车库积水");
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "retry-1"), other), 409,
              "Idempotency-Key");
  // The key may also come as a request_id field.
  httplib::Params with_field = Form();
  with_field.emplace("request_id", "retry-2");
  auto by_field = http.Post("/open311/v2/requests.json", Bearer(CivicApp(s)), with_field);
  ASSERT_TRUE(by_field);
  EXPECT_EQ(by_field->status, 200) << by_field->body;
}

TEST(Open311, ARequestMayAlsoBePostedAsJson) {
  Served s;
  httplib::Client http = s.Http();
  const std::string body = absl::StrCat(
      "{\"service_code\":\"CATEGORY_SERVICE_QUALITY\",\"description\":\"", kDescription,
      "\",\"address_string\":\"", kAddress, "\",\"last_name\":\"", kFamilyName,
      "\",\"phone\":", kPhone, "}");
  auto res = http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "json-1"), body,
                       "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto items = Items(res->body);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(Str(items[0], "service_request_id"), "T")) << res->body;
}

TEST(Open311, AnApiKeyIsRefusedBecauseCredentialsInUrlsLeak) {
  Served s;
  httplib::Client http = s.Http();
  ExpectError(http.Get("/open311/v2/services.json?api_key=secret", Bearer(CivicApp(s))), 400,
              "api_key");
  ExpectError(http.Get("/open311/v2/requests/T1.json?api_key=secret", Bearer(CivicApp(s))), 400,
              "api_key");
  httplib::Params form = Form();
  form.emplace("api_key", "secret");
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "k-1"), form), 400,
              "api_key");
}

TEST(Open311, EveryRouteNeedsCredentials) {
  Served s;
  httplib::Client http = s.Http();
  auto services = http.Get("/open311/v2/services.json");
  ExpectError(services, 401, "");
  EXPECT_EQ(services->get_header_value("WWW-Authenticate"), "Bearer");
  ExpectError(http.Get("/open311/v2/requests/T1.json"), 401, "");
  ExpectError(http.Get("/open311/v2/requests.json?service_request_id=T1"), 401, "");
  ExpectError(http.Post("/open311/v2/requests.json",
                        httplib::Headers{{"Idempotency-Key", "anon-1"}}, Form()),
              401, "");
  ExpectError(http.Get("/open311/v2/services.json", Bearer("not-a-token")), 401, "");
}

TEST(Open311, AReadOfAnotherChannelsRequestFindsNothing) {
  Served s;
  const std::string id = Submit(s, "scope-1");
  ASSERT_FALSE(id.empty());
  const std::string other = s.pki.Token("mail-gw", "", {"gateway"}, {"CHANNEL_EMAIL"});
  httplib::Client http = s.Http();
  ExpectError(http.Get(absl::StrCat("/open311/v2/requests/", id, ".json"), Bearer(other)), 404,
              "");
  auto list = http.Get(absl::StrCat("/open311/v2/requests.json?service_request_id=", id),
                       Bearer(other));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_TRUE(Items(list->body).empty()) << list->body;
}

TEST(Open311, ASubmissionNeedsAOneChannelGatewayAndAnIdempotencyKey) {
  Served s;
  httplib::Client http = s.Http();
  const std::string two = s.pki.Token("gw-2", "", {"gateway"},
                                      {"CHANNEL_QR_CODE", "CHANNEL_EMAIL"});
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(two, "two-1"), Form()), 403,
              "exactly one channel");
  const std::string supervisor = s.pki.Token("duty-1", "430900", {"supervisor"});
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(supervisor, "sup-1"), Form()), 403,
              "");
  ExpectError(http.Post("/open311/v2/requests.json", Bearer(CivicApp(s)), Form()), 400,
              "Idempotency-Key: required");
  ExpectError(
      http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "bad key!"), Form()), 400,
      "Idempotency-Key");
}

TEST(Open311, ErrorsNameTheOpen311Fields) {
  Served s;
  httplib::Client http = s.Http();
  httplib::Params bad_phone = Form();
  bad_phone.erase("phone");
  bad_phone.emplace("phone", "12");
  auto res = http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "v-1"), bad_phone);
  ExpectError(res, 400, "phone: not a phone number");
  EXPECT_THAT(res->body, Not(HasSubstr("complaint.")));
  httplib::Params unknown = Form();
  unknown.erase("service_code");
  unknown.emplace("service_code", "POTHOLE");
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "v-2"), unknown), 400,
              "service_code");
  httplib::Params placed = Form();
  placed.erase("address_string");
  placed.emplace("lat", "30.27");
  placed.emplace("long", "120.15");
  ExpectError(http.Post("/open311/v2/requests.json", WithKey(CivicApp(s), "v-3"), placed), 400,
              "lat/long");
}

TEST(Open311, ListingWithoutIdsIsNotOfferedAndSaysWhy) {
  Served s;
  httplib::Client http = s.Http();
  ExpectError(http.Get("/open311/v2/requests.json?status=open", Bearer(CivicApp(s))), 400,
              "not offered");
  std::string many = "T0";
  for (int i = 1; i <= 50; ++i) absl::StrAppend(&many, ",T", i);
  ExpectError(http.Get(absl::StrCat("/open311/v2/requests.json?service_request_id=", many),
                       Bearer(CivicApp(s))),
              400, "at most 50");
  // XML is not served; nor is any other path under /open311/.
  ExpectError(http.Get("/open311/v2/services.xml", Bearer(CivicApp(s))), 404, "JSON only");
}

}  // namespace
}  // namespace dispatch
