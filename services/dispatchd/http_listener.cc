#include "services/dispatchd/http_listener.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dispatch {

bool IsLoopbackAddress(const std::string& address) {
  for (const char* prefix : {"127.", "[::1]:", "localhost:"}) {
    if (absl::StartsWith(address, prefix)) return true;
  }
  return false;
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address,
                                                          const char* field) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", address, "\" is not host:port (e.g. 127.0.0.1:8080, [::1]:8080)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(
    const DispatchConfig& config, const std::function<void(httplib::Server&)>& install) {
  const config::v1::HttpOptions& http = config.http();
  auto host_port = SplitHostPort(http.listen_address(), "http.listen_address");
  if (!host_port.ok()) return host_port.status();
  std::unique_ptr<HttpListener> listener(new HttpListener());
  if (http.plaintext_on_loopback()) {
    if (!IsLoopbackAddress(http.listen_address())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "http.plaintext_on_loopback: http.listen_address ", http.listen_address(),
          " is not a loopback address; plaintext is served only on 127.0.0.1, [::1] or "
          "localhost"));
    }
    listener->server_ = std::make_unique<httplib::Server>();
  } else {
    const config::v1::TlsOptions& tls = config.tls();
    if (tls.cert_file().empty() || tls.key_file().empty()) {
      return absl::InvalidArgumentError(
          "tls.cert_file, tls.key_file: required by the HTTP listener (or "
          "http.plaintext_on_loopback on a loopback address)");
    }
    const std::string cert = tls.cert_file(), key = tls.key_file(), ca = tls.client_ca_file();
    // httplib's own client-CA constructor would demand a certificate of every client; people
    // send tokens, so a certificate is asked for and verified only when one is presented.
    auto server = std::make_unique<httplib::SSLServer>([cert, key, ca](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) return false;
      if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) return false;
      if (SSL_CTX_check_private_key(&ctx) != 1) return false;
      if (!ca.empty()) {
        if (SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) return false;
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
        // Without it OpenSSL refuses TLS 1.2 session resumption once peers are verified.
        static const unsigned char kContext[] = "dispatchd";
        SSL_CTX_set_session_id_context(&ctx, kContext, sizeof kContext - 1);
      }
      return true;
    });
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls.cert_file, tls.key_file, tls.client_ca_file: the HTTP listener cannot use them (",
          cert, ", ", key, ca.empty() ? "" : ", ", ca, ")"));
    }
    listener->server_ = std::move(server);
  }
  httplib::Server& server = *listener->server_;
  const int threads = http.threads() > 0 ? http.threads() : 32;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Each open connection holds a worker: idle ones give it back soon.
  server.set_keep_alive_timeout(5);
  // httplib reads a whole body before any route (before the Gate): bound it (a JSON request can
  // be a few times its protobuf size; every method's own limit applies after decoding).
  server.set_payload_max_length(4 * static_cast<size_t>(config.limits().max_organisation_bytes()));
  // httplib closes a keep-alive connection after 5 requests by default: a TLS handshake every
  // five calls for a gateway that keeps its connection.
  server.set_keep_alive_max_count(100000);
  server.set_read_timeout(30);
  server.set_write_timeout(30);
  server.set_tcp_nodelay(true);
  install(server);
  const auto& [host, port] = *host_port;
  if (port == 0) {
    listener->port_ = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, port)) {
    listener->port_ = port;
  }
  if (listener->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http.listen_address: cannot listen on ", http.listen_address()));
  }
  listener->thread_ = std::thread([s = listener->server_.get()] { s->listen_after_bind(); });
  // A stop() before the loop runs would be lost (and Stop() would wait for ever).
  for (int i = 0; i < 5000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server.is_running()) {
    listener->thread_.detach();
    (void)listener->server_.release();  // its thread may still use it: leaked on this failure
    return absl::UnavailableError("http.listen_address: the listener did not start within 5 s");
  }
  return listener;
}

void HttpListener::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

HttpListener::~HttpListener() { Stop(); }

}  // namespace dispatch
