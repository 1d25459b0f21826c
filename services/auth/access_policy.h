// The access policy: who may call which RPC, and on which tickets. The rules themselves are
// one table, in access_policy.cc (Policy()); nothing else in the service decides access.
// Deny unless a rule allows.
//
// A rule names an RPC and the grants that allow it: a role and the scope it has. Two checks
// use the table:
//   at the door (Gatekeeper, every RPC): the caller is authenticated (common/auth/
//     authenticator.h) and holds a role some grant of the RPC names; else PERMISSION_DENIED
//     naming the roles the rule allows;
//   at the ticket (the services call these once they have read it): some grant the caller
//     holds has the ticket in scope. A read outside every scope is NOT_FOUND, as if the ticket
//     did not exist (no enumeration of other counties' tickets); a write is PERMISSION_DENIED
//     naming the rule.
// Scopes judge the ticket by its lead unit's path as stored (Ticket.responsible_jurisdiction),
// its assisting shares' units and, before it is routed, its location, all against the caller's
// unit in the organisation's tree.
// Thread-safe; the table is a constant.
#ifndef DISPATCH_SERVICES_AUTH_ACCESS_POLICY_H_
#define DISPATCH_SERVICES_AUTH_ACCESS_POLICY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/authenticator.h"
#include "common/auth/principal.h"
#include "common/rpc/unary.h"
#include "dispatch/v1/types.pb.h"
#include "services/org/org_holder.h"

namespace dispatch::access {

using auth::Caller;
using auth::Role;

enum class Scope {
  // The complaint came in on one of the caller's channels (gateways).
  kOwnChannels,
  // The ticket lies in the caller's subtree: its lead unit, one of its assisting units, or,
  // before routing, the community or county its location names.
  kSubtree,
  // The ticket's lead unit is the caller's unit; for an action on an assisting share, the
  // share's unit is.
  kOwnUnit,
  // The ticket's lead unit lies strictly below the caller's unit (the tiers that supervise it).
  kBelow,
  // No ticket is involved (the organisation, diagnostics).
  kAnything,
};

struct Grant {
  Role role;
  Scope scope;
};

struct Rule {
  const char* method;  // "IntakeService.SubmitComplaint"
  std::vector<Grant> grants;
};

// The table: every RPC the service serves, with its grants.
const std::vector<Rule>& Policy();
// The rule of `method`, or null (no rule: nobody may call it).
const Rule* RuleFor(absl::string_view method);
// "handler (own unit), dispatcher (subtree)": a rule in words, for error messages.
std::string Describe(const Rule& rule);

// What a check looks at: the ticket, and for an action on an assisting share, that share.
struct Target {
  const v1::Ticket* ticket = nullptr;
  const v1::ShareRef* share = nullptr;
};

// Whether a ticket not routed yet, at `location`, lies in `root`'s subtree: the community or
// county the location resolves to is in it, or `root` is the city.
bool LocationIn(const v1::Location& location, const std::string& root, const org::OrgModel& org);

// Whether `p` with `scope` reaches `target` under `org`.
bool InScope(const auth::Principal& p, Scope scope, const Target& target,
             const org::OrgModel& org);

// The checks services make once they have the ticket.
absl::Status CheckRead(const Caller& caller, const v1::Ticket& ticket, const org::OrgModel& org);
absl::Status CheckWrite(const Caller& caller, const Target& target, const org::OrgModel& org);
// A new complaint: the gateway's channel.
absl::Status CheckSubmit(const Caller& caller, v1::Channel channel);
// The unit subtree a list or watch may cover: `requested`, or the caller's unit when empty.
// A unit the organisation does not have, or outside the caller's subtree, is NOT_FOUND
// (without saying which). A caller without a unit (a system) gets everything when empty.
absl::StatusOr<std::string> UnitFilter(const Caller& caller, const std::string& requested,
                                       const org::OrgModel& org);
// The check a TicketWriter makes of a write (CheckWrite of the ticket it reads, or of its
// assisting share `share` when given), under the organisation `org`.
std::function<absl::Status(const v1::Ticket&)> WriteCheck(
    const Caller& caller, std::shared_ptr<const org::OrgSnapshot> org,
    const v1::ShareRef* share = nullptr);
// Whether the caller holds one of `roles`'s grants of its RPC with the ticket in scope (for
// actions that differ by role: a dispatcher assigns anyone, a handler only itself).
bool HasGrant(const Caller& caller, Role role, const Target& target, const org::OrgModel& org);

// The door: authenticates every call and admits it if a rule's role matches.
class Gatekeeper : public rpc::Gate {
 public:
  explicit Gatekeeper(std::unique_ptr<auth::Authenticator> authenticator)
      : authenticator_(std::move(authenticator)) {}


 protected:
  absl::StatusOr<std::shared_ptr<const Caller>> Check(const rpc::Credentials& credentials,
                                                      const char* method) const override;

 private:
  std::unique_ptr<auth::Authenticator> authenticator_;
};

}  // namespace dispatch::access

#endif  // DISPATCH_SERVICES_AUTH_ACCESS_POLICY_H_
