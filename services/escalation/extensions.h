// Extensions (延期): a handler asks for more time on a clock, with a reason; the supervising tier
// approves or rejects. Nothing pauses silently: the clock keeps running until an approval moves
// its deadline, and request and decision are both events in the ticket's history.
//
//   RequestExtension  on an open ticket (not RESOLVED or CLOSED: FAILED_PRECONDITION), for an
//                     open clock (assign, preliminary or resolve; RESOLVE when unspecified),
//                     to a deadline later than the current one, before the current one has
//                     passed; at most one pending per ticket (FAILED_PRECONDITION otherwise).
//                     The extension id is "<ticket>:x<version>".
//   DecideExtension   names the pending extension (FAILED_PRECONDITION when it is not the
//                     pending one, or its clock was met meanwhile). Approval moves the clock's
//                     deadline and re-arms its timer. If the old deadline passed while the
//                     request waited, its breach stays recorded (history, breach log, any
//                     escalation) and the clock is watched again: the new deadline can breach
//                     too. Until the timer engine has recorded that breach (moments after the
//                     deadline), an approval is FAILED_PRECONDITION, so no breach is lost.
//                     Rejection needs a reason. Resolving or reopening drops a pending one.
// Writes go through common/ticket_writer.h (expected version, idempotent request ids).
// Thread-safe; answers asynchronously.
#ifndef DISPATCH_SERVICES_ESCALATION_EXTENSIONS_H_
#define DISPATCH_SERVICES_ESCALATION_EXTENSIONS_H_

#include "common/rpc/unary.h"
#include "common/ticket_writer.h"
#include "dispatch/v1/escalation.pb.h"
#include "services/org/org_holder.h"

namespace dispatch::escalation {

class Extensions {
 public:
  // All must outlive this object.
  Extensions(redis::Client* redis, Clock* clock, const org::OrgHolder* org)
      : writer_(redis, clock), org_(org) {}

  // For the authenticated `caller`, checked against the access policy; a caller may not decide
  // an extension it requested (PERMISSION_DENIED).
  void Request(const v1::RequestExtensionRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::TicketActionResponse> done);
  void Decide(const v1::DecideExtensionRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::TicketActionResponse> done);

 private:
  TicketWriter writer_;
  const org::OrgHolder* const org_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_EXTENSIONS_H_
