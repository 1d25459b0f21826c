// DispatchServer: one gRPC server hosting the services a DispatchConfig names
// ("intake", "routing", "escalation"), plus DiagnosticsService, gRPC health checking (overall
// and per service) and server reflection. Used by dispatchd's main() and by integration tests,
// which start it on port 0 in-process.
//
// Shutdown() marks every service NOT_SERVING, stops accepting calls and waits for in-flight
// RPCs up to the grace period. The redis client and clock must outlive the server.
#ifndef DISPATCH_SERVICES_DISPATCHD_SERVER_H_
#define DISPATCH_SERVICES_DISPATCHD_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/redis/redis_client.h"

namespace dispatch {

class DispatchServer {
 public:
  static absl::StatusOr<std::unique_ptr<DispatchServer>> Start(const DispatchConfig& config,
                                                               redis::Client* redis,
                                                               Clock* clock);
  ~DispatchServer();

  // The bound port (useful with listen_address "127.0.0.1:0").
  int port() const { return port_; }
  // The HTTP listener's port (0 without http.listen_address).
  int http_port() const;
  // Full gRPC service names hosted, e.g. "dispatch.v1.IntakeService".
  const std::vector<std::string>& service_names() const { return service_names_; }

  void Shutdown(absl::Duration grace);
  void Wait() { server_->Wait(); }

  struct Parts;  // the hosted services' parts; defined in server.cc

 private:
  DispatchServer() = default;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> service_names_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_SERVER_H_
