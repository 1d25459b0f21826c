// MethodTable: each unary RPC's handler, registered once and served by both transports
// (issue #17). gRPC's raw callback methods call Serve(), which is ServeUnary
// (common/rpc/unary.h); the HTTP/JSON gateway (services/dispatchd/gateway.h) calls Invoke(),
// which passes the same door in the same order:
//   1. the Gate admits the call from the transport's Credentials (authentication and the
//      access policy's roles), before anything of the request is read;
//   2. the transport decodes the request (JSON and the path's fields, for HTTP);
//   3. the request is held to the method's size limit (its protobuf size, so the limit means
//      the same whatever the encoding), with the same message as gRPC's;
//   4. the handler runs and replies exactly once (a dropped reply is INTERNAL), counted in
//      UnaryCallsInFlight for a graceful shutdown.
// There is no other way into a handler: nothing in the process calls one without the Gate.
#ifndef DISPATCH_COMMON_RPC_METHOD_TABLE_H_
#define DISPATCH_COMMON_RPC_METHOD_TABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/rpc/unary.h"

namespace dispatch::rpc {

class MethodTable {
 public:
  using Message = google::protobuf::Message;
  // Fills the request (already empty) from what the transport carried.
  using Decode = std::function<absl::Status(Message* request)>;
  using AnyReply = std::function<void(absl::StatusOr<std::unique_ptr<Message>> response)>;

  struct Entry {
    Method method;
    const google::protobuf::Descriptor* request_type;
    const google::protobuf::Descriptor* response_type;
    std::function<grpc::ServerUnaryReactor*(grpc::CallbackServerContext*, const grpc::ByteBuffer*,
                                            grpc::ByteBuffer*)>
        serve_grpc;
    std::function<void(const Credentials&, const Decode&, AnyReply)> invoke;
  };

  // Registers `method.name` ("IntakeService.SubmitComplaint") with its handler:
  // void(const Request&, const auth::Caller&, Reply<Response>).
  template <typename Request, typename Response, typename Handler>
  void Add(Method method, Handler handler);

  // The gRPC door: ServeUnary with the registered handler.
  grpc::ServerUnaryReactor* Serve(absl::string_view name, grpc::CallbackServerContext* ctx,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) const {
    return entries_.at(name)->serve_grpc(ctx, request, response);
  }

  // Null when `name` is not registered here.
  const Entry* Find(absl::string_view name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second.get();
  }
  // Every entry, in registration order.
  const std::vector<const Entry*>& entries() const { return order_; }

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries_;
  std::vector<const Entry*> order_;
};

namespace internal {

// Replies exactly once through `reply`; a reply dropped unanswered is INTERNAL.
class OnceReply {
 public:
  explicit OnceReply(MethodTable::AnyReply reply) : reply_(std::move(reply)) {
    UnaryCallsInFlight().fetch_add(1);
  }
  ~OnceReply() {
    if (!finished_.exchange(true)) {
      reply_(absl::InternalError("the handler dropped the reply"));
      UnaryCallsInFlight().fetch_sub(1);
    }
  }
  void Finish(absl::StatusOr<std::unique_ptr<google::protobuf::Message>> response) {
    if (finished_.exchange(true)) return;
    reply_(std::move(response));
    UnaryCallsInFlight().fetch_sub(1);
  }

 private:
  MethodTable::AnyReply reply_;
  std::atomic<bool> finished_{false};
};

}  // namespace internal

template <typename Request, typename Response, typename Handler>
void MethodTable::Add(Method method, Handler handler) {
  auto entry = std::make_unique<Entry>();
  entry->method = method;
  entry->request_type = Request::descriptor();
  entry->response_type = Response::descriptor();
  entry->serve_grpc = [method, handler](grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) {
    return ServeUnary<Request, Response>(ctx, request, response, method, handler);
  };
  entry->invoke = [method, handler](const Credentials& credentials, const Decode& decode,
                                    AnyReply reply) {
    absl::StatusOr<std::shared_ptr<const auth::Caller>> caller =
        method.gate->Admit(credentials, method.name);
    if (!caller.ok()) {
      reply(caller.status());
      return;
    }
    auto request = std::make_shared<Request>();
    if (absl::Status decoded = decode(request.get()); !decoded.ok()) {
      reply(decoded);
      return;
    }
    if (const size_t size = request->ByteSizeLong(); size > method.max_bytes) {
      reply(TooLarge(size, method.max_bytes, method.limit_name));
      return;
    }
    auto once = std::make_shared<internal::OnceReply>(std::move(reply));
    std::shared_ptr<const auth::Caller> who = *std::move(caller);
    handler(*request, *who,
            Reply<Response>([once, request, who](absl::StatusOr<Response> response) {
              if (!response.ok()) {
                once->Finish(response.status());
              } else {
                once->Finish(std::unique_ptr<google::protobuf::Message>(
                    new Response(*std::move(response))));
              }
            }));
  };
  order_.push_back(entry.get());
  entries_[method.name] = std::move(entry);
}

}  // namespace dispatch::rpc

#endif  // DISPATCH_COMMON_RPC_METHOD_TABLE_H_
