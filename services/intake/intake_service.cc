#include "services/intake/intake_service.h"

namespace dispatch::intake {

grpc::ServerUnaryReactor* IntakeGrpcService::SubmitComplaint(grpc::CallbackServerContext* ctx,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::SubmitComplaintRequest, v1::SubmitComplaintResponse>(
      ctx, request, response, limits_.max_request_bytes, [this](const auto& req, auto done) {
        intake_->Submit(req, std::move(done));
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicket(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::GetTicketRequest, v1::GetTicketResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { intake_->Get(req, std::move(done)); });
}

grpc::ServerUnaryReactor* IntakeGrpcService::LookupTicket(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::LookupTicketRequest, v1::GetTicketResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { intake_->Lookup(req, std::move(done)); });
}

grpc::ServerUnaryReactor* IntakeGrpcService::ListTickets(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::ListTicketsRequest, v1::ListTicketsResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { queries_->List(req, std::move(done)); });
}

grpc::ServerUnaryReactor* IntakeGrpcService::GetTicketHistory(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return rpc::ServeUnary<v1::GetTicketHistoryRequest, v1::GetTicketHistoryResponse>(
      ctx, request, response, limits_.max_request_bytes,
      [this](const auto& req, auto done) { queries_->History(req, std::move(done)); });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* IntakeGrpcService::WatchTicketEvents(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  return watcher_->Watch(ctx, request, limits_.max_request_bytes);
}

}  // namespace dispatch::intake
