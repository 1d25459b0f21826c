#include "services/routing/routing_service.h"

namespace dispatch::routing {

grpc::ServerUnaryReactor* RoutingGrpcService::RouteTicket(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::RouteTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { actions_->Route(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::AssignTicket(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::AssignTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { actions_->Assign(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::SignForTicket(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::SignForTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { actions_->SignFor(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordAssistResult(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::RecordAssistResultRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { cases_->RecordAssist(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::ReturnTicket(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::ReturnTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { actions_->Return(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordContact(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::RecordContactRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { cases_->Contact(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::ResolveTicket(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::ResolveTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { cases_->Resolve(req, std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::GetOrganisation(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::GetOrganisationRequest, v1::GetOrganisationResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto&, auto done) { actions_->GetOrganisation(std::move(done)); });
}

grpc::ServerUnaryReactor* RoutingGrpcService::UpdateOrganisation(grpc::CallbackServerContext* ctx,
                                                                 const grpc::ByteBuffer* request,
                                                                 grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::UpdateOrganisationRequest, v1::GetOrganisationResponse>(
      ctx, request, response, limits_.max_organisation_bytes,
      [this](const auto& req, auto done) { actions_->UpdateOrganisation(req, std::move(done)); },
      "limits.max_organisation_bytes");
}

}  // namespace dispatch::routing
