// The one place where a unary RPC enters and leaves the service.
//
// Services register their methods "raw" (grpc::ByteBuffer in and out) and call ServeUnary(),
// which
//   0. refuses a request larger than the method's limit (RESOURCE_EXHAUSTED naming the limit;
//      the gRPC server's own receive limit is the largest of them);
//   ½. admits the call through the Gate: authentication and the access policy's roles
//      (services/auth/access_policy.h), before anything of the request is parsed; the handler
//      gets the admitted Caller;
//   1. parses the request itself, so that a malformed request (for example a string field with
//      invalid UTF-8, which protobuf refuses to parse) gets INVALID_ARGUMENT naming the field,
//      instead of gRPC's anonymous INTERNAL; fields this version does not know are dropped, so
//      nothing a caller invents is stored;
//   2. runs the handler, which answers asynchronously through its Reply callback (exactly once,
//      from any thread);
//   3. converts absl::Status to grpc::Status (ToGrpcStatus, the only such conversion) and
//      serializes the response.
//   4. records the call's metrics (grpc_server_started_total, grpc_server_handled_total with
//      its code, grpc_server_handling_seconds; common/metrics/metrics.h) at every exit, and a
//      refusal at the door in dispatch_auth_failures_total.
#ifndef DISPATCH_COMMON_RPC_UNARY_H_
#define DISPATCH_COMMON_RPC_UNARY_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/metrics/metrics.h"
#include "google/protobuf/message.h"

namespace dispatch::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

// What a caller presented, whatever the transport: the Authorization value ("Bearer <token>")
// and the common name of a client certificate the TLS layer verified (empty when none was
// presented). gRPC takes them from the call's metadata and auth context (CredentialsFrom);
// the HTTP gateway from its request's header and TLS session.
struct Credentials {
  std::string authorization;
  std::string peer_common_name;
  // "grpc" or "http": for the refusals' metrics and audit lines.
  const char* transport = "grpc";
};
Credentials CredentialsFrom(grpc::ServerContextBase* ctx);

// The door every call passes (services/auth/access_policy.h, Gatekeeper): authenticates the call
// and admits it to `method` ("IntakeService.SubmitComplaint"), or says why not
// (UNAUTHENTICATED, PERMISSION_DENIED). Every refusal, whatever the transport and the caller of
// Admit, is counted (dispatch_auth_failures_total) and audited here. Thread-safe.
class Gate {
 public:
  virtual ~Gate() = default;
  absl::StatusOr<std::shared_ptr<const auth::Caller>> Admit(const Credentials& credentials,
                                                            const char* method) const;
  absl::StatusOr<std::shared_ptr<const auth::Caller>> Admit(grpc::ServerContextBase* ctx,
                                                            const char* method) const {
    return Admit(CredentialsFrom(ctx), method);
  }

 protected:
  // The judgement itself (authentication and the access policy's roles).
  virtual absl::StatusOr<std::shared_ptr<const auth::Caller>> Check(
      const Credentials& credentials, const char* method) const = 0;
};

// The size limits of requests (DispatchConfig.limits).
struct Limits {
  // Every request but UpdateOrganisation.
  size_t max_request_bytes = 64 << 10;
  // UpdateOrganisation: a whole city's units, handlers and estates.
  size_t max_organisation_bytes = 4 << 20;
};

// RESOURCE_EXHAUSTED "request: 70000 bytes, more than the limit of 65536
// (limits.max_request_bytes)": what every transport answers for a request over its limit.
absl::Status TooLarge(size_t bytes, size_t max_bytes, const char* limit_name);

// RESOURCE_EXHAUSTED when `raw` is longer than `max_bytes`, naming the limit.
absl::Status CheckSize(const grpc::ByteBuffer& raw, size_t max_bytes, const char* limit_name);

// Parses `raw` into `msg` and drops the unknown fields. On failure: RESOURCE_EXHAUSTED when
// `raw` is longer than `max_bytes` ("request: 1048586 bytes, more than the limit of 65536
// (limits.max_request_bytes)"), INVALID_ARGUMENT naming the first field that broke a wire
// rule ("field complaint.description: not valid UTF-8"), or a generic message when the bytes
// are not a protobuf at all.
absl::Status ParseRequest(const grpc::ByteBuffer& raw, google::protobuf::Message* msg,
                          size_t max_bytes, const char* limit_name = "limits.max_request_bytes");

// Serializes `msg` into `raw`.
void SerializeResponse(const google::protobuf::Message& msg, grpc::ByteBuffer* raw);

