// The one place where a unary RPC enters and leaves the service.
//
// Services register their methods "raw" (grpc::ByteBuffer in and out) and call ServeUnary(),
// which
//   0. refuses a request larger than the method's limit (RESOURCE_EXHAUSTED naming the limit;
//      the gRPC server's own receive limit is the largest of them);
//   1. parses the request itself, so that a malformed request (for example a string field with
//      invalid UTF-8, which protobuf refuses to parse) gets INVALID_ARGUMENT naming the field,
//      instead of gRPC's anonymous INTERNAL; fields this version does not know are dropped, so
//      nothing a caller invents is stored;
//   2. runs the handler, which answers asynchronously through its Reply callback (exactly once,
//      from any thread);
//   3. converts absl::Status to grpc::Status (ToGrpcStatus, the only such conversion) and
//      serializes the response.
// Authentication and per-call metrics will hook in here too.
#ifndef DISPATCH_COMMON_RPC_UNARY_H_
#define DISPATCH_COMMON_RPC_UNARY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace dispatch::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The size limits of requests (DispatchConfig.limits).
struct Limits {
  // Every request but UpdateOrganisation.
  size_t max_request_bytes = 64 << 10;
  // UpdateOrganisation: a whole city's units, handlers and estates.
  size_t max_organisation_bytes = 4 << 20;
};

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
template <typename Response>
class Responder {
 public:
  Responder(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* raw_response)
      : reactor_(reactor), raw_response_(raw_response) {
    UnaryCallsInFlight().fetch_add(1);
  }
  ~Responder() {
    if (!finished_.exchange(true)) {
      reactor_->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "the handler dropped the reply"));
      UnaryCallsInFlight().fetch_sub(1);
    }
  }
  void Finish(absl::StatusOr<Response> response) {
    if (finished_.exchange(true)) return;
    if (!response.ok()) {
      reactor_->Finish(ToGrpcStatus(response.status()));
    } else {
      SerializeResponse(*response, raw_response_);
      reactor_->Finish(grpc::Status::OK);
    }
    UnaryCallsInFlight().fetch_sub(1);
  }

 private:
  grpc::ServerUnaryReactor* const reactor_;
  grpc::ByteBuffer* const raw_response_;
  std::atomic<bool> finished_{false};
};

}  // namespace internal

// Handler signature: void(const Request&, Reply<Response>). The request lives until the reply
// has been given. Requests longer than `max_bytes` (named `limit_name` in the error) are
// refused before parsing.
template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* raw_request,
                                     grpc::ByteBuffer* raw_response, size_t max_bytes,
                                     Handler&& handler,
                                     const char* limit_name = "limits.max_request_bytes") {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto request = std::make_shared<Request>();
  absl::Status parsed = ParseRequest(*raw_request, request.get(), max_bytes, limit_name);
  if (!parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  auto responder = std::make_shared<internal::Responder<Response>>(reactor, raw_response);
  handler(*request, Reply<Response>([responder, request](absl::StatusOr<Response> response) {
    responder->Finish(std::move(response));
  }));
  return reactor;
}

}  // namespace dispatch::rpc

#endif  // DISPATCH_COMMON_RPC_UNARY_H_
