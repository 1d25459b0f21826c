// Gateway: every unary RPC over HTTP/JSON, on the HTTP listener (issue #17).
//
// Routes come from the protos' google.api.http annotations (proto/dispatch/v1/*.proto), read
// from the descriptors at start: a hosted method without one fails the start. A call enters
// its method through rpc::MethodTable::Invoke, the door gRPC uses too: the same Gate
// (Authorization: Bearer <token>, or a client certificate the TLS listener verified), the same
// access policy, the same size limits, the same handler. There is no other way in.
//
// Mapping (as grpc-gateway and Google's HTTP rules do):
//   - the request: the body (methods with body "*": the whole request as protobuf JSON;
//     unknown fields are dropped, as gRPC drops them), then the path's variables
//     ("{write.ticket_id}"), then for methods without a body the query parameters, each a
//     field path (proto or JSON name: unit_code, statuses=A&statuses=B, accepted_from=RFC 3339,
//     resume_after.token). A query parameter that names no field is INVALID_ARGUMENT.
//   - the response: protobuf JSON (lowerCamelCase names, enums by name, int64 as strings,
//     Timestamps in RFC 3339; fields at their default are left out), 200.
//   - an error: the HTTP status of its gRPC code (grpc-gateway's table, HttpStatusOf) and
//     {"code":3,"status":"INVALID_ARGUMENT","message":"..."}; UNAUTHENTICATED also carries
//     WWW-Authenticate: Bearer. A path no rule matches is 404 NOT_FOUND.
// The event watch (IntakeService.WatchTicketEvents, GET /v1/events) is a stream of server-sent
// events: each event a message `id: <cursor token>`, `event: ticket`, `data: <the
// WatchTicketEventsResponse as JSON>`; a `: ping` comment every 15 s while nothing happens; a
// watch that ends with an error sends `event: error` with the error JSON. It resumes after the
// id in the Last-Event-ID header (or the resume_after.token parameter). Admission, filters and
// cut-offs are the gRPC watch's (intake/watch.h); each open stream holds one HTTP worker, so at
// most half of http.threads streams are open at once (more: 429 RESOURCE_EXHAUSTED).
// Every /v1/ answer carries X-Dispatch-Service-Time (the service's now, RFC 3339: under a
// time scale it runs ahead of the wall clock) and X-Dispatch-Time-Scale.
// dispatch_http_requests_total{route,code} and dispatch_http_request_duration_seconds{route}
// count the calls by their route template.
#ifndef DISPATCH_SERVICES_DISPATCHD_GATEWAY_H_
#define DISPATCH_SERVICES_DISPATCHD_GATEWAY_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/rpc/method_table.h"
#include "services/intake/watch.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dispatch {

class SseSink;

class Gateway {
 public:
  // `tables`: the hosted services' methods (they must outlive the gateway).
  struct Options {
    // The watch, when IntakeService is hosted here; admitted by `gate`.
    intake::EventWatcher* watcher = nullptr;
    const rpc::Gate* gate = nullptr;
    size_t max_request_bytes = 64 << 10;
    // Event streams open at once.
    int max_streams = 16;
    // The service's time (X-Dispatch-Service-Time) and its scale.
    Clock* clock = nullptr;
    double time_scale = 1;
  };
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(
      const std::vector<const rpc::MethodTable*>& tables, Options options);
  ~Gateway();

  // Adds the routes under /v1/ to `server`.
  void Install(httplib::Server& server);

  // Ends the open event streams (before the listener stops: each holds a worker).
  void Shutdown();

  // How long an HTTP call waits for its handler before answering DEADLINE_EXCEEDED.
  void set_deadline_seconds(int seconds) { deadline_seconds_ = seconds; }

  struct Route;

 private:
  Gateway() = default;
  void Handle(const std::string& verb, const httplib::Request& req, httplib::Response& res);
  void Watch(const Route& route, const httplib::Request& req, httplib::Response& res);
  void TimeHeaders(httplib::Response& res) const;
  std::vector<std::unique_ptr<Route>> routes_;
  Options options_;
  std::shared_ptr<std::atomic<int>> streams_ = std::make_shared<std::atomic<int>>(0);
  std::mutex sinks_mu_;
  std::vector<std::weak_ptr<SseSink>> sinks_;  // the open event streams
  bool shut_down_ = false;
  int deadline_seconds_ = 60;
};

// The HTTP status of a gRPC code (grpc-gateway's mapping: INVALID_ARGUMENT 400, NOT_FOUND 404,
// PERMISSION_DENIED 403, UNAUTHENTICATED 401, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, ...).
int HttpStatusOf(absl::StatusCode code);
// {"code":3,"status":"INVALID_ARGUMENT","message":"..."}
std::string ErrorJson(const absl::Status& status);
// An error answer: its HTTP status, the ErrorJson body, and for UNAUTHENTICATED the Bearer
// challenge.
void WriteError(const absl::Status& status, httplib::Response& res);
// rpc::Credentials of an HTTP request: its Authorization header, and the common name of a
// client certificate only when the TLS session verified it.
rpc::Credentials CredentialsOf(const httplib::Request& req);
// Records one answered HTTP call the same way for every route (the gateway's, its event stream's,
// Open311's): dispatch_http_requests_total{route,code} with the route template and the HTTP
// status, and the access log line (transport, route, HTTP status, the gRPC code when there is
// one, duration, peer, X-Request-Id).
void RecordHttpCall(const std::string& route, const httplib::Request& req,
                    const httplib::Response& res, double seconds,
                    absl::string_view grpc_code = "");

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_GATEWAY_H_
