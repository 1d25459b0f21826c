#include "services/dispatchd/openapi.h"

#include "common/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"

namespace dispatch {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

// ---------------------------------------------------------------------------------------------
// JsonWriter

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!empty_.empty()) {
    if (!empty_.back()) out_ += ',';
    empty_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  empty_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  if (!empty_.empty()) empty_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  empty_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  if (!empty_.empty()) empty_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  Separate();
  out_ += Quote(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view value) {
  Separate();
  out_ += Quote(value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Separate();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Number(double value) {
  Separate();
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  // The shortest of %.15g and %.17g that reads back as the same double.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  if (std::strtod(buf, nullptr) != value) std::snprintf(buf, sizeof buf, "%.17g", value);
  out_ += buf;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Field(absl::string_view key, absl::string_view value) {
  return Key(key).String(value);
}

std::string JsonWriter::Quote(absl::string_view s) { return JsonQuote(s); }

// ---------------------------------------------------------------------------------------------
// The document

namespace {

constexpr char kSchemas[] = "#/components/schemas/";
constexpr char kErrorSchema[] = "Error";

// One route of the document.
struct Operation {
  std::string verb;     // "get"
  std::string pattern;  // "/v1/tickets/{ticket_id}"
  std::string service;  // "IntakeService"
  std::string method;   // "GetTicket"
  const Descriptor* request = nullptr;
  const Descriptor* response = nullptr;
  bool body_all = false;
  bool watch = false;
};

const MethodDescriptor* FindMethod(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          absl::StrCat("dispatch.v1.", name.substr(0, dot)));
  return service != nullptr ? service->FindMethodByName(name.substr(dot + 1)) : nullptr;
}

// The verb ("get") and path of `rule`; false when it has no verb this document knows.
bool VerbAndPath(const google::api::HttpRule& rule, std::string* verb, std::string* path) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet: *verb = "get"; *path = rule.get(); return true;
    case google::api::HttpRule::kPost: *verb = "post"; *path = rule.post(); return true;
    case google::api::HttpRule::kPut: *verb = "put"; *path = rule.put(); return true;
    case google::api::HttpRule::kDelete: *verb = "delete"; *path = rule.delete_(); return true;
    case google::api::HttpRule::kPatch: *verb = "patch"; *path = rule.patch(); return true;
    default: return false;
  }
}

// The field paths of a path template ("/v1/tickets/{write.ticket_id}:route" -> write.ticket_id).
std::vector<std::string> PathFields(const std::string& pattern) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = pattern.find('{', at)) != std::string::npos) {
    const size_t close = pattern.find('}', at);
    if (close == std::string::npos) break;
    std::string field = pattern.substr(at + 1, close - at - 1);
    // "{name=pattern}" names its field before the '='.
    out.push_back(field.substr(0, field.find('=')));
    at = close + 1;
  }
  return out;
}

// The field a dotted proto path names in `d`; null when it names none.
const FieldDescriptor* FieldAt(const Descriptor* d, const std::string& path) {
  const FieldDescriptor* f = nullptr;
  for (absl::string_view piece : absl::StrSplit(path, '.')) {
    if (d == nullptr) return nullptr;
    const std::string part(piece);
    f = d->FindFieldByName(part);
    if (f == nullptr) f = d->FindFieldByCamelcaseName(part);
    if (f == nullptr) return nullptr;
    d = f->type() == FieldDescriptor::TYPE_MESSAGE ? f->message_type() : nullptr;
  }
  return f;
}

bool IsTimestamp(const Descriptor* d) { return d->full_name() == "google.protobuf.Timestamp"; }
bool IsDuration(const Descriptor* d) { return d->full_name() == "google.protobuf.Duration"; }

class Generator {
 public:
  void AddRoot(const Descriptor* d) { Collect(d); }

