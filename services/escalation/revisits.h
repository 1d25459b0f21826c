// Revisits (回访) and reopening (重新办理), DOMAIN.md section 4: the revisit ledger is the ticket's
// `revisited` events (tier, caller, time, reached, solved, satisfaction, false closure, notes,
// attempt). RecordRevisit on a RESOLVED or CLOSED ticket (else FAILED_PRECONDITION):
//
//   not reached        counts an attempt; at SlaPolicy::revisit_attempts() unanswered calls a
//                      RESOLVED ticket closes as unreachable;
//   satisfied / basically satisfied, no false closure
//                      closes a RESOLVED ticket (a CLOSED one just gets the record);
//   dissatisfied, or a false closure found (虚假办结; also when the complainant was not reached,
//   if a site check found it: REVISIT_METHOD_SITE_CHECK, else INVALID_ARGUMENT)
//                      reopens the ticket: back to ROUTED at the same lead unit, unassigned
//                      (assisting shares open again),
//                      fresh assign/preliminary/resolve clocks of the next round starting now,
//                      redo count + 1; from the second reopen on, supervised one tier up with a
//                      supervision clock (the escalation chain's supervision times).
// Meets the revisit clock whenever the ticket closes or reopens. Each record names the lead
// unit whose handling was revisited, so the ledger can be listed by unit and month (ledgers.h).
// Writes go through
// common/ticket_writer.h. Thread-safe.
#ifndef DISPATCH_SERVICES_ESCALATION_REVISITS_H_
#define DISPATCH_SERVICES_ESCALATION_REVISITS_H_

#include "common/rpc/unary.h"
#include "common/ticket_writer.h"
#include "dispatch/v1/escalation.pb.h"
#include "services/escalation/sla_policy.h"
#include "services/escalation/timer_engine.h"
#include "services/org/org_holder.h"

namespace dispatch::escalation {

class Revisits {
 public:
  // Everything passed must outlive this object; `chain` gives the top tier and the supervision
  // time at each tier.
  Revisits(redis::Client* redis, Clock* clock, const SlaPolicy* policy, TimerEngine::Options chain,
           const org::OrgHolder* org)
      : writer_(redis, clock), policy_(policy), chain_(std::move(chain)), org_(org) {}

  // For the authenticated `caller` (who made the call or visit), checked against the access
  // policy.
  void Record(const v1::RecordRevisitRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::TicketActionResponse> done);

 private:
  TicketWriter writer_;
  const SlaPolicy* const policy_;
  const TimerEngine::Options chain_;
  const org::OrgHolder* const org_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_REVISITS_H_
