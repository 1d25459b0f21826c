// HttpListener: dispatchd's one HTTP listener (Debian's cpp-httplib), beside the gRPC one. It
// serves what operators and HTTP integrators use: /metrics (Prometheus text), /livez and
// /readyz, the JSON gateway (services/dispatchd/gateway.h) and the dashboard's static files.
//
// Transport security follows the gRPC listener's rule: TLS with tls.cert_file/tls.key_file
// (a client certificate verified against tls.client_ca_file when one is presented), or
// plaintext only on a loopback address and only when http.plaintext_on_loopback says so.
// Each open connection holds one of http.threads workers while it is open.
#ifndef DISPATCH_SERVICES_DISPATCHD_HTTP_LISTENER_H_
#define DISPATCH_SERVICES_DISPATCHD_HTTP_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace httplib {
class Server;
}

namespace dispatch {

class HttpListener {
 public:
  // Binds http.listen_address (port 0: any free port) and serves the routes `install` adds,
  // on its own threads, until Stop().
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(
      const DispatchConfig& config, const std::function<void(httplib::Server&)>& install);
  ~HttpListener();

  int port() const { return port_; }
  // Stops accepting, ends the open connections and joins the threads. Idempotent.
  void Stop();

 private:
  HttpListener() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// "127.0.0.1:8080" → host and port; "[::1]:0" too. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address,
                                                          const char* field);

// Whether `address` is on the loopback interface (127.x, [::1], localhost).
bool IsLoopbackAddress(const std::string& address);

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_HTTP_LISTENER_H_
