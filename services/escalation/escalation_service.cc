#include "services/escalation/escalation_service.h"

#include "common/rpc/unimplemented.h"

namespace dispatch::escalation {
namespace {
constexpr char kSlaIssue[] = "the SLA-engine issue (#4)";
constexpr char kCaseIssue[] = "the case-handling issue (#5)";
}  // namespace

grpc::ServerUnaryReactor* EscalationGrpcService::ListBreaches(grpc::CallbackServerContext* ctx,
                                                              const v1::ListBreachesRequest*,
                                                              v1::ListBreachesResponse*) {
  return rpc::FinishUnimplemented(ctx, "EscalationService.ListBreaches", kSlaIssue);
}
grpc::ServerUnaryReactor* EscalationGrpcService::RequestExtension(
    grpc::CallbackServerContext* ctx, const v1::RequestExtensionRequest*,
    v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "EscalationService.RequestExtension", kSlaIssue);
}
grpc::ServerUnaryReactor* EscalationGrpcService::DecideExtension(
    grpc::CallbackServerContext* ctx, const v1::DecideExtensionRequest*,
    v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "EscalationService.DecideExtension", kSlaIssue);
}
grpc::ServerUnaryReactor* EscalationGrpcService::RecordRevisit(grpc::CallbackServerContext* ctx,
                                                               const v1::RecordRevisitRequest*,
                                                               v1::TicketActionResponse*) {
  return rpc::FinishUnimplemented(ctx, "EscalationService.RecordRevisit", kCaseIssue);
}

}  // namespace dispatch::escalation
