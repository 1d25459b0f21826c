#include "services/intake/intake_service.h"

namespace dispatch::intake {

void IntakeGrpcService::RegisterMethods() {
  {
    static constexpr char kMethod[] = "IntakeService.SubmitComplaint";
    methods_.Add<v1::SubmitComplaintRequest, v1::SubmitComplaintResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          intake_->Submit(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.GetTicket";
    methods_.Add<v1::GetTicketRequest, v1::GetTicketResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          intake_->Get(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.LookupTicket";
    methods_.Add<v1::LookupTicketRequest, v1::GetTicketResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          intake_->Lookup(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.ListTickets";
    methods_.Add<v1::ListTicketsRequest, v1::ListTicketsResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          queries_->List(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.GetTicketHistory";
    methods_.Add<v1::GetTicketHistoryRequest, v1::GetTicketHistoryResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          queries_->History(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.ListPersonalDataAccess";
    methods_.Add<v1::ListPersonalDataAccessRequest, v1::ListPersonalDataAccessResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          intake_->ListPersonalDataAccess(req, caller, std::move(done));
        });
  }
  {
    static constexpr char kMethod[] = "IntakeService.ErasePersonalData";
    methods_.Add<v1::ErasePersonalDataRequest, v1::ErasePersonalDataResponse>(
        rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
        [this](const auto& req, const auth::Caller& caller, auto done) {
          intake_->ErasePersonalData(req, caller, std::move(done));
        });
  }
}

grpc::ServerUnaryReactor* IntakeGrpcService::SubmitComplaint(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.SubmitComplaint", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicket(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.GetTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::LookupTicket(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.LookupTicket", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::ListTickets(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.ListTickets", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicketHistory(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.GetTicketHistory", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::ListPersonalDataAccess(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.ListPersonalDataAccess", ctx, request, response);
}

grpc::ServerUnaryReactor* IntakeGrpcService::ErasePersonalData(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return methods_.Serve("IntakeService.ErasePersonalData", ctx, request, response);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* IntakeGrpcService::WatchTicketEvents(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  return watcher_->Watch(ctx, request, *gate_, limits_.max_request_bytes);
}

}  // namespace dispatch::intake