  std::string Write(const std::map<std::string, std::map<int, Operation>>& paths,
                    const std::set<std::string>& services) {
    JsonWriter w;
    w.BeginObject();
    w.Field("openapi", "3.0.3");
    w.Key("info").BeginObject();
    w.Field("title", "Property complaint dispatch API");
    w.Field("version", "v1");
    w.Field("description",
            "The RPCs of the property-complaint dispatch service (物业投诉派单) over HTTP/JSON. "
            "Routes come from the protos' google.api.http rules; bodies and answers use the "
            "protobuf JSON mapping (lowerCamelCase names, enums by name, 64-bit integers as "
            "strings, times in RFC 3339, fields at their default left out; unknown request "
            "fields are dropped). Every call needs Authorization: Bearer <token> (or a client "
            "certificate the TLS listener verified) and passes the same access policy as gRPC; "
            "a ticket outside the caller's reach reads as NOT_FOUND. An error is the HTTP "
            "status of its gRPC code with {code, status, message}; the message names the field "
            "and the rule.");
    w.EndObject();
    w.Key("tags").BeginArray();
    for (const std::string& s : services) {
      w.BeginObject().Field("name", s).Field("description", absl::StrCat("dispatch.v1.", s));
      w.EndObject();
    }
    w.EndArray();
    w.Key("paths").BeginObject();
    for (const auto& [pattern, operations] : paths) {
      w.Key(pattern).BeginObject();
      for (const auto& [order, op] : operations) {
        (void)order;
        WriteOperation(w, op);
      }
      w.EndObject();
    }
    w.EndObject();
    w.Key("components").BeginObject();
    w.Key("securitySchemes").BeginObject();
    w.Key("bearerAuth").BeginObject();
    w.Field("type", "http").Field("scheme", "bearer").Field("bearerFormat", "JWT");
    w.Field("description",
            "A token of the province's single sign-on: sub, unit, roles and (gateways) "
            "channels. Tokens never go into URLs.");
    w.EndObject();
    w.EndObject();
    w.Key("schemas").BeginObject();
    // One sorted list of names (messages, enums and the error body).
    std::map<std::string, int> names;  // 0 message, 1 enum, 2 the error
    for (const auto& [name, d] : messages_) names[name] = 0;
    for (const auto& [name, e] : enums_) names[name] = 1;
    names[kErrorSchema] = 2;
    for (const auto& [name, kind] : names) {
      w.Key(name);
      if (kind == 0) {
        WriteMessage(w, messages_.at(name));
      } else if (kind == 1) {
        WriteEnum(w, enums_.at(name));
      } else {
        WriteError(w);
      }
    }
    w.EndObject();
    w.EndObject();
    w.EndObject();
    return w.str();
  }

