#include "services/routing/routing_service.h"


namespace dispatch::routing {

grpc::ServerUnaryReactor* RoutingGrpcService::RouteTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.RouteTicket";
  return rpc::ServeUnary<v1::RouteTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->Route(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::AssignTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.AssignTicket";
  return rpc::ServeUnary<v1::AssignTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->Assign(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::SignForTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.SignForTicket";
  return rpc::ServeUnary<v1::SignForTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->SignFor(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordAssistResult(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.RecordAssistResult";
  return rpc::ServeUnary<v1::RecordAssistResultRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        cases_->RecordAssist(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::ReturnTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.ReturnTicket";
  return rpc::ServeUnary<v1::ReturnTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->Return(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordContact(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.RecordContact";
  return rpc::ServeUnary<v1::RecordContactRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        cases_->Contact(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::ResolveTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.ResolveTicket";
  return rpc::ServeUnary<v1::ResolveTicketRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        cases_->Resolve(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::SetPropertyCompany(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.SetPropertyCompany";
  return rpc::ServeUnary<v1::SetPropertyCompanyRequest, v1::TicketActionResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        cases_->SetCompany(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::GetOrganisation(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.GetOrganisation";
  return rpc::ServeUnary<v1::GetOrganisationRequest, v1::GetOrganisationResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->GetOrganisation(std::move(done));
      });
}

grpc::ServerUnaryReactor* RoutingGrpcService::UpdateOrganisation(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "RoutingService.UpdateOrganisation";
  return rpc::ServeUnary<v1::UpdateOrganisationRequest, v1::GetOrganisationResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_organisation_bytes, "limits.max_organisation_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        actions_->UpdateOrganisation(req, std::move(done));
      });
}

}  // namespace dispatch::routing
