// The protobuf JSON mapping (proto3) for the HTTP gateway, its server-sent events and every other
// place that answers or reads JSON on the hot path: the same mapping as protobuf's
// MessageToJsonString / JsonStringToMessage, done by reflection over each message's descriptor
// with what it needs per type (JSON names, name lookup) built once and kept. Debian's protobuf
// 3.21 rebuilds google.protobuf.Type descriptions for every conversion (~40 µs each way for a
// SubmitComplaint request, measured in issue #17); its public API cannot keep them.
//
// Printing, as MessageToJsonString with default options:
//  - fields by their JSON name (lowerCamelCase), in field number order;
//  - a field without presence at its default (0, false, "", empty, enum 0) is left out, as are
//    empty repeated and map fields and unset fields with presence (messages, oneof members,
//    proto3 `optional`); a set field with presence is printed even at its default;
//  - enums by name (a number the enum does not name: the number), 64-bit integers as strings,
//    bytes as standard base64, float/double in the shortest form that reads back to the same
//    value ("NaN", "Infinity", "-Infinity" as strings);
//  - google.protobuf.Timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits
//    ("2026-12-06T04:33:08.120Z"), Duration as seconds with the same digits ("1.5s", "-0.250s"),
//    the wrapper types as their value, maps as objects keyed by the key's text.
// Parsing, as JsonStringToMessage: either the JSON name or the proto name; null leaves a field
// unset; numbers or numeric strings for numeric fields (an integer field takes an integral value
// in range only, "1e3" included); booleans as true/false or "true"/"false"; enums by name or
// number (also in a string); RFC 3339 timestamps with any offset; standard or URL-safe base64.
// A string that is not UTF-8 is refused; one stored that way prints with U+FFFD for each bad
// byte, so the output is always UTF-8. The message is cleared first, and cleared again on an error, so a failed parse
// leaves nothing half-written.
// Errors: INVALID_ARGUMENT whose message names the field path and the rule
// ("complaint.phone: expected a string, got a number"); UNIMPLEMENTED for google.protobuf.Any,
// Struct, Value, ListValue and FieldMask, which no dispatch.v1 message uses (a test checks).
// Bounds: nesting at most 100 messages, arrays or maps deep.
// Thread-safe; the per-type tables are built on first use and live for the process.
#ifndef DISPATCH_COMMON_PROTO_JSON_H_
#define DISPATCH_COMMON_PROTO_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace dispatch::json {

struct ParseOptions {
  // Skip fields the message does not have and enum names it does not know (a newer client's
  // additions) instead of refusing them.
  bool ignore_unknown_fields = false;
};

// Appends `message` as a JSON object to `out`. Fails (out unchanged) only for a Timestamp or
// Duration outside the range JSON can express, or an unsupported well-known type.
absl::Status AppendJson(const google::protobuf::Message& message, std::string* out);

// Replaces `message` with what the JSON object `json` holds.
absl::Status ParseJson(absl::string_view json, google::protobuf::Message* message,
                       const ParseOptions& options = {});

}  // namespace dispatch::json

#endif  // DISPATCH_COMMON_PROTO_JSON_H_
