// Authenticator: turns a call's credentials into a Principal, or UNAUTHENTICATED with the
// reason. The one authentication step of every RPC (common/rpc/unary.h calls it, through services/auth/access_policy.h before any
// handler runs, unary and streaming alike).
//
//   a client certificate   verified by TLS against tls.client_ca_file; its common name must be
//                          one of auth.clients, which gives subject, unit, roles and channels;
//   else a Bearer token    `authorization: Bearer <JWT>` (jwt.h: ES256/RS256, kid, signature,
//                          exp/nbf with skew, iss, aud); the claims give sub, "unit", "roles",
//                          "channels" (names: "gateway" ..., "CHANNEL_HOTLINE_12345" ...).
// Neither: UNAUTHENTICATED "no credentials". Roles and channels a token names that this
// version does not know are ignored.
//
// A verified token is cached (by its text) until it expires, so each distinct token is
// verified once. Key files are looked at again at most once a second and reloaded when they
// changed (rotation without restart); a reload that fails keeps the keys in force and says so.
// Thread-safe.
#ifndef DISPATCH_COMMON_AUTH_AUTHENTICATOR_H_
#define DISPATCH_COMMON_AUTH_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/clock.h"
#include "dispatch/config/v1/config.pb.h"

namespace dispatch::auth {

class Authenticator {
 public:
  // Validates the options and loads the keys; `clock` (which must outlive this) judges exp/nbf.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const config::v1::AuthOptions& options, Clock* clock);

  // `authorization`: the call's authorization metadata ("" when none); `peer_common_name`: the
  // verified client certificate's common name ("" when none).
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization,
                                         absl::string_view peer_common_name);

 private:
  Authenticator(config::v1::AuthOptions options, Clock* clock);
  // Reads every key file; the key set and the files' modification times.
  absl::Status Load();
  void ReloadIfChanged();
  absl::StatusOr<Principal> FromToken(absl::string_view token);

  const config::v1::AuthOptions options_;
  Clock* const clock_;
  Expectations expect_;

  absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> mtimes_ ABSL_GUARDED_BY(mu_);  // key file -> mtime (ns)
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  struct Cached {
    Principal principal;
    absl::Time until;
  };
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dispatch::auth

#endif  // DISPATCH_COMMON_AUTH_AUTHENTICATOR_H_
