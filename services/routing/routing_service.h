// RoutingService over gRPC: a thin adapter to RoutingActions (routing_actions.h) and
// CaseActions (case_actions.h) through rpc::ServeUnary.
#ifndef DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_
#define DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_

#include "dispatch/v1/routing.grpc.pb.h"
#include "common/rpc/method_table.h"
#include "services//routing/case_actions.h"
#include "services/routing/routing_actions.h"

namespace dispatch::routing {

using RawRoutingService = v1::RoutingService::WithRawCallbackMethod_RouteTicket<
    v1::RoutingService::WithRawCallbackMethod_AssignTicket<
        v1::RoutingService::WithRawCallbackMethod_SignForTicket<
            v1::RoutingService::WithRawCallbackMethod_RecordAssistResult<
                v1::RoutingService::WithRawCallbackMethod_ReturnTicket<
                    v1::RoutingService::WithRawCallbackMethod_RecordContact<
                        v1::RoutingService::WithRawCallbackMethod_ResolveTicket<
                            v1::RoutingService::WithRawCallbackMethod_SetPropertyCompany<
                                v1::RoutingService::WithRawCallbackMethod_GetOrganisation<
                                    v1::RoutingService::WithRawCallbackMethod_UpdateOrganisation<
                                        v1::RoutingService::Service>>>>>>>>>>;

class RoutingGrpcService final : public RawRoutingService {
 public:
  // Both must outlive this object.
  RoutingGrpcService(RoutingActions* actions, CaseActions* cases, const rpc::Gate* gate,
                     rpc::Limits limits)
      : actions_(actions), cases_(cases), gate_(gate), limits_(limits) {
    RegisterMethods();
  }

  grpc::ServerUnaryReactor* RouteTicket(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* AssignTicket(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SignForTicket(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordAssistResult(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ReturnTicket(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordContact(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ResolveTicket(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetPropertyCompany(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetOrganisation(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateOrganisation(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;

 // The unary methods (the HTTP gateway serves them too).
  const rpc::MethodTable& methods() const { return methods_; }

 private:
  void RegisterMethods();
  RoutingActions* const actions_;
  CaseActions* const cases_;
  const rpc::Gate* const gate_;
  const rpc::Limits limits_;
  // Every unary method's handler, for gRPC and the HTTP gateway alike.
  rpc::MethodTable methods_;
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_
