// The OpenAPI document (issue #17, design §5.6): made from the hosted methods' descriptors and
// google.api.http rules, it parses as JSON, lists every route with its verb, every $ref
// resolves, and the schemas follow the protobuf JSON mapping. Built from the real services'
// method tables (their dependencies are not needed to register the methods), and served at
// GET /openapi.json.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dispatch/v1/diagnostics.pb.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/dispatchd/openapi.h"
#include "services/escalation/escalation_service.h"
#include "services/intake/intake_service.h"
#include "services/routing/routing_service.h"
#include "services/statistics/statistics_service.h"
#include "tests/dispatchd/served.h"

namespace dispatch {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::Contains;
using ::testing::HasSubstr;

// Every service's methods, as dispatchd registers them (with no dependencies behind them: only
// the tables are read).
struct AllTables {
  AllTables()
      : intake(nullptr, nullptr, nullptr, nullptr, rpc::Limits{}),
        routing(nullptr, nullptr, nullptr, rpc::Limits{}),
        escalation(nullptr, nullptr, nullptr, nullptr, rpc::Limits{}),
        statistics(nullptr, nullptr, rpc::Limits{}) {
    diagnostics.Add<v1::EchoRequest, v1::EchoResponse>(
        rpc::Method{"DiagnosticsService.Echo", nullptr, 1024},
        [](const v1::EchoRequest&, const auth::Caller&, rpc::Reply<v1::EchoResponse>) {});
  }
  std::vector<const rpc::MethodTable*> tables() const {
    return {&intake.methods(), &routing.methods(), &escalation.methods(), &statistics.methods(),
            &diagnostics};
  }
  intake::IntakeGrpcService intake;
  routing::RoutingGrpcService routing;
  escalation::EscalationGrpcService escalation;
  statistics::StatisticsGrpcService statistics;
  rpc::MethodTable diagnostics;
};

Struct Parse(const std::string& json) {
  Struct out;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &out);
  EXPECT_TRUE(parsed.ok()) << parsed.message() << "\n" << json.substr(0, 2000);
  return out;
}

const Value* At(const Struct& s, const std::vector<std::string>& path) {
  const Struct* node = &s;
  const Value* v = nullptr;
  for (const std::string& key : path) {
    if (node == nullptr) return nullptr;
    auto it = node->fields().find(key);
    if (it == node->fields().end()) return nullptr;
    v = &it->second;
    node = v->has_struct_value() ? &v->struct_value() : nullptr;
  }
  return v;
}

// Every "$ref" anywhere in `v`.
void CollectRefs(const Value& v, std::vector<std::string>* out) {
  if (v.has_struct_value()) {
    for (const auto& [key, child] : v.struct_value().fields()) {
      if (key == "$ref" && child.has_string_value()) out->push_back(child.string_value());
      CollectRefs(child, out);
    }
  } else if (v.has_list_value()) {
    for (const Value& child : v.list_value().values()) CollectRefs(child, out);
  }
}

const google::protobuf::MethodDescriptor* MethodOf(const std::string& name) {
  const size_t dot = name.find('.');
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      absl::StrCat("dispatch.v1.", name.substr(0, dot)));
  return service != nullptr ? service->FindMethodByName(name.substr(dot + 1)) : nullptr;
}

std::pair<std::string, std::string> VerbAndPath(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet: return {"get", rule.get()};
    case google::api::HttpRule::kPost: return {"post", rule.post()};
    case google::api::HttpRule::kPut: return {"put", rule.put()};
    case google::api::HttpRule::kDelete: return {"delete", rule.delete_()};
    case google::api::HttpRule::kPatch: return {"patch", rule.patch()};
    default: return {"", ""};
  }
}

const Struct& Schema(const Struct& doc, const std::string& name) {
  const Value* v = At(doc, {"components", "schemas", name});
  EXPECT_NE(v, nullptr) << name;
  static const Struct kEmpty;
  return v != nullptr ? v->struct_value() : kEmpty;
}

const Struct& Property(const Struct& schema, const std::string& name) {
  const Value* v = At(schema, {"properties", name});
  EXPECT_NE(v, nullptr) << name;
  static const Struct kEmpty;
  return v != nullptr ? v->struct_value() : kEmpty;
}