// Unary calls of this process that ServeUnary accepted and that have not answered yet. A
// graceful shutdown waits for it to reach zero (gRPC's own shutdown would also wait for idle
// client connections to close); later the source of an in-flight metric.
std::atomic<int64_t>& UnaryCallsInFlight();

template <typename Response>
using Reply = std::function<void(absl::StatusOr<Response>)>;

namespace internal {

// Finishes one call exactly once. The first reply wins and later ones are ignored; if every
// copy of the Reply is dropped without being called, the call finishes with INTERNAL instead
// of hanging (and holding up server shutdown).
// Seconds since `start`.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The access log's line of a call (common/log.h), when that log is on.
void LogAccess(const metrics::RpcMetrics& metrics, grpc::StatusCode code, double seconds,
               const std::string& subject);

// Finishes `reactor` with `status` and records it (metrics, access log).
inline void FinishCall(grpc::ServerUnaryReactor* reactor, const metrics::RpcMetrics& metrics,
                       std::chrono::steady_clock::time_point start, const grpc::Status& status,
                       const std::string& subject = "") {
  const double seconds = SecondsSince(start);
  metrics.Handled(status.error_code(), seconds);
  LogAccess(metrics, status.error_code(), seconds, subject);
  reactor->Finish(status);
}

template <typename Response>
class Responder {
 public:
  Responder(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* raw_response,
            const metrics::RpcMetrics& metrics, std::chrono::steady_clock::time_point start,
            std::string subject)
      : reactor_(reactor),
        raw_response_(raw_response),
        metrics_(metrics),
        start_(start),
        subject_(std::move(subject)) {
    UnaryCallsInFlight().fetch_add(1);
  }
  ~Responder() {
    if (!finished_.exchange(true)) {
      FinishCall(reactor_, metrics_, start_,
                 grpc::Status(grpc::StatusCode::INTERNAL, "the handler dropped the reply"),
                 subject_);
      UnaryCallsInFlight().fetch_sub(1);
    }
  }
  void Finish(absl::StatusOr<Response> response) {
    if (finished_.exchange(true)) return;
    if (!response.ok()) {
      FinishCall(reactor_, metrics_, start_, ToGrpcStatus(response.status()), subject_);
    } else {
      SerializeResponse(*response, raw_response_);
      FinishCall(reactor_, metrics_, start_, grpc::Status::OK, subject_);
    }
    UnaryCallsInFlight().fetch_sub(1);
  }

 private:
  grpc::ServerUnaryReactor* const reactor_;
  grpc::ByteBuffer* const raw_response_;
  const metrics::RpcMetrics& metrics_;
  const std::chrono::steady_clock::time_point start_;
  const std::string subject_;  // for the access log
  std::atomic<bool> finished_{false};
};

}  // namespace internal

// What ServeUnary needs of a method: its name in the access policy, the gate, its size limit.
struct Method {
  const char* name;  // "IntakeService.SubmitComplaint"
  const Gate* gate;
  size_t max_bytes;
  const char* limit_name = "limits.max_request_bytes";
};

// Handler signature: void(const Request&, const auth::Caller&, Reply<Response>). The request
// and the caller live until the reply has been given. Requests longer than the method's limit
// are refused first, then the gate admits the call (or answers), then the request is parsed.
template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* raw_request,
                                     grpc::ByteBuffer* raw_response, const Method& method,
                                     Handler&& handler) {
  const auto start = std::chrono::steady_clock::now();
  const metrics::RpcMetrics& metrics = metrics::RpcMetrics::For(method.name);
  metrics.Started();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::Status size = CheckSize(*raw_request, method.max_bytes, method.limit_name);
  if (!size.ok()) {
    internal::FinishCall(reactor, metrics, start, ToGrpcStatus(size));
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<const auth::Caller>> caller = method.gate->Admit(ctx, method.name);
  if (!caller.ok()) {
    internal::FinishCall(reactor, metrics, start, ToGrpcStatus(caller.status()));
    return reactor;
  }
  auto request = std::make_shared<Request>();
  absl::Status parsed = ParseRequest(*raw_request, request.get(), method.max_bytes,
                                     method.limit_name);
  if (!parsed.ok()) {
    internal::FinishCall(reactor, metrics, start, ToGrpcStatus(parsed));
    return reactor;
  }
  std::shared_ptr<const auth::Caller> who = *std::move(caller);
  auto responder = std::make_shared<internal::Responder<Response>>(
      reactor, raw_response, metrics, start, who->principal.subject);
  handler(*request, *who,
          Reply<Response>([responder, request, who](absl::StatusOr<Response> response) {
            responder->Finish(std::move(response));
          }));
  return reactor;
}

}  // namespace dispatch::rpc

#endif  // DISPATCH_COMMON_RPC_UNARY_H_
