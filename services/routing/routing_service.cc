#include "services/routing/routing_service.h"

namespace dispatch::routing {

void RoutingGrpcService::RegisterMethods() {
  {
    static constexpr char kMethod[] = "RoutingService.RouteTicket";
    methods_.Add<v1::RouteTicketRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->Route(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.AssignTicket";
    methods_.Add<v1::AssignTicketRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->Assign(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.SignForTicket";
    methods_.Add<v1::SignForTicketRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->SignFor(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.RecordAssistResult";
    methods_.Add<v1::RecordAssistResultRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          cases_->RecordAssist(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.ReturnTicket";
    methods_.Add<v1::ReturnTicketRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->Return(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.RecordContact";
    methods_.Add<v1::RecordContactRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          cases_->Contact(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.ResolveTicket";
    methods_.Add<v1::ResolveTicketRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          cases_->Resolve(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.SetPropertyCompany";
    methods_.Add<v1::SetPropertyCompanyRequest, v1::TicketActionResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          cases_->SetCompany(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.GetOrganisation";
    methods_.Add<v1::GetOrganisationRequest, v1::GetOrganisationResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->GetOrganisation(std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "RoutingService.UpdateOrganisation";
    methods_.Add<v1::UpdateOrganisationRequest, v1::GetOrganisationResponse>(
        rpc::Method{kMethod, gate_, limits_.max_organisation_bytes,
                    "limits.max_organisation_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          actions_->UpdateOrganisation(req, std::move(done));
        });
  }
}

grpc::ServerUnaryReactor* RoutingGrpcService::RouteTicket(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.RouteTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::AssignTicket(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.AssignTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::SignForTicket(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.SignForTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordAssistResult(grpc::CallbackServerContext* ctx,
                                                                 const grpc::ByteBuffer* request,
                                                                 grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.RecordAssistResult", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::ReturnTicket(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.ReturnTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::RecordContact(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.RecordContact", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::ResolveTicket(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.ResolveTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::SetPropertyCompany(grpc::CallbackServerContext* ctx,
                                                                 const grpc::ByteBuffer* request,
                                                                 grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.SetPropertyCompany", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::GetOrganisation(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.GetOrganisation", ctx, request, response);
}

grpc::ServerUnaryReactor* RoutingGrpcService::UpdateOrganisation(grpc::CallbackServerContext* ctx,
                                                                 const grpc::ByteBuffer* request,
                                                                 grpc::ByteBuffer* response) {
  return methods_.Serve("RoutingService.UpdateOrganisation", ctx, request, response);
}

}  // namespace dispatch::routing
