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

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dispatch::devpki {

inline constexpr char kDevKeyId[] = "dev-1";

// Creates the CA, the server certificate and the signing key in `dir` (created if missing),
// unless ca.pem is there already (then it changes nothing).
absl::Status Ensure(const std::string& dir);

// A client certificate for `common_name`, signed by the CA in `dir`: <name>.pem and <name>.key.
absl::Status IssueClient(const std::string& dir, const std::string& name,
                         const std::string& common_name);

// Reads a whole file.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace dispatch::devpki

#endif  // DISPATCH_TOOLS_DEVPKI_DEV_PKI_H_
