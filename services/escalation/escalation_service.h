// EscalationService over gRPC: a thin adapter through rpc::ServeUnary. Extensions are served
// (extensions.h); the timer engine (timer_engine.h) runs beside it in dispatchd, not through
// RPCs. ListBreaches (dashboard queries) and RecordRevisit belong to the case-handling issue
// (#5) and answer UNIMPLEMENTED until then.
#ifndef DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
#define DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_

#include "dispatch/v1/escalation.grpc.pb.h"
#include "services/escalation/extensions.h"

namespace dispatch::escalation {

using RawEscalationService = v1::EscalationService::WithRawCallbackMethod_ListBreaches<
    v1::EscalationService::WithRawCallbackMethod_RequestExtension<
        v1::EscalationService::WithRawCallbackMethod_DecideExtension<
            v1::EscalationService::WithRawCallbackMethod_RecordRevisit<
                v1::EscalationService::Service>>>>;

class EscalationGrpcService final : public RawEscalationService {
 public:
  // `extensions` must outlive this object.
  explicit EscalationGrpcService(Extensions* extensions) : extensions_(extensions) {}

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

 private:
  Extensions* const extensions_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