 private:
  // Adds `d` and everything reachable from it (well-known types are written inline).
  void Collect(const Descriptor* d) {
    if (WellKnown(d) || d->options().map_entry()) return;
    if (!messages_.emplace(d->full_name(), d).second) return;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->is_map()) f = f->message_type()->map_value();
      if (f->type() == FieldDescriptor::TYPE_MESSAGE || f->type() == FieldDescriptor::TYPE_GROUP) {
        Collect(f->message_type());
      } else if (f->type() == FieldDescriptor::TYPE_ENUM) {
        enums_.emplace(f->enum_type()->full_name(), f->enum_type());
      }
    }
  }

  // Whether `d` is written inline (WriteWellKnown) rather than as a schema of its own.
  static bool WellKnown(const Descriptor* d) {
    static const std::set<std::string> kInline = {
        "google.protobuf.Timestamp",   "google.protobuf.Duration",    "google.protobuf.Struct",
        "google.protobuf.Value",       "google.protobuf.ListValue",   "google.protobuf.Empty",
        "google.protobuf.FieldMask",   "google.protobuf.Any",         "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",  "google.protobuf.Int64Value",  "google.protobuf.UInt64Value",
        "google.protobuf.Int32Value",  "google.protobuf.UInt32Value", "google.protobuf.BoolValue",
        "google.protobuf.StringValue", "google.protobuf.BytesValue",
    };
    return kInline.count(d->full_name()) > 0;
  }

  static void WriteWellKnown(JsonWriter& w, const Descriptor* d) {
    const std::string& n = d->full_name();
    w.BeginObject();
    if (n == "google.protobuf.Timestamp") {
      w.Field("type", "string").Field("format", "date-time");
    } else if (n == "google.protobuf.Duration") {
      w.Field("type", "string").Field("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$");
      w.Field("description", "seconds with an s suffix, e.g. \"1800s\"");
    } else if (n == "google.protobuf.Struct") {
      w.Field("type", "object").Key("additionalProperties").Bool(true);
    } else if (n == "google.protobuf.Value") {
      w.Field("description", "any JSON value");
    } else if (n == "google.protobuf.ListValue") {
      w.Field("type", "array").Key("items").BeginObject().EndObject();
    } else if (n == "google.protobuf.Empty") {
      w.Field("type", "object");
    } else if (n == "google.protobuf.FieldMask") {
      w.Field("type", "string").Field("description", "field paths, comma-separated");
    } else if (n == "google.protobuf.Any") {
      w.Field("type", "object");
      w.Key("properties").BeginObject().Key("@type").BeginObject().Field("type", "string");
      w.EndObject().EndObject();
      w.Key("additionalProperties").Bool(true);
    } else if (n == "google.protobuf.DoubleValue" || n == "google.protobuf.FloatValue") {
      w.Field("type", "number").Key("nullable").Bool(true);
    } else if (n == "google.protobuf.Int64Value" || n == "google.protobuf.UInt64Value") {
      w.Field("type", "string").Field("format", "int64").Key("nullable").Bool(true);
    } else if (n == "google.protobuf.Int32Value" || n == "google.protobuf.UInt32Value") {
      w.Field("type", "integer").Key("nullable").Bool(true);
    } else if (n == "google.protobuf.BoolValue") {
      w.Field("type", "boolean").Key("nullable").Bool(true);
    } else if (n == "google.protobuf.StringValue") {
      w.Field("type", "string").Key("nullable").Bool(true);
    } else if (n == "google.protobuf.BytesValue") {
      w.Field("type", "string").Field("format", "byte").Key("nullable").Bool(true);
    }
    w.EndObject();
  }

  static void WriteRef(JsonWriter& w, const std::string& name) {
    w.BeginObject().Field("$ref", absl::StrCat(kSchemas, name)).EndObject();
  }

  // The schema of one value of `f` (an element, for a repeated field).
  static void WriteValue(JsonWriter& w, const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        if (WellKnown(f->message_type())) {
          WriteWellKnown(w, f->message_type());
        } else {
          WriteRef(w, f->message_type()->full_name());
        }
        return;
      case FieldDescriptor::TYPE_ENUM:
        WriteRef(w, f->enum_type()->full_name());
        return;
      default:
        break;
    }
    w.BeginObject();
    switch (f->type()) {
      case FieldDescriptor::TYPE_DOUBLE: w.Field("type", "number").Field("format", "double"); break;
      case FieldDescriptor::TYPE_FLOAT: w.Field("type", "number").Field("format", "float"); break;
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        w.Field("type", "string").Field("format", "int64");
        break;
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        w.Field("type", "integer").Field("format", "int32");
        break;
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        w.Field("type", "integer").Field("format", "int64").Key("minimum").Int(0);
        break;
      case FieldDescriptor::TYPE_BOOL: w.Field("type", "boolean"); break;
      case FieldDescriptor::TYPE_BYTES: w.Field("type", "string").Field("format", "byte"); break;
      default: w.Field("type", "string"); break;
    }
    w.EndObject();
  }

  // The schema of `f` as a whole: an array for a repeated field, an object for a map.
  static void WriteField(JsonWriter& w, const FieldDescriptor* f) {
    if (f->is_map()) {
      w.BeginObject().Field("type", "object").Key("additionalProperties");
      WriteValue(w, f->message_type()->map_value());
      w.EndObject();
    } else if (f->is_repeated()) {
      w.BeginObject().Field("type", "array").Key("items");
      WriteValue(w, f);
      w.EndObject();
    } else {
      WriteValue(w, f);
    }
  }

  static void WriteMessage(JsonWriter& w, const Descriptor* d) {
    w.BeginObject();
    w.Field("type", "object");
    std::vector<std::string> oneofs;
    for (int i = 0; i < d->real_oneof_decl_count(); ++i) {
      const google::protobuf::OneofDescriptor* o = d->oneof_decl(i);
      std::vector<std::string> members;
      for (int j = 0; j < o->field_count(); ++j) members.push_back(o->field(j)->json_name());
      oneofs.push_back(absl::StrCat(o->name(), ": at most one of ", absl::StrJoin(members, ", ")));
    }
    w.Field("description", oneofs.empty() ? d->full_name()
                                          : absl::StrCat(d->full_name(), ". ",
                                                         absl::StrJoin(oneofs, "; "), "."));
    w.Key("properties").BeginObject();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      w.Key(f->json_name());
      WriteField(w, f);
    }
    w.EndObject();
    w.EndObject();
  }

  static void WriteEnum(JsonWriter& w, const EnumDescriptor* e) {
    w.BeginObject();
    w.Field("type", "string");
    w.Field("description", absl::StrCat(e->full_name(), " (by value name; the number is also "
                                                        "accepted in requests)"));
    w.Key("enum").BeginArray();
    for (int i = 0; i < e->value_count(); ++i) w.String(e->value(i)->name());
    w.EndArray();
    w.EndObject();
  }

  static void WriteError(JsonWriter& w) {
    w.BeginObject();
    w.Field("type", "object");
    w.Field("description",
            "An error: the gRPC code by number and name, and a message naming the field and "
            "the rule.");
    w.Key("properties").BeginObject();
    w.Key("code").BeginObject().Field("type", "integer").Field("format", "int32");
    w.Field("description", "the gRPC status code, e.g. 3").EndObject();
    w.Key("status").BeginObject().Field("type", "string");
    w.Field("description", "its name, e.g. INVALID_ARGUMENT").EndObject();
    w.Key("message").BeginObject().Field("type", "string").EndObject();
    w.EndObject();
    w.Key("required").BeginArray().String("code").String("status").String("message").EndArray();
    w.EndObject();
  }

  // Query parameters: every field of `d` below `prefix` the gateway can set from a query
  // string, except the path's fields.
  static void WriteQueryParameters(JsonWriter& w, const Descriptor* d, const std::string& prefix,
                                   const std::set<std::string>& exclude,
                                   std::vector<const Descriptor*>* stack) {
    if (std::find(stack->begin(), stack->end(), d) != stack->end() || stack->size() > 8) return;
    stack->push_back(d);
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      const std::string name = absl::StrCat(prefix, f->name());
      if (exclude.count(name) > 0 || f->is_map()) continue;
      const bool message = f->type() == FieldDescriptor::TYPE_MESSAGE;
      const bool leaf = !message || IsTimestamp(f->message_type()) ||
                        IsDuration(f->message_type());
      if (!leaf) {
        if (!f->is_repeated()) {
          WriteQueryParameters(w, f->message_type(), absl::StrCat(name, "."), exclude, stack);
        }
        continue;
      }
      w.BeginObject();
      w.Field("name", name).Field("in", "query");
      if (f->is_repeated()) {
        w.Field("style", "form").Key("explode").Bool(true);
        w.Field("description", absl::StrCat("repeat the parameter for each value (", name, "=a&",
                                            name, "=b); the JSON name ",
                                            JsonPath(prefix, f), " also works"));
      } else {
        w.Field("description", absl::StrCat("the field ", name, " (JSON name ",
                                            JsonPath(prefix, f), ")"));
      }
      w.Key("schema");
      WriteField(w, f);
      w.EndObject();
    }
    stack->pop_back();
  }

  // "resume_after.token" with the last part as its JSON name (the gateway takes either).
  static std::string JsonPath(const std::string& prefix, const FieldDescriptor* f) {
    return absl::StrCat(prefix, f->json_name());
  }

  static void WriteOperation(JsonWriter& w, const Operation& op) {
    w.Key(op.verb).BeginObject();
    w.Field("operationId", absl::StrCat(op.service, "_", op.method));
    w.Field("summary", absl::StrCat(op.service, ".", op.method));
    w.Key("tags").BeginArray().String(op.service).EndArray();
    w.Key("parameters").BeginArray();
    std::set<std::string> in_path;
    for (const std::string& field : PathFields(op.pattern)) {
      in_path.insert(field);
      const FieldDescriptor* f = FieldAt(op.request, field);
      w.BeginObject();
      w.Field("name", field).Field("in", "path").Key("required").Bool(true);
      w.Field("description", absl::StrCat("the request's ", field));
      w.Key("schema");
      if (f != nullptr) {
        WriteField(w, f);
      } else {
        w.BeginObject().Field("type", "string").EndObject();
      }
      w.EndObject();
    }
    if (!op.body_all) {
      std::vector<const Descriptor*> stack;
      WriteQueryParameters(w, op.request, "", in_path, &stack);
    }
    if (op.watch) {
      w.BeginObject();
      w.Field("name", "Last-Event-ID").Field("in", "header");
      w.Field("description",
              "resume after this event id (a cursor token); the same as resume_after.token");
      w.Key("schema").BeginObject().Field("type", "string").EndObject();
      w.EndObject();
    }
    w.EndArray();
    if (op.body_all) {
      w.Key("requestBody").BeginObject();
      w.Key("required").Bool(true);
      w.Field("description", in_path.empty()
                                 ? "the request as protobuf JSON"
                                 : "the request as protobuf JSON; the path's fields win over "
                                   "the body's");
      w.Key("content").BeginObject().Key("application/json").BeginObject().Key("schema");
      WriteRef(w, op.request->full_name());
      w.EndObject().EndObject();
      w.EndObject();
    }
    w.Key("responses").BeginObject();
    w.Key("200").BeginObject();
    if (op.watch) {
      w.Field("description",
              absl::StrCat(
                  "A stream of server-sent events. Each event: `id: <cursor token>`, `event: "
                  "ticket`, `data: <the ", op.response->full_name(), " as JSON>` (schema ",
                  kSchemas, op.response->full_name(),
                  "). A `: ping` comment every 15 s while nothing happens; a watch that ends "
                  "with an error sends `event: error` with the error JSON (", kSchemas,
                  kErrorSchema,
                  "). Reconnect with the last id in Last-Event-ID (or resume_after.token) to "
                  "continue without loss or repeats."));
      w.Key("content").BeginObject().Key("text/event-stream").BeginObject().Key("schema");
      w.BeginObject().Field("type", "string").EndObject();
      w.EndObject().EndObject();
    } else {
      w.Field("description", "OK");
      w.Key("content").BeginObject().Key("application/json").BeginObject().Key("schema");
      WriteRef(w, op.response->full_name());
      w.EndObject().EndObject();
    }
    w.EndObject();
    w.Key("default").BeginObject();
    w.Field("description",
            "An error: the HTTP status of its gRPC code (400 INVALID_ARGUMENT, "
            "FAILED_PRECONDITION or OUT_OF_RANGE; 401 UNAUTHENTICATED with WWW-Authenticate: "
            "Bearer; 403 PERMISSION_DENIED; 404 NOT_FOUND; 409 ALREADY_EXISTS or ABORTED; 429 "
            "RESOURCE_EXHAUSTED; 501 UNIMPLEMENTED; 503 UNAVAILABLE; 504 DEADLINE_EXCEEDED; "
            "500 otherwise)");
    w.Key("content").BeginObject().Key("application/json").BeginObject().Key("schema");
    WriteRef(w, kErrorSchema);
    w.EndObject().EndObject();
    w.EndObject();
    w.EndObject();
    w.Key("security").BeginArray().BeginObject().Key("bearerAuth").BeginArray().EndArray();
    w.EndObject().EndArray();
    w.EndObject();
  }

  std::map<std::string, const Descriptor*> messages_;
  std::map<std::string, const EnumDescriptor*> enums_;
};

