#include "common/rpc/unary.h"

#include <string>

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "common/text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace dispatch::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Walks wire data (parsed schema-free as an UnknownFieldSet) against the descriptor and names
// the first string field holding invalid UTF-8. Empty if none is found.
std::string FindBadField(const UnknownFieldSet& fields, const Descriptor* desc,
                         const std::string& prefix) {
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* fd = desc->FindFieldByNumber(f.number());
    if (fd == nullptr) continue;
    std::string path = prefix.empty() ? fd->name() : absl::StrCat(prefix, ".", fd->name());
    if (fd->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(f.length_delimited())) return absl::StrCat("field ", path, ": not valid UTF-8");
    } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      UnknownFieldSet nested;
      if (nested.ParseFromString(f.length_delimited())) {
        std::string bad = FindBadField(nested, fd->message_type(), path);
        if (!bad.empty()) return bad;
      }
    }
  }
  return "";
}

}  // namespace

absl::Status TooLarge(size_t bytes, size_t max_bytes, const char* limit_name) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "request: ", bytes, " bytes, more than the limit of ", max_bytes, " (", limit_name, ")"));
}

absl::Status CheckSize(const grpc::ByteBuffer& raw, size_t max_bytes, const char* limit_name) {
  if (raw.Length() > max_bytes) return TooLarge(raw.Length(), max_bytes, limit_name);
  return absl::OkStatus();
}

absl::Status ParseRequest(const grpc::ByteBuffer& raw, google::protobuf::Message* msg,
                          size_t max_bytes, const char* limit_name) {
  if (absl::Status size = CheckSize(raw, max_bytes, limit_name); !size.ok()) return size;
  grpc::Slice slice;
  std::string bytes;
  if (raw.TrySingleSlice(&slice).ok()) {
    if (msg->ParseFromArray(slice.begin(), static_cast<int>(slice.size()))) {
      msg->DiscardUnknownFields();
      return absl::OkStatus();
    }
    bytes.assign(reinterpret_cast<const char*>(slice.begin()), slice.size());
  } else {
    std::vector<grpc::Slice> slices;
    (void)raw.Dump(&slices);
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (msg->ParseFromString(bytes)) {
    msg->DiscardUnknownFields();
    return absl::OkStatus();
  }
  UnknownFieldSet fields;
  if (fields.ParseFromString(bytes)) {
    std::string bad = FindBadField(fields, msg->GetDescriptor(), "");
    if (!bad.empty()) return absl::InvalidArgumentError(bad);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("request is not a valid ", msg->GetDescriptor()->full_name(), " message"));
}

void SerializeResponse(const google::protobuf::Message& msg, grpc::ByteBuffer* raw) {
  std::string bytes = msg.SerializeAsString();
  grpc::Slice slice(std::move(bytes));
  *raw = grpc::ByteBuffer(&slice, 1);
}

Credentials CredentialsFrom(grpc::ServerContextBase* ctx) {
  Credentials c;
  const auto& metadata = ctx->client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    c.authorization.assign(it->second.data(), it->second.size());
  }
  if (std::shared_ptr<const grpc::AuthContext> a = ctx->auth_context();
      a != nullptr && a->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> cn = a->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
    if (!cn.empty()) c.peer_common_name.assign(cn[0].data(), cn[0].size());
  }
  return c;
}

namespace internal {

void LogAccess(const metrics::RpcMetrics& metrics, grpc::StatusCode code, double seconds,
               const std::string& subject) {
  if (!log::AccessEnabled()) return;
  log::Access({{"transport", "grpc"},
               {"method", absl::StrCat(metrics.service(), "/", metrics.method())},
               {"code", metrics::CodeName(code)},
               {"duration_ms", absl::StrFormat("%.3f", seconds * 1000)},
               {"subject", subject}});
}

}  // namespace internal

absl::StatusOr<std::shared_ptr<const auth::Caller>> Gate::Admit(const Credentials& credentials,
                                                                const char* method) const {
  absl::StatusOr<std::shared_ptr<const auth::Caller>> caller = Check(credentials, method);
  if (!caller.ok()) {
    metrics::AuthFailure(credentials.transport,
                         static_cast<grpc::StatusCode>(caller.status().code()));
    if (log::AuditEnabled()) {
      log::Audit("refused_at_door",
                 {{"transport", credentials.transport},
                  {"method", method},
                  {"code", absl::StatusCodeToString(caller.status().code())},
                  {"reason", std::string(caller.status().message())}});
    }
  }
  return caller;
}

std::atomic<int64_t>& UnaryCallsInFlight() {
  static std::atomic<int64_t> calls{0};
  return calls;
}

}  // namespace dispatch::rpc
