// Who is calling: the identity every RPC is tied to once authenticated (authenticator.h), and
// what the access policy (services/auth/access_policy.h) decides by.
#ifndef DISPATCH_COMMON_AUTH_PRINCIPAL_H_
#define DISPATCH_COMMON_AUTH_PRINCIPAL_H_

#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"

namespace dispatch::auth {

// The roles of the access policy. In tokens and configuration they are the lowercase names.
enum class Role {
  kGateway,     // a hotline or transfer-system gateway: submits for its channels
  kHandler,     // works the tickets of its unit
  kDispatcher,  // routes, assigns and takes returns within its subtree
  kSupervisor,  // reads its subtree, decides extensions, records revisits, lists breaches
  kAdmin,       // changes the organisation, reads the personal-data access log
  kPii,         // may see complainants' full contact data (with a reason), on top of a role
};

// "gateway", "handler", ... -> Role; nullopt for anything else.
std::optional<Role> RoleFromName(absl::string_view name);
const char* RoleName(Role role);

struct Principal {
  // Who: a handler id, a dispatcher's id, a gateway's name. The actor of every write.
  std::string subject;
  // The caller's unit: its subtree is what it may see and act on.
  std::string unit_code;
  std::set<Role> roles;
  // Channels (dispatch.v1.Channel numbers) a gateway may submit for and follow.
  std::set<int> channels;
  // "token" or "certificate".
  std::string authenticated_by;

  bool Has(Role role) const { return roles.count(role) > 0; }
};

// An admitted call: who, and which RPC ("IntakeService.SubmitComplaint").
struct Caller {
  Principal principal;
  std::string method;
};

}  // namespace dispatch::auth

#endif  // DISPATCH_COMMON_AUTH_PRINCIPAL_H_
