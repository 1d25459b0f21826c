// IntakeService over gRPC: a thin adapter from raw gRPC calls to Intake (intake.h) through
// rpc::ServeUnary, to TicketQueries (queries.h) for lists and history, and to EventWatcher
// (watch.h) for the event stream. No logic lives here.
#ifndef DISPATCH_SERVICES_INTAKE_INTAKE_SERVICE_H_
#define DISPATCH_SERVICES_INTAKE_INTAKE_SERVICE_H_

#include "dispatch/v1/intake.grpc.pb.h"
#include "common/rpc/method_table.h"
#include "services//intake/intake.h"
#include "services/intake/queries.h"
#include "services/intake/watch.h"

namespace dispatch::intake {

using RawIntakeService = v1::IntakeService::WithRawCallbackMethod_SubmitComplaint<
    v1::IntakeService::WithRawCallbackMethod_GetTicket<
        v1::IntakeService::WithRawCallbackMethod_LookupTicket<
            v1::IntakeService::WithRawCallbackMethod_ListTickets<
                v1::IntakeService::WithRawCallbackMethod_GetTicketHistory<
                    v1::IntakeService::WithRawCallbackMethod_WatchTicketEvents<
                        v1::IntakeService::WithRawCallbackMethod_ListPersonalDataAccess<
                            v1::IntakeService::WithRawCallbackMethod_ErasePersonalData<
                                v1::IntakeService::Service>>>>>>>>;

class IntakeGrpcService final : public RawIntakeService {
 public:
  // All must outlive this object.
  IntakeGrpcService(Intake* intake, TicketQueries* queries, EventWatcher* watcher,
                    const rpc::Gate* gate, rpc::Limits limits)
      : intake_(intake), queries_(queries), watcher_(watcher), gate_(gate), limits_(limits) {
    RegisterMethods();
  }

  grpc::ServerUnaryReactor* SubmitComplaint(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* LookupTicket(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListTickets(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetTicketHistory(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchTicketEvents(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* ListPersonalDataAccess(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ErasePersonalData(grpc::CallbackServerContext* ctx,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;

 // The unary methods (the HTTP gateway serves them too).
  const rpc::MethodTable& methods() const { return methods_; }

 private:
  void RegisterMethods();
  Intake* const intake_;
  TicketQueries* const queries_;
  EventWatcher* const watcher_;
  const rpc::Gate* const gate_;
  const rpc::Limits limits_;
  // Every unary method's handler, for gRPC and the HTTP gateway alike.
  rpc::MethodTable methods_;
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_INTAKE_SERVICE_H_
