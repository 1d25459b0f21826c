// JSON Web Tokens (RFC 7519) as the service accepts them: compact JWS signed with ES256 (ECDSA
// P-256, SHA-256) or RS256 (RSA PKCS#1 v1.5, SHA-256), verified against public keys chosen by
// key id. Written on OpenSSL directly: Debian's libjwt 1.10 checks no claims, knows no JWKS, and
// verifies "none" or an HMAC keyed with a public key if asked; here the algorithm must be one of
// the two and match the key's type, and the claims are checked every time.
//
// What VerifyJwt checks, in order, each failure UNAUTHENTICATED with the reason:
//   the form (three base64url parts, a JSON header and payload); alg ES256 or RS256 ("none",
//   HS256 and the rest are refused); kid present and known; the key's type fits alg; the
//   signature; exp (required) and nbf (if present) with `skew`; iss; aud (a string or an array
//   holding the expected audience); sub required.
// Claims the service reads: sub, "unit" (the unit code), "roles" and "channels" (arrays of
// strings).
//
// Thread-safe: KeySet is immutable once built.
#ifndef DISPATCH_COMMON_AUTH_JWT_H_
#define DISPATCH_COMMON_AUTH_JWT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dispatch::auth {

// Public keys by key id (kid).
class KeySet {
 public:
  // PEM public keys (SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----"), by kid.
  static absl::StatusOr<KeySet> FromPem(const std::map<std::string, std::string>& pem_by_kid);
  // A JWK Set (RFC 7517): {"keys": [{"kty": "EC", "crv": "P-256", "kid", "x", "y"} or
  // {"kty": "RSA", "kid", "n", "e"}]}; other keys are skipped, a key without kid is refused.
  static absl::StatusOr<KeySet> FromJwks(absl::string_view json);

  size_t size() const { return keys_.size(); }
  // Adds `other`'s keys (a kid in both: `other`'s wins).
  void Merge(const KeySet& other) {
    for (const auto& [kid, key] : other.keys_) keys_[kid] = key;
  }
  // The key of `kid` (an EVP_PKEY*), or null.
  const void* Find(const std::string& kid) const;

 private:
  std::map<std::string, std::shared_ptr<void>> keys_;
};

struct Claims {
  std::string subject;
  std::string issuer;
  std::vector<std::string> audience;
  std::string unit_code;
  std::vector<std::string> roles;
  std::vector<std::string> channels;
  absl::Time expires = absl::InfinitePast();
  absl::Time not_before = absl::InfinitePast();  // InfinitePast: none
};

struct Expectations {
  std::string issuer;
  std::string audience;
  absl::Duration skew = absl::Seconds(60);
};

absl::StatusOr<Claims> VerifyJwt(absl::string_view token, const KeySet& keys,
                                 const Expectations& expect, absl::Time now);

// Signs `claims` as an ES256 token with key id `kid` and the PEM private key (development
// tooling and tests: production tokens come from the province's single sign-on).
absl::StatusOr<std::string> SignJwtEs256(const Claims& claims, const std::string& kid,
                                         absl::string_view private_key_pem);

}  // namespace dispatch::auth

#endif  // DISPATCH_COMMON_AUTH_JWT_H_
