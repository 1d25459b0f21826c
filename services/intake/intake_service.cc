#include "services/intake/intake_service.h"


namespace dispatch::intake {

grpc::ServerUnaryReactor* IntakeGrpcService::SubmitComplaint(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.SubmitComplaint";
  return rpc::ServeUnary<v1::SubmitComplaintRequest, v1::SubmitComplaintResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        intake_->Submit(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.GetTicket";
  return rpc::ServeUnary<v1::GetTicketRequest, v1::GetTicketResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        intake_->Get(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::LookupTicket(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.LookupTicket";
  return rpc::ServeUnary<v1::LookupTicketRequest, v1::GetTicketResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        intake_->Lookup(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::ListTickets(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.ListTickets";
  return rpc::ServeUnary<v1::ListTicketsRequest, v1::ListTicketsResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        queries_->List(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicketHistory(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.GetTicketHistory";
  return rpc::ServeUnary<v1::GetTicketHistoryRequest, v1::GetTicketHistoryResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        queries_->History(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::ListPersonalDataAccess(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.ListPersonalDataAccess";
  return rpc::ServeUnary<v1::ListPersonalDataAccessRequest, v1::ListPersonalDataAccessResponse>(
      ctx, request, response, rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        intake_->ListPersonalDataAccess(req, caller, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::ErasePersonalData(grpc::CallbackServerContext* ctx,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  static constexpr char kMethod[] = "IntakeService.ErasePersonalData";
  return rpc::ServeUnary<v1::ErasePersonalDataRequest, v1::ErasePersonalDataResponse>(
      ctx, request, response,
      rpc::Method{kMethod, gate_, limits_.max_request_bytes, "limits.max_request_bytes"},
      [this](const auto& req, const auth::Caller& caller, auto done) {
        intake_->ErasePersonalData(req, caller, std::move(done));
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* IntakeGrpcService::WatchTicketEvents(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  return watcher_->Watch(ctx, request, *gate_, limits_.max_request_bytes);
}

}  // namespace dispatch::intake
