#include "services/routing/routing_service.h"

#include "common/rpc/unimplemented.h"

namespace dispatch::routing {
namespace {
constexpr char kRoutingIssue[] = "the routing issue (#3)";
constexpr char kCaseIssue[] = "the case-handling issue (#5)";
}  // namespace

grpc::ServerUnaryReactor* RoutingGrpcService::RouteTicket(grpc::CallbackServerContext* ctx,
                                                          const v1::RouteTicketRequest*,
                                                          v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "RoutingService.RouteTicket", kRoutingIssue);
}
grpc::ServerUnaryReactor* RoutingGrpcService::AssignTicket(grpc::CallbackServerContext* ctx,
                                                           const v1::AssignTicketRequest*,
                                                           v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "RoutingService.AssignTicket", kRoutingIssue);
}
grpc::ServerUnaryReactor* RoutingGrpcService::ReturnTicket(grpc::CallbackServerContext* ctx,
                                                           const v1::ReturnTicketRequest*,
                                                           v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "RoutingService.ReturnTicket", kRoutingIssue);
}
grpc::ServerUnaryReactor* RoutingGrpcService::RecordContact(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordContactRequest*,
                                                            v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "RoutingService.RecordContact", kCaseIssue);
}
grpc::ServerUnaryReactor* RoutingGrpcService::ResolveTicket(grpc::CallbackServerContext* ctx,
                                                            const v1::ResolveTicketRequest*,
                                                            v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "RoutingService.ResolveTicket", kCaseIssue);
}

}  // namespace dispatch::routing