std::string Str(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it != s.fields().end() ? it->second.string_value() : "";
}

// The operation's parameters by name.
std::map<std::string, Struct> Parameters(const Struct& doc, const std::string& path,
                                         const std::string& verb) {
  std::map<std::string, Struct> out;
  const Value* v = At(doc, {"paths", path, verb, "parameters"});
  if (v == nullptr) return out;
  for (const Value& p : v->list_value().values()) {
    out[Str(p.struct_value(), "name")] = p.struct_value();
  }
  return out;
}

TEST(OpenApi, TheDocumentIsOpenApi303JsonWithTheApisTitleAndBearerAuth) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), true));
  EXPECT_EQ(Str(doc, "openapi"), "3.0.3");
  ASSERT_NE(At(doc, {"info", "title"}), nullptr);
  EXPECT_EQ(At(doc, {"info", "title"})->string_value(), "Property complaint dispatch API");
  EXPECT_EQ(At(doc, {"info", "version"})->string_value(), "v1");
  EXPECT_FALSE(At(doc, {"info", "description"})->string_value().empty());
  const Value* bearer = At(doc, {"components", "securitySchemes", "bearerAuth"});
  ASSERT_NE(bearer, nullptr);
  EXPECT_EQ(Str(bearer->struct_value(), "type"), "http");
  EXPECT_EQ(Str(bearer->struct_value(), "scheme"), "bearer");
  EXPECT_EQ(Str(bearer->struct_value(), "bearerFormat"), "JWT");
}

TEST(OpenApi, EveryRouteOfEveryHostedMethodIsInPathsWithItsVerbAndBearerAuth) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), false));
  int routes = 0;
  for (const rpc::MethodTable* table : all.tables()) {
    for (const rpc::MethodTable::Entry* entry : table->entries()) {
      const std::string name = entry->method.name;
      const auto* method = MethodOf(name);
      ASSERT_NE(method, nullptr) << name;
      ASSERT_TRUE(method->options().HasExtension(google::api::http)) << name;
      const auto [verb, path] = VerbAndPath(method->options().GetExtension(google::api::http));
      const Value* op = At(doc, {"paths", path, verb});
      ASSERT_NE(op, nullptr) << name << ": " << verb << " " << path;
      const Struct& o = op->struct_value();
      EXPECT_EQ(Str(o, "operationId"), absl::StrCat(method->service()->name(), "_",
                                                    method->name()));
      ASSERT_NE(At(o, {"tags"}), nullptr);
      EXPECT_EQ(At(o, {"tags"})->list_value().values(0).string_value(),
                method->service()->name());
      EXPECT_NE(At(o, {"responses", "200"}), nullptr) << name;
      EXPECT_NE(At(o, {"responses", "default"}), nullptr) << name;
      const Value* security = At(o, {"security"});
      ASSERT_NE(security, nullptr) << name;
      ASSERT_EQ(security->list_value().values_size(), 1);
      EXPECT_TRUE(security->list_value().values(0).struct_value().fields().count("bearerAuth"));
      // Body "*" methods take the request as their body; the others take none.
      const bool body = method->options().GetExtension(google::api::http).body() == "*";
      EXPECT_EQ(At(o, {"requestBody"}) != nullptr, body) << name;
      ++routes;
    }
  }
  EXPECT_GE(routes, 32);  // every unary RPC of the five services
  // Without the watch there is no /v1/events.
  EXPECT_EQ(At(doc, {"paths", "/v1/events"}), nullptr);
}

