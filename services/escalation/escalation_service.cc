#include "services/escalation/escalation_service.h"

namespace dispatch::escalation {

void EscalationGrpcService::RegisterMethods() {
  {
    static constexpr char kMethod[] = "EscalationService.ListBreaches";
    methods_.Add<v1::ListBreachesRequest, v1::ListBreachesResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          ledgers_->Breaches(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "EscalationService.RequestExtension";
    methods_.Add<v1::RequestExtensionRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          extensions_->Request(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "EscalationService.DecideExtension";
    methods_.Add<v1::DecideExtensionRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          extensions_->Decide(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "EscalationService.RecordRevisit";
    methods_.Add<v1::RecordRevisitRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          revisits_->Record(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "EscalationService.ListRevisits";
    methods_.Add<v1::ListRevisitsRequest, v1::ListRevisitsResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          ledgers_->Revisits(req, caller, std::move(done));
        });
  }
}

grpc::ServerUnaryReactor* EscalationGrpcService::ListBreaches(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return methods_.Serve("EscalationService.ListBreaches", ctx, request, response);
}

grpc::ServerUnaryReactor* EscalationGrpcService::RequestExtension(grpc::CallbackServerContext* ctx,
                                                                  const grpc::ByteBuffer* request,
                                                                  grpc::ByteBuffer* response) {
  return methods_.Serve("EscalationService.RequestExtension", ctx, request, response);
}

grpc::ServerUnaryReactor* EscalationGrpcService::DecideExtension(grpc::CallbackServerContext* ctx,
                                                                 const grpc::ByteBuffer* request,
                                                                 grpc::ByteBuffer* response) {
  return methods_.Serve("EscalationService.DecideExtension", ctx, request, response);
}

grpc::ServerUnaryReactor* EscalationGrpcService::RecordRevisit(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return methods_.Serve("EscalationService.RecordRevisit", ctx, request, response);
}

grpc::ServerUnaryReactor* EscalationGrpcService::ListRevisits(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return methods_.Serve("EscalationService.ListRevisits", ctx, request, response);
}

}  // namespace dispatch::escalation
