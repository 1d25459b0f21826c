// RoutingActions: what dispatchers and handlers do to a ticket's routing — the logic behind
// RoutingService.RouteTicket, AssignTicket, SignForTicket and ReturnTicket.
//
//   RouteTicket    a dispatcher (re)routes an ACCEPTED, ROUTED or RETURNED ticket to a unit and
//                  department; unknown unit → NOT_FOUND, a unit without that department →
//                  FAILED_PRECONDITION. The assisting shares are replaced by the route's.
//   AssignTicket   names the handler of the lead share, or of an assisting share (`share`); an
//                  empty handler_id picks the on-duty one holding the fewest open tickets.
//                  Unknown handler or share → NOT_FOUND; a handler of another unit or
//                  department, or off duty (unless they have no shifts at all: manual-only
//                  handlers) → FAILED_PRECONDITION. What the lead's assignment meets depends on
//                  the ticket's AssignMetBy (roster.h, AppendAssignmentEffect): under sign-for
//                  the assignee must sign within the policy's sign-for time, unless they named
//                  themself (taking the ticket is signing for it).
//   SignForTicket  the assignee signs for the lead share (ASSIGNED → SIGNED_FOR, meets the
//                  assign clock) or for an assisting share; someone else → FAILED_PRECONDITION
//                  naming the assignee.
//   ReturnTicket   the lead unit returns the ticket as outside its remit (退单): it goes to the
//                  county dispatch desk for rerouting, the return is counted against the unit.
// No action stops, pauses or resets a clock. Every write goes through common/ticket_writer.h
// (expected version, idempotent request id).
// Thread-safe; replies are asynchronous.
#ifndef DISPATCH_SERVICES_ROUTING_ROUTING_ACTIONS_H_
#define DISPATCH_SERVICES_ROUTING_ROUTING_ACTIONS_H_

#include <memory>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "common/ticket_transition.h"
#include "common/ticket_writer.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/routing.pb.h"
#include "services/escalation/sla_policy.h"
#include "services/org/org_holder.h"
#include "services/routing/roster.h"

namespace dispatch::routing {

using org::OrgHolder;
using org::OrgSnapshot;

class RoutingActions {
 public:
  // Everything passed must outlive this object; `policy` gives the sign-for times.
  RoutingActions(redis::Client* redis, Clock* clock, OrgHolder* org, absl::TimeZone zone,
                 const SlaPolicy* policy);

  // Every write acts for the authenticated `caller` and is checked against the access policy
  // once the ticket is read (services/auth/access_policy.h).
  void Route(const v1::RouteTicketRequest& request, const auth::Caller& caller,
             rpc::Reply<v1::TicketActionResponse> done);
  // Without a handler_id: the least loaded handler of the share's unit and department on duty.
  // A handler (not the ticket's dispatcher) may only name itself.
  void Assign(const v1::AssignTicketRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::TicketActionResponse> done);
  void SignFor(const v1::SignForTicketRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::TicketActionResponse> done);
  void Return(const v1::ReturnTicketRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::TicketActionResponse> done);
  void GetOrganisation(rpc::Reply<v1::GetOrganisationResponse> done);
  void UpdateOrganisation(const v1::UpdateOrganisationRequest& request,
                          rpc::Reply<v1::GetOrganisationResponse> done);

 private:
  void WriteAssignment(const v1::AssignTicketRequest& req, const auth::Caller& caller,
                       std::shared_ptr<const OrgSnapshot> org, const config::v1::Handler* named,
                       std::shared_ptr<const HandlerLoads> loads,
                       rpc::Reply<v1::TicketActionResponse> done);

  redis::Client* const redis_;
  TicketWriter writer_;
  OrgHolder* const org_;
  const absl::TimeZone zone_;
  const SlaPolicy* const policy_;
};

}  // namespace dispatch::routing

#endif  // DISPATCH_SERVICES_ROUTING_ROUTING_ACTIONS_H_