TEST(OpenApi, PathFieldsArePathParametersAndAGetsOtherFieldsAreQueryParameters) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), false));
  // A ticket write: the ticket id inside `write`, by its field path; the rest is the body.
  bool found_write = false;
  for (const auto& [path, item] : doc.fields().at("paths").struct_value().fields()) {
    if (!absl::StrContains(path, "{write.ticket_id}")) continue;
    found_write = true;
    for (const auto& [verb, op] : item.struct_value().fields()) {
      auto params = Parameters(doc, path, verb);
      ASSERT_TRUE(params.count("write.ticket_id")) << path;
      EXPECT_EQ(Str(params["write.ticket_id"], "in"), "path");
      EXPECT_TRUE(params["write.ticket_id"].fields().at("required").bool_value());
    }
  }
  EXPECT_TRUE(found_write);
  // GetTicket: ticket_id in the path, never again in the query; contact_view in the query.
  auto get = Parameters(doc, "/v1/tickets/{ticket_id}", "get");
  ASSERT_TRUE(get.count("ticket_id"));
  EXPECT_EQ(Str(get["ticket_id"], "in"), "path");
  ASSERT_TRUE(get.count("contact_view"));
  EXPECT_EQ(Str(get["contact_view"], "in"), "query");
  // ListTickets: repeated enums as arrays, Timestamps as date-time, int32 as integer.
  auto list = Parameters(doc, "/v1/tickets", "get");
  ASSERT_TRUE(list.count("statuses"));
  EXPECT_EQ(Str(list["statuses"].fields().at("schema").struct_value(), "type"), "array");
  ASSERT_TRUE(list.count("accepted_from"));
  EXPECT_EQ(Str(list["accepted_from"].fields().at("schema").struct_value(), "format"),
            "date-time");
  ASSERT_TRUE(list.count("page_size"));
  EXPECT_EQ(Str(list["page_size"].fields().at("schema").struct_value(), "type"), "integer");
}

TEST(OpenApi, EveryRefResolvesToASchemaInComponents) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), true));
  Value root;
  *root.mutable_struct_value() = doc;
  std::vector<std::string> refs;
  CollectRefs(root, &refs);
  ASSERT_FALSE(refs.empty());
  const std::string prefix = "#/components/schemas/";
  for (const std::string& ref : refs) {
    ASSERT_TRUE(absl::StartsWith(ref, prefix)) << ref;
    EXPECT_NE(At(doc, {"components", "schemas", ref.substr(prefix.size())}), nullptr) << ref;
  }
  // The requests and responses themselves are among them.
  EXPECT_THAT(refs, Contains(prefix + "dispatch.v1.SubmitComplaintRequest"));
  EXPECT_THAT(refs, Contains(prefix + "dispatch.v1.GetTicketResponse"));
  EXPECT_THAT(refs, Contains(prefix + "Error"));
}

TEST(OpenApi, SchemasFollowTheProtobufJsonMapping) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), false));
  const Struct& ticket = Schema(doc, "dispatch.v1.Ticket");
  EXPECT_EQ(Str(ticket, "type"), "object");
  // lowerCamelCase names; a Timestamp is a date-time string.
  EXPECT_EQ(Str(Property(ticket, "acceptedAt"), "type"), "string");
  EXPECT_EQ(Str(Property(ticket, "acceptedAt"), "format"), "date-time");
  EXPECT_EQ(At(ticket, {"properties", "accepted_at"}), nullptr);
  // int64 is a string of format int64.
  EXPECT_EQ(Str(Property(ticket, "version"), "type"), "string");
  EXPECT_EQ(Str(Property(ticket, "version"), "format"), "int64");
  // int32 is an integer; a repeated message an array of its $ref.
  EXPECT_EQ(Str(Property(ticket, "returnCount"), "type"), "integer");
  EXPECT_EQ(Str(Property(ticket, "clocks"), "type"), "array");
  EXPECT_EQ(At(Property(ticket, "clocks"), {"items", "$ref"})->string_value(),
            "#/components/schemas/dispatch.v1.SlaClock");
  // An enum is a string listing its value names.
  EXPECT_EQ(At(ticket, {"properties", "status", "$ref"})->string_value(),
            "#/components/schemas/dispatch.v1.TicketStatus");
  const Struct& status = Schema(doc, "dispatch.v1.TicketStatus");
  EXPECT_EQ(Str(status, "type"), "string");
  std::set<std::string> values;
  for (const Value& v : At(status, {"enum"})->list_value().values()) {
    values.insert(v.string_value());
  }
  EXPECT_TRUE(values.count("TICKET_STATUS_ACCEPTED"));
  EXPECT_TRUE(values.count("TICKET_STATUS_CLOSED"));
  const Struct& category = Schema(doc, "dispatch.v1.Category");
  EXPECT_EQ(At(category, {"enum"})->list_value().values_size(),
            v1::Category_descriptor()->value_count());
  // A Duration is a string; a oneof's members are plain properties.
  const Struct& clock = Schema(doc, "dispatch.v1.SlaClock");
  EXPECT_EQ(Str(Property(clock, "target"), "type"), "string");
  EXPECT_EQ(Str(Property(clock, "targetWorkingDays"), "type"), "integer");
  // bytes are base64 strings.
  const Struct& echo = Schema(doc, "dispatch.v1.EchoRequest");
  EXPECT_EQ(Str(Property(echo, "payload"), "format"), "byte");
  // The error body.
  const Struct& error = Schema(doc, "Error");
  EXPECT_EQ(Str(Property(error, "code"), "type"), "integer");
  EXPECT_EQ(Str(Property(error, "status"), "type"), "string");
  EXPECT_EQ(Str(Property(error, "message"), "type"), "string");
  // Well-known types are inline, not schemas of their own.
  EXPECT_EQ(At(doc, {"components", "schemas", "google.protobuf.Timestamp"}), nullptr);
}

