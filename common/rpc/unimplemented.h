// Answers for RPCs that the contract declares but this version does not implement yet:
// UNIMPLEMENTED with a message naming the method and the work that will bring it.
#ifndef DISPATCH_COMMON_RPC_UNIMPLEMENTED_H_
#define DISPATCH_COMMON_RPC_UNIMPLEMENTED_H_

#include <string>

#include <grpcpp/grpcpp.h>

namespace dispatch::rpc {

inline grpc::Status Unimplemented(const std::string& method, const std::string& planned_in) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      method + " is part of the v1 contract but not implemented yet (planned in " +
                          planned_in + ")");
}

inline grpc::ServerUnaryReactor* FinishUnimplemented(grpc::CallbackServerContext* ctx,
                                                     const std::string& method,
                                                     const std::string& planned_in) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(Unimplemented(method, planned_in));
  return reactor;
}

// A server-streaming reactor that finishes at once with UNIMPLEMENTED.
class UnimplementedWriter : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit UnimplementedWriter(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

inline grpc::ServerWriteReactor<grpc::ByteBuffer>* FinishStreamUnimplemented(
    grpc::CallbackServerContext*, const std::string& method, const std::string& planned_in) {
  return new UnimplementedWriter(Unimplemented(method, planned_in));
}

}  // namespace dispatch::rpc

#endif  // DISPATCH_COMMON_RPC_UNIMPLEMENTED_H_
