// RoutingService over gRPC. The routing engine (organisation model, department matrix,
// assignment, returns, hand-off from the outbox) is the routing issue (#3); until it lands every
// RPC answers UNIMPLEMENTED naming the method.
#ifndef DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_
#define DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_

#include "dispatch/v1/routing.grpc.pb.h"

namespace dispatch::routing {

class RoutingGrpcService final : public v1::RoutingService::CallbackService {
 public:
  grpc::ServerUnaryReactor* RouteTicket(grpc::CallbackServerContext* ctx,
                                        const v1::RouteTicketRequest*,
                                        v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* AssignTicket(grpc::CallbackServerContext* ctx,
                                         const v1::AssignTicketRequest*,
                                         v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* ReturnTicket(grpc::CallbackServerContext* ctx,
                                         const v1::ReturnTicketRequest*,
                                         v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* RecordContact(grpc::CallbackServerContext* ctx,
                                          const v1::RecordContactRequest*,
                                          v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* ResolveTicket(grpc::CallbackServerContext* ctx,
                                          const v1::ResolveTicketRequest*,
                                          v1::TicketActionResponse*) override;
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROUTING_SERVICE_H_