TEST(OpenApi, TheWatchIsAnEventStreamThatResumesAfterLastEventId) {
  AllTables all;
  const Struct doc = Parse(OpenApiDocument(all.tables(), true));
  const Value* op = At(doc, {"paths", "/v1/events", "get"});
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(Str(op->struct_value(), "operationId"), "IntakeService_WatchTicketEvents");
  EXPECT_NE(At(op->struct_value(), {"responses", "200", "content", "text/event-stream"}),
            nullptr);
  const std::string description =
      At(op->struct_value(), {"responses", "200", "description"})->string_value();
  EXPECT_THAT(description, HasSubstr("id: <cursor token>"));
  EXPECT_THAT(description, HasSubstr("event: ticket"));
  EXPECT_THAT(description, HasSubstr("Last-Event-ID"));
  auto params = Parameters(doc, "/v1/events", "get");
  ASSERT_TRUE(params.count("Last-Event-ID"));
  EXPECT_EQ(Str(params["Last-Event-ID"], "in"), "header");
  EXPECT_TRUE(params.count("resume_after.token"));
  EXPECT_NE(At(doc, {"components", "schemas", "dispatch.v1.WatchTicketEventsResponse"}),
            nullptr);
}

TEST(OpenApi, TheSameTablesGiveTheSameBytes) {
  AllTables all;
  EXPECT_EQ(OpenApiDocument(all.tables(), true), OpenApiDocument(all.tables(), true));
  AllTables again;
  EXPECT_EQ(OpenApiDocument(all.tables(), true), OpenApiDocument(again.tables(), true));
}

TEST(JsonWriter, StringsAreEscapedAndUtf8PassesThrough) {
  const std::string text = "引号\"反斜杠\\换行\n制表\t控制\x01\x1f end";
  JsonWriter w;
  w.BeginObject().Field("text", text).Key("n").Int(-42).Key("x").Number(0.1);
  w.Key("list").BeginArray().Bool(true).Null().Number(1e300).EndArray().EndObject();
  EXPECT_THAT(w.str(), HasSubstr("引号"));
  EXPECT_THAT(w.str(), HasSubstr("\\u0001"));
  const Struct parsed = Parse(w.str());
  EXPECT_EQ(parsed.fields().at("text").string_value(), text);
  EXPECT_EQ(parsed.fields().at("n").number_value(), -42);
  EXPECT_EQ(parsed.fields().at("x").number_value(), 0.1);
  EXPECT_EQ(parsed.fields().at("list").list_value().values_size(), 3);
}

TEST(OpenApi, TheServerServesTheDocumentAtOpenapiJson) {
  Served s;
  httplib::Client http = s.Http();
  const std::string token = s.pki.Token("duty-1", "430900", {"supervisor"});
  auto res = http.Get("/openapi.json", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("application/json"));
  const Struct doc = Parse(res->body);
  // This server hosts IntakeService (and diagnostics): its routes and the watch are there.
  EXPECT_NE(At(doc, {"paths", "/v1/complaints", "post"}), nullptr);
  EXPECT_NE(At(doc, {"paths", "/v1/tickets/{ticket_id}", "get"}), nullptr);
  EXPECT_NE(At(doc, {"paths", "/v1/events", "get"}), nullptr);
}

}  // namespace
}  // namespace dispatch
