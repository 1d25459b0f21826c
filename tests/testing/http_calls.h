// HttpUnary: one RPC through dispatchd's HTTP/JSON gateway, made the way an HTTP integrator
// makes it from the method's google.api.http rule: the rule's path with its fields filled in,
// the request as protobuf JSON in the body (body "*") or as query parameters (the others),
// Authorization: Bearer <token>. The answer comes back as the gRPC status the error body names
// ({"code":N,"status":...,"message":...}), and a 200's JSON is parsed strictly into `response`
// (so a field the gateway misnames fails the test).
#ifndef DISPATCH_TESTS_TESTING_HTTP_CALLS_H_
#define DISPATCH_TESTS_TESTING_HTTP_CALLS_H_

#include <algorithm>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace dispatch::testing {

namespace internal {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

inline std::string ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return rep ? r->GetRepeatedEnum(m, f, index)->name() : r->GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    default:
      return "";
  }
}

// The request's set fields as query parameters (a.b=v, repeated ones repeated).
inline void Flatten(const Message& m, const std::string& prefix,
                    const std::vector<std::string>& skip, httplib::Params* out) {
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (std::find(skip.begin(), skip.end(), path) != skip.end()) continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Message& sub = m.GetReflection()->GetMessage(m, f);
      if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
        google::protobuf::Timestamp ts;
        ts.CopyFrom(sub);
        out->emplace(path, google::protobuf::util::TimeUtil::ToString(ts));
      } else {
        Flatten(sub, path, skip, out);
      }
      continue;
    }
    const int n = f->is_repeated() ? m.GetReflection()->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) out->emplace(path, ScalarText(m, f, i));
  }
}

// The value of field path `path` ("write.ticket_id") of `m`, as text.
inline std::string FieldText(const Message& m, const std::string& path) {
  const Message* at = &m;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* f = at->GetDescriptor()->FindFieldByName(parts[i]);
    at = &at->GetReflection()->GetMessage(*at, f);
  }
  return ScalarText(*at, at->GetDescriptor()->FindFieldByName(parts.back()), 0);
}

}  // namespace internal

inline grpc::Status HttpUnary(int port, const std::string& token, const std::string& method,
                              const google::protobuf::Message& request,
                              google::protobuf::Message* response) {
  const size_t dot = method.find('.');
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      absl::StrCat("dispatch.v1.", method.substr(0, dot)));
  const auto* md = service->FindMethodByName(method.substr(dot + 1));
  const google::api::HttpRule& rule = md->options().GetExtension(google::api::http);
  std::string verb, pattern;
  if (!rule.get().empty()) verb = "GET", pattern = rule.get();
  if (!rule.post().empty()) verb = "POST", pattern = rule.post();
  if (!rule.put().empty()) verb = "PUT", pattern = rule.put();
  // Fill in the path's fields.
  std::vector<std::string> bound;
  std::string path = pattern;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    const size_t close = path.find('}', open);
    const std::string field = path.substr(open + 1, close - open - 1);
    bound.push_back(field);
    path.replace(open, close - open + 1,
                 httplib::detail::encode_query_param(internal::FieldText(request, field)));
  }
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(10, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result res = [&] {
    if (verb == "GET") {
      httplib::Params params;
      internal::Flatten(request, "", bound, &params);
      return http.Get(path, params, headers);
    }
    std::string body;
    (void)google::protobuf::util::MessageToJsonString(request, &body);
    return verb == "POST" ? http.Post(path, headers, body, "application/json")
                          : http.Put(path, headers, body, "application/json");
  }();
  if (!res) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("HTTP: ", httplib::to_string(res.error())));
  }
  if (res->status == 200) {
    auto parsed = google::protobuf::util::JsonStringToMessage(res->body, response);
    if (!parsed.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("200 with a body that is not ", response->GetTypeName(),
                                       ": ", std::string(parsed.message()), ": ", res->body));
    }
    return grpc::Status::OK;
  }
  google::protobuf::Struct error;
  if (!google::protobuf::util::JsonStringToMessage(res->body, &error).ok() ||
      !error.fields().count("code") || !error.fields().count("message")) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("HTTP ", res->status, " without an error body: ", res->body));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(error.fields().at("code").number_value()),
                      absl::StrCat(error.fields().at("message").string_value(), " [HTTP ",
                                   res->status, "]"));
}

// Follows GET /v1/events (server-sent events) with `request` as query parameters until an
// event of `ticket_id` arrives (OK), `within` passes without one (NOT_FOUND), or the server
// refuses (the error body's code). Frames are parsed as a browser's EventSource would.
inline grpc::Status HttpWatchFor(int port, const std::string& token,
                                 const google::protobuf::Message& request,
                                 const std::string& ticket_id, int within_ms = 1500,
                                 std::string* last_id = nullptr,
                                 const std::string& last_event_id = "") {
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(within_ms / 1000, (within_ms % 1000) * 1000);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
  httplib::Params params;
  internal::Flatten(request, "", {}, &params);
  std::string path = "/v1/events";
  if (!params.empty()) path += "?" + httplib::detail::params_to_query_str(params);
  std::string buffer, error_body;
  bool found = false;
  int status = 0;
  auto res = http.Get(
      path, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status != 200) {
          error_body.append(data, len);
          return true;
        }
        buffer.append(data, len);
        for (size_t end = buffer.find("\n\n"); end != std::string::npos;
             end = buffer.find("\n\n")) {
          const std::string frame = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          std::string id, event, data_line;
          for (absl::string_view line : absl::StrSplit(frame, '\n')) {
            if (absl::StartsWith(line, "id: ")) id = std::string(line.substr(4));
            if (absl::StartsWith(line, "event: ")) event = std::string(line.substr(7));
            if (absl::StartsWith(line, "data: ")) data_line = std::string(line.substr(6));
          }
          if (event == "error") {
            error_body = data_line;
            status = 500;
            return false;
          }
          if (event != "ticket") continue;
          if (last_id != nullptr) *last_id = id;
          google::protobuf::Struct parsed;
          if (!google::protobuf::util::JsonStringToMessage(data_line, &parsed).ok()) continue;
          const auto& fields = parsed.fields();
          if (fields.count("event") &&
              fields.at("event").struct_value().fields().count("ticketId") &&
              fields.at("event").struct_value().fields().at("ticketId").string_value() ==
                  ticket_id) {
            found = true;
            return false;
          }
        }
        return true;
      });
  if (found) return grpc::Status::OK;
  if (status != 0 && status != 200) {
    google::protobuf::Struct error;
    if (google::protobuf::util::JsonStringToMessage(error_body, &error).ok() &&
        error.fields().count("code")) {
      return grpc::Status(static_cast<grpc::StatusCode>(error.fields().at("code").number_value()),
                          error.fields().at("message").string_value());
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("HTTP ", status, ": ", error_body));
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "no event of the ticket came");
}

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_HTTP_CALLS_H_
