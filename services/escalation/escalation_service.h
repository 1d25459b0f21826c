// EscalationService over gRPC: a thin adapter through rpc::ServeUnary to Extensions
// (extensions.h), Revisits (revisits.h) and Ledgers (ledgers.h: breaches, the revisit ledger);
// the timer engine
// (timer_engine.h) runs beside it in dispatchd, not through RPCs.
#ifndef DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
#define DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_

#include "dispatch/v1/escalation.grpc.pb.h"
#include "common/rpc/method_table.h"
#include "services//escalation/ledgers.h"
#include "services/escalation/extensions.h"
#include "services/escalation/revisits.h"

namespace dispatch::escalation {

using RawEscalationService = v1::EscalationService::WithRawCallbackMethod_ListBreaches<
    v1::EscalationService::WithRawCallbackMethod_RequestExtension<
        v1::EscalationService::WithRawCallbackMethod_DecideExtension<
            v1::EscalationService::WithRawCallbackMethod_RecordRevisit<
                v1::EscalationService::WithRawCallbackMethod_ListRevisits<
                    v1::EscalationService::Service>>>>>;

class EscalationGrpcService final : public RawEscalationService {
 public:
  // All must outlive this object.
  EscalationGrpcService(Extensions* extensions, Revisits* revisits, Ledgers* ledgers,
                        const rpc::Gate* gate, rpc::Limits limits)
      : extensions_(extensions),
        revisits_(revisits),
        ledgers_(ledgers),
        gate_(gate),
        limits_(limits) {
    RegisterMethods();
  }

  grpc::ServerUnaryReactor* ListBreaches(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RequestExtension(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DecideExtension(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordRevisit(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListRevisits(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

 // The unary methods (the HTTP gateway serves them too).
  const rpc::MethodTable& methods() const { return methods_; }

 private:
  void RegisterMethods();
  Extensions* const extensions_;
  Revisits* const revisits_;
  Ledgers* const ledgers_;
  const rpc::Gate* const gate_;
  const rpc::Limits limits_;
  // Every unary method's handler, for gRPC and the HTTP gateway alike.
  rpc::MethodTable methods_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
