#include "services/escalation/escalation_service.h"

namespace dispatch::escalation {

grpc::ServerUnaryReactor* EscalationGrpcService::ListBreaches(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::ListBreachesRequest, v1::ListBreachesResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { ledgers_->Breaches(req, std::move(done)); });
}

grpc::ServerUnaryReactor* EscalationGrpcService::RequestExtension(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::RequestExtensionRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { extensions_->Request(req, std::move(done)); });
}

grpc::ServerUnaryReactor* EscalationGrpcService::DecideExtension(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::DecideExtensionRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { extensions_->Decide(req, std::move(done)); });
}

grpc::ServerUnaryReactor* EscalationGrpcService::RecordRevisit(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::RecordRevisitRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { revisits_->Record(req, std::move(done)); });
}

grpc::ServerUnaryReactor* EscalationGrpcService::ListRevisits(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::ListRevisitsRequest, v1::ListRevisitsResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { ledgers_->Revisits(req, std::move(done)); });
}

}  // namespace dispatch::escalation
