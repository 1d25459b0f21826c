#include "common/auth/authenticator.h"

#include "common/config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/proto_time.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::auth {
namespace {

constexpr size_t kMaxCachedTokens = 100000;
constexpr size_t kMaxTokenBytes = 8192;

int64_t ModifiedNanos(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

void AddRolesAndChannels(const std::vector<std::string>& roles,
                         const std::vector<std::string>& channels, Principal* p) {
  for (const std::string& r : roles) {
    if (std::optional<Role> role = RoleFromName(r)) p->roles.insert(*role);
  }
  for (const std::string& c : channels) {
    v1::Channel channel;
    if (v1::Channel_Parse(c, &channel) && channel != v1::CHANNEL_UNSPECIFIED) {
      p->channels.insert(channel);
    }
  }
}

}  // namespace

std::optional<Role> RoleFromName(absl::string_view name) {
  for (Role r : {Role::kGateway, Role::kHandler, Role::kDispatcher, Role::kSupervisor,
                 Role::kAdmin, Role::kPii}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kGateway: return "gateway";
    case Role::kHandler: return "handler";
    case Role::kDispatcher: return "dispatcher";
    case Role::kSupervisor: return "supervisor";
    case Role::kAdmin: return "admin";
    case Role::kPii: return "pii";
  }
  return "";
}

Authenticator::Authenticator(config::v1::AuthOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock) {
  expect_.issuer = options_.issuer();
  expect_.audience = options_.audience();
  if (options_.has_clock_skew()) expect_.skew = FromProto(options_.clock_skew());
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const config::v1::AuthOptions& options, Clock* clock) {
  if (options.issuer().empty() || options.audience().empty()) {
    return absl::InvalidArgumentError("auth.issuer, auth.audience: required");
  }
  if (options.jwks_file().empty() && options.keys().empty() && options.clients().empty()) {
    return absl::InvalidArgumentError(
        "auth: no way to authenticate anyone (give jwks_file, keys or clients)");
  }
  for (int i = 0; i < options.clients_size(); ++i) {
    const auto& c = options.clients(i);
    if (c.common_name().empty() || c.subject().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth.clients[", i, "]: common_name and subject required"));
    }
    for (const std::string& r : c.roles()) {
      if (!RoleFromName(r)) {
        return absl::InvalidArgumentError(
            absl::StrCat("auth.clients[", i, "].roles: unknown role \"", r, "\""));
      }
    }
  }
  std::unique_ptr<Authenticator> a(new Authenticator(options, clock));
  if (absl::Status s = a->Load(); !s.ok()) return s;
  return a;
}

absl::Status Authenticator::Load() {
  std::map<std::string, int64_t> mtimes;
  std::map<std::string, std::string> pems;
  for (const auto& k : options_.keys()) {
    auto text = ReadFile(k.pem_file());
    if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("auth.keys: ", text.status().message()));
    pems[k.kid()] = *text;
    mtimes[k.pem_file()] = ModifiedNanos(k.pem_file());
  }
  auto keys = KeySet::FromPem(pems);
  if (!keys.ok()) return absl::InvalidArgumentError(absl::StrCat("auth.keys: ", keys.status().message()));
  if (!options_.jwks_file().empty()) {
    auto text = ReadFile(options_.jwks_file());
    if (!text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("auth.jwks_file: ", text.status().message()));
    }
    auto jwks = KeySet::FromJwks(*text);
    if (!jwks.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("auth.jwks_file: ", jwks.status().message()));
    }
    keys->Merge(*jwks);
    mtimes[options_.jwks_file()] = ModifiedNanos(options_.jwks_file());
  }
  auto set = std::make_shared<const KeySet>(*std::move(keys));
  absl::MutexLock lock(&mu_);
  keys_ = std::move(set);
  mtimes_ = std::move(mtimes);
  cache_.clear();  // a key removed must not keep its tokens alive
  return absl::OkStatus();
}

void Authenticator::ReloadIfChanged() {
  const absl::Time now = clock_->Now();
  std::map<std::string, int64_t> seen;
  {
    absl::MutexLock lock(&mu_);
    if (now - last_check_ < absl::Seconds(1)) return;
    last_check_ = now;
    seen = mtimes_;
  }
  bool changed = false;
  for (const auto& [file, mtime] : seen) changed |= ModifiedNanos(file) != mtime;
  if (!changed) return;
  if (absl::Status s = Load(); !s.ok()) {
    log::Warn("auth", "keys not reloaded, the ones in force stay", {{"error", s.ToString()}});
  } else {
    log::Info("auth", "verification keys reloaded");
  }
}

absl::StatusOr<Principal> Authenticator::FromToken(absl::string_view token) {
  const absl::Time now = clock_->Now();
  std::shared_ptr<const KeySet> keys;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (now < it->second.until) return it->second.principal;
      cache_.erase(it);
    }
    keys = keys_;
  }
  absl::StatusOr<Claims> claims = VerifyJwt(token, *keys, expect_, now);
  if (!claims.ok()) return claims.status();
  Principal p;
  p.subject = claims->subject;
  p.unit_code = claims->unit_code;
  p.authenticated_by = "token";
  AddRolesAndChannels(claims->roles, claims->channels, &p);
  if (claims->not_before == absl::InfinitePast() || claims->not_before <= now) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_[std::string(token)] = Cached{p, claims->expires + expect_.skew};
  }
  return p;
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view authorization,
                                                      absl::string_view peer_common_name) {
  ReloadIfChanged();
  if (!peer_common_name.empty()) {
    for (const auto& c : options_.clients()) {
      if (c.common_name() != peer_common_name) continue;
      Principal p;
      p.subject = c.subject();
      p.unit_code = c.unit_code();
      p.authenticated_by = "certificate";
      std::vector<std::string> channels;
      for (int ch : c.channels()) channels.push_back(v1::Channel_Name(ch));
      AddRolesAndChannels({c.roles().begin(), c.roles().end()}, channels, &p);
      return p;
    }
    // A certificate the CA signed but no configured system holds: a token may still say who.
    if (authorization.empty()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "client certificate CN=", peer_common_name, " is not a configured client (auth.clients)"));
    }
  }
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send authorization: Bearer <token>, or a client certificate");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") && !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError("authorization: not a Bearer token");
  }
  token = absl::StripAsciiWhitespace(token);
  if (token.size() > kMaxTokenBytes) {
    return absl::UnauthenticatedError(absl::StrCat("token: longer than ", kMaxTokenBytes, " bytes"));
  }
  return FromToken(token);
}

}  // namespace dispatch::auth
