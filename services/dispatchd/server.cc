#include "services/dispatchd/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/rpc/unary.h"
#include "dispatch/v1/diagnostics.grpc.pb.h"
#include "services/escalation/escalation_service.h"
#include "services/escalation/sla_policy.h"
#include "services/intake/intake.h"
#include "services/intake/intake_service.h"
#include "services/routing/routing_service.h"

namespace dispatch {
namespace {

// Echo does no work: the ceiling for tools/bench, served through the same ServeUnary path as
// every real RPC.
class DiagnosticsGrpcService final
    : public v1::DiagnosticsService::WithRawCallbackMethod_Echo<v1::DiagnosticsService::Service> {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override {
    return rpc::ServeUnary<v1::EchoRequest, v1::EchoResponse>(
        ctx, request, response, [](const v1::EchoRequest& req, auto done) {
          v1::EchoResponse r;
          r.set_payload(req.payload());
          done(std::move(r));
        });
  }
};

}  // namespace

struct DispatchServer::Parts {
  std::unique_ptr<intake::Intake> intake;
  std::vector<std::unique_ptr<grpc::Service>> services;
};

absl::StatusOr<std::unique_ptr<DispatchServer>> DispatchServer::Start(const DispatchConfig& config,
                                                                      redis::Client* redis,
                                                                      Clock* clock) {
  std::unique_ptr<DispatchServer> s(new DispatchServer());
  s->parts_ = std::make_unique<Parts>();
  auto policy = SlaPolicy::FromConfig(config.sla());
  if (!policy.ok()) return policy.status();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(config.time_zone(), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("time_zone: unknown \"", config.time_zone(), "\""));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), grpc::InsecureServerCredentials(), &s->port_);

  auto add = [&](std::unique_ptr<grpc::Service> service, const std::string& name) {
    builder.RegisterService(service.get());
    s->parts_->services.push_back(std::move(service));
    s->service_names_.push_back(name);
  };
  for (const std::string& name : config.services()) {
    if (name == "intake") {
      s->parts_->intake = std::make_unique<intake::Intake>(redis, clock, *policy, zone);
      add(std::make_unique<intake::IntakeGrpcService>(s->parts_->intake.get()),
          v1::IntakeService::service_full_name());
    } else if (name == "routing") {
      add(std::make_unique<routing::RoutingGrpcService>(), v1::RoutingService::service_full_name());
    } else if (name == "escalation") {
      add(std::make_unique<escalation::EscalationGrpcService>(),
          v1::EscalationService::service_full_name());
    }
  }
  add(std::make_unique<DiagnosticsGrpcService>(), v1::DiagnosticsService::service_full_name());

  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen_address: cannot listen on ", config.listen_address()));
  }
  grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (const auto& n : s->service_names_) health->SetServingStatus(n, true);
  return s;
}

void DispatchServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->Shutdown();  // everything reads NOT_SERVING
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
}

DispatchServer::~DispatchServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
}

}  // namespace dispatch
