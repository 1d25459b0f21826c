#include "services/escalation/escalation_service.h"


namespace dispatch::escalation {

grpc::ServerUnaryReactor* EscalationGrpcService::ListBreaches(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "EscalationService.ListBreaches";
  return rpc::ServeUnary<v1::ListBreachesRequest, v1::ListBreachesResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        ledgers_->Breaches(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* EscalationGrpcService::RequestExtension(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "EscalationService.RequestExtension";
  return rpc::ServeUnary<v1::RequestExtensionRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        extensions_->Request(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* EscalationGrpcService::DecideExtension(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "EscalationService.DecideExtension";
  return rpc::ServeUnary<v1::DecideExtensionRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        extensions_->Decide(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* EscalationGrpcService::RecordRevisit(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "EscalationService.RecordRevisit";
  return rpc::ServeUnary<v1::RecordRevisitRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        revisits_->Record(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* EscalationGrpcService::ListRevisits(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "EscalationService.ListRevisits";
  return rpc::ServeUnary<v1::ListRevisitsRequest, v1::ListRevisitsResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        ledgers_->Revisits(req, caller, std::move(done));
      });
}

}  // namespace dispatch::escalation
