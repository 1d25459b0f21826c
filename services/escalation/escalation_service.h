// EscalationService over gRPC. The timer engine, breaches, escalation and extensions are the
// SLA-engine issue (#4), revisits the case-handling issue (#5); until they land every RPC
// answers UNIMPLEMENTED naming the method. The SLA policy itself (sla_policy.h) is in use now:
// intake arms every ticket's clocks with it.
#ifndef DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
#define DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_

#include "dispatch/v1/escalation.grpc.pb.h"

namespace dispatch::escalation {

class EscalationGrpcService final : public v1::EscalationService::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListBreaches(grpc::CallbackServerContext* ctx,
                                         const v1::ListBreachesRequest*,
                                         v1::ListBreachesResponse*) override;
  grpc::ServerUnaryReactor* RequestExtension(grpc::CallbackServerContext* ctx,
                                             const v1::RequestExtensionRequest*,
                                             v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* DecideExtension(grpc::CallbackServerContext* ctx,
                                            const v1::DecideExtensionRequest*,
                                            v1::TicketActionResponse*) override;
  grpc::ServerUnaryReactor* RecordRevisit(grpc::CallbackServerContext* ctx,
                                          const v1::RecordRevisitRequest*,
                                          v1::TicketActionResponse*) override;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_ESCALATION_SERVICE_H_