int VerbOrder(const std::string& verb) {
  static const char* const kOrder[] = {"get", "put", "post", "delete", "patch"};
  for (int i = 0; i < 5; ++i) {
    if (verb == kOrder[i]) return i;
  }
  return 5;
}

}  // namespace

std::string OpenApiDocument(const std::vector<const rpc::MethodTable*>& tables, bool with_watch) {
  Generator generator;
  std::map<std::string, std::map<int, Operation>> paths;
  std::set<std::string> services;
  auto add = [&](Operation op) {
    generator.AddRoot(op.request);
    generator.AddRoot(op.response);
    services.insert(op.service);
    paths[op.pattern].emplace(VerbOrder(op.verb), std::move(op));
  };
  for (const rpc::MethodTable* table : tables) {
    if (table == nullptr) continue;
    for (const rpc::MethodTable::Entry* entry : table->entries()) {
      const std::string name = entry->method.name;
      const MethodDescriptor* method = FindMethod(name);
      if (method == nullptr || !method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      Operation op;
      if (!VerbAndPath(rule, &op.verb, &op.pattern)) continue;
      op.service = method->service()->name();
      op.method = method->name();
      op.request = entry->request_type;
      op.response = entry->response_type;
      op.body_all = rule.body() == "*";
      add(std::move(op));
    }
  }
  if (with_watch) {
    const MethodDescriptor* method = FindMethod("IntakeService.WatchTicketEvents");
    if (method != nullptr && method->options().HasExtension(google::api::http)) {
      Operation op;
      if (VerbAndPath(method->options().GetExtension(google::api::http), &op.verb,
                      &op.pattern)) {
        op.service = method->service()->name();
        op.method = method->name();
        op.request = method->input_type();
        op.response = method->output_type();
        op.watch = true;
        add(std::move(op));
      }
    }
  }
  return generator.Write(paths, services);
}

}  // namespace dispatch
