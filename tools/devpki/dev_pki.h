// DevPki: the local certificate authority and token-signing key of a development or test
// deployment, written as PEM files into one directory. tools/run makes one under var/pki on
// first start (through `dispatchctl dev-pki`), the tests one per test in a temporary directory.
// A county deployment brings its own CA and its single sign-on's keys instead (README).
//
//   ca.pem, ca.key            a self-signed CA (EC P-256), valid ten years
//   server.pem, server.key    the server's certificate for localhost and 127.0.0.1, by the CA
//   jwt.key, jwt.pub.pem      the ES256 key that signs development tokens (kid "dev-1")
//   <name>.pem, <name>.key    client certificates (IssueClient), for mutual TLS
// Private keys are written with mode 0600.
#ifndef DISPATCH_TOOLS_DEVPKI_DEV_PKI_H_
#define DISPATCH_TOOLS_DEVPKI_DEV_PKI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "dispatch/config/v1/config.pb.h"

namespace dispatch::devpki {

inline constexpr char kDevKeyId[] = "dev-1";
// What development tokens say and a development server expects.
inline constexpr char kDevIssuer[] = "dispatch-dev";
inline constexpr char kDevAudience[] = "dispatch";

// Creates the CA, the server certificate and the signing key in `dir` (created if missing),
// unless ca.pem is there already (then it changes nothing).
absl::Status Ensure(const std::string& dir);

// A client certificate for `common_name`, signed by the CA in `dir`: <name>.pem and <name>.key.
absl::Status IssueClient(const std::string& dir, const std::string& name,
                         const std::string& common_name);

// Fills what `config` leaves unset of its tls and auth sections with the files in `dir`: the
// server certificate and key, the CA as the client CA, and the development issuer, audience
// and signing key (dispatchd --dev_pki=DIR; tests).
void Configure(const std::string& dir, config::v1::DispatchConfig* config);

// A development token for `subject` of `unit_code` with `roles` ("handler", ...) and `channels`
// ("CHANNEL_HOTLINE_12345", ...), valid from `now` for `ttl`, signed with `dir`/jwt.key.
// NOT_FOUND when the key is absent (a deployment with its own single sign-on has none).
absl::StatusOr<std::string> MintToken(const std::string& dir, const std::string& subject,
                                      const std::string& unit_code,
                                      const std::vector<std::string>& roles,
                                      const std::vector<std::string>& channels, absl::Time now,
                                      absl::Duration ttl);

using dispatch::ReadFile;  // common/config.h

}  // namespace dispatch::devpki

#endif  // DISPATCH_TOOLS_DEVPKI_DEV_PKI_H_
