// OpenAPI: the HTTP/JSON gateway's description (issue #17, design §5.6), an OpenAPI 3.0.3
// document made at run time from what the process serves, so it cannot drift from the routes.
//
// Contract:
//   - Sources: the hosted methods (the MethodTables the gateway serves), their descriptors in
//     DescriptorPool::generated_pool() and each method's google.api.http rule, read the way
//     the gateway reads them (gateway.h). A method without a rule is left out (the gateway
//     refuses to start with one, so a running server has none).
//   - paths: one operation per route: the rule's path as is ("/v1/tickets/{write.ticket_id}:
//     route"; a path parameter is named by its field path), the verb, operationId
//     "IntakeService_SubmitComplaint", the service as its tag; the path's fields as path
//     parameters; for a rule with body "*" the request as the JSON body, for the others every
//     other scalar, enum, repeated scalar and Timestamp/Duration field of the request,
//     recursively with dotted proto names ("resume_after.token"), as a query parameter;
//     responses 200 (the response message) and default (the error body {code, status,
//     message}); bearerAuth (HTTP bearer, JWT) on every operation.
//   - components.schemas: every message and enum reachable from the requests and responses,
//     by full name ("dispatch.v1.Ticket"), in the protobuf JSON mapping: lowerCamelCase
//     property names (json_name), enums as strings listing their value names, 64-bit integers
//     as strings (format int64), Timestamps as date-time strings, Durations as strings
//     ("1800s"), bytes as base64 (format byte), repeated fields as arrays, map fields as
//     objects with additionalProperties, oneof members as plain optional properties.
//   - `with_watch` adds GET /v1/events (IntakeService.WatchTicketEvents) as server-sent events
//     (text/event-stream), frames described as the gateway sends them.
//   - Deterministic: the same tables give the same bytes (paths and schemas sorted by name,
//     properties in field order). Compact JSON, UTF-8.
// No proto comments: the generated pool carries no source info, so descriptions are the
// document's own (the design's embedded descriptor set with comments is a later step).
#ifndef DISPATCH_SERVICES_DISPATCHD_OPENAPI_H_
#define DISPATCH_SERVICES_DISPATCHD_OPENAPI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/rpc/method_table.h"

namespace dispatch {

// The OpenAPI 3.0.3 document (JSON) of the routes of `tables`' methods, plus the event watch
// when `with_watch`. The tables are only read during the call.
std::string OpenApiDocument(const std::vector<const rpc::MethodTable*>& tables, bool with_watch);

// A small streaming JSON writer (the OpenAPI document and the Open311 answers use it): it puts
// the commas and colons where they belong; the caller keeps the nesting balanced. Strings are
// escaped as RFC 8259 requires (quote, backslash, control characters); UTF-8 passes through
// as is (valid UTF-8 in, valid JSON out). Non-finite numbers are written as null.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next member's name (inside an object); its value follows.
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Number(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Key(key).String(value).
  JsonWriter& Field(absl::string_view key, absl::string_view value);

  const std::string& str() const { return out_; }

  // `s` as a JSON string literal, quotes included.
  static std::string Quote(absl::string_view s);

 private:
  void Separate();
  std::string out_;
  std::vector<bool> empty_;  // per open container: nothing written into it yet
  bool after_key_ = false;
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_OPENAPI_H_
