#include "services/escalation/revisits.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "services/auth/access_policy.h"

namespace dispatch::escalation {
namespace {

absl::Duration SupervisionAt(const TimerEngine::Options& o, v1::Tier tier) {
  switch (tier) {
    case v1::TIER_TOWNSHIP: return o.township_supervision;
    case v1::TIER_COUNTY: return o.county_supervision;
    default: return o.city_supervision;
  }
}

}  // namespace

void Revisits::Record(const v1::RecordRevisitRequest& req, const auth::Caller& caller,
                      rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  if (req.tier() == v1::TIER_UNSPECIFIED || !v1::Tier_IsValid(req.tier())) {
    return done(absl::InvalidArgumentError("tier: required, the Tier making the revisit"));
  }
  // The revisit ledger (回访台账) records who called (DOMAIN.md section 4): the caller.
  if (req.reached() && (req.satisfaction() == v1::SATISFACTION_UNSPECIFIED ||
                        !v1::Satisfaction_IsValid(req.satisfaction()))) {
    return done(absl::InvalidArgumentError(
        "satisfaction: required when the complainant was reached"));
  }
  if (!v1::RevisitMethod_IsValid(req.method())) {
    return done(absl::InvalidArgumentError("method: unknown RevisitMethod"));
  }
  // Without the complainant, a false closure is a finding on the spot: only a site check
  // makes it (a leftover flag on an unanswered call must not reopen the case).
  if (!req.reached() && req.false_closure() && req.method() != v1::REVISIT_METHOD_SITE_CHECK) {
    return done(absl::InvalidArgumentError(
        "false_closure: when the complainant was not reached, only a site check "
        "(method REVISIT_METHOD_SITE_CHECK) can find a false closure"));
  }
  if (absl::Status s = CheckText(req.notes(), "notes", 2000, /*required=*/false); !s.ok()) {
    return done(s);
  }
  if (absl::Status s = CheckReportedTime(req.revisited_at(), "revisited_at", now); !s.ok()) {
    return done(s);
  }
  const SlaPolicy* policy = policy_;
  TimerEngine::Options chain = chain_;
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get()),
      [req, now, policy, chain](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        const bool resolved = ticket.status() == v1::TICKET_STATUS_RESOLVED;
        const int attempt = ticket.revisit_attempts() + 1;
        Transition t;
        t.action = "RecordRevisit";
        t.now = now;
        t.allowed_statuses = {v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_CLOSED};

        v1::TicketEvent revisit;
        v1::RevisitRecorded* r = revisit.mutable_revisited();
        r->set_tier(req.tier());
        r->set_reached(req.reached());
        if (req.reached()) {
          r->set_solved(req.solved());
          r->set_satisfaction(req.satisfaction());
        }
        // A false closure (虚假办结) is a finding about the handling, not the complainant's
        // word: a site check makes it without reaching anyone.
        r->set_false_closure(req.false_closure());
        r->set_unit_code(ticket.responsible_unit_code());
        r->set_method(req.method());
        r->set_notes(req.notes());
        r->set_attempt(attempt);
        *r->mutable_revisited_at() = req.has_revisited_at() ? req.revisited_at() : ToProto(now);
        revisit.set_reason(req.notes());
        t.events.emplace_back("revisited", std::move(revisit));

        // Closing or reopening ends the revisit clock and any supervision of the old handling
        // (a missed revisit escalates like any clock).
        auto meet_open = [&](v1::ClockKind kind) {
          ticket_record::AppendMetIfOpen(ticket, kind, now, &t.set);
        };
        auto close = [&](v1::ClosureReason why) {
          t.set.emplace_back("st", std::to_string(v1::TICKET_STATUS_CLOSED));
          meet_open(v1::CLOCK_KIND_REVISIT);
          meet_open(v1::CLOCK_KIND_SUPERVISION);
          v1::TicketEvent closed;
          closed.mutable_closed()->set_reason(why);
          t.events.emplace_back("closed", std::move(closed));
        };

        if (!req.reached() && !req.false_closure()) {
          t.set.emplace_back("rvn", std::to_string(attempt));
          if (resolved && attempt >= policy->revisit_attempts()) {
            close(v1::CLOSURE_REASON_UNREACHABLE);
          }
          return t;
        }
        const bool unhappy =
            req.false_closure() || req.satisfaction() == v1::SATISFACTION_DISSATISFIED;
        if (!unhappy) {
          if (resolved) close(v1::CLOSURE_REASON_SATISFIED);
          return t;
        }

        // 重新办理: the same lead unit handles it again, with the clocks of a new round under
        // the policy in force now.
        // A reopen restarts the clocks, dropping their met times. One met late whose breach the
        // timer engine has not recorded yet (it does so moments after the late meeting) would
        // lose that breach: wait for it.
        for (const v1::SlaClock& c : ticket.clocks()) {
          if (c.has_met_at() && ticket_record::IsLate(c, now) && !c.breached()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "RecordRevisit: the ", v1::ClockKind_Name(c.kind()),
                " clock was met late and its breach is not recorded yet; retry in a few "
                "seconds"));
          }
        }
        const int redo = ticket.redo_count() + 1;
        const v1::SlaClock* resolve = ticket_record::FindClock(ticket, v1::CLOCK_KIND_RESOLVE);
        const int round = (resolve != nullptr ? resolve->round() : 1) + 1;
        meet_open(v1::CLOCK_KIND_REVISIT);
        t.set.emplace_back("st", std::to_string(v1::TICKET_STATUS_ROUTED));
        t.set.emplace_back("redo", std::to_string(redo));
        t.set.emplace_back("pol", policy->version());
        t.set.emplace_back("wp", absl::StrJoin(policy->warn_percents(), ","));
        // Unassigned, and the assisting shares open again: the case is handled anew.
        t.remove = {"asg", "asgu", "rvn", "ext", "sfd"};
        for (int i = 1; i < ticket.handlings_size(); ++i) t.remove.push_back(absl::StrCat("s", i));
        v1::TicketEvent reopened;
        reopened.set_reason(req.false_closure() ? "false closure found at revisit"
                                                : "complainant dissatisfied at revisit");
        v1::TicketReopened* o = reopened.mutable_reopened();
        o->set_redo_count(redo);
        for (v1::SlaClock& c : policy->ClocksFor(ticket.complaint().category(), ticket.priority(),
                                                 now, round)) {
          ticket_record::AppendRestartedClock(c, FromProto(ticket.accepted_at()), &t.remove,
                                              &t.set);
          *o->add_clocks() = std::move(c);
        }
        // From the second reopen on the ticket is supervised one tier up (raised once, at the
        // second reopen), with a supervision clock restarted at every reopen.
        v1::Tier tier = ticket.supervision_tier();
        if (redo == 2 && tier != v1::TIER_UNSPECIFIED && tier < chain.top_tier) {
          tier = static_cast<v1::Tier>(tier + 1);
          t.set.emplace_back("tier", std::to_string(tier));
          t.set.emplace_back("rtier", std::to_string(tier));
        }
        if (redo >= 2 && tier != v1::TIER_UNSPECIFIED) {
          const v1::SlaClock* previous = ticket_record::FindClock(ticket, v1::CLOCK_KIND_SUPERVISION);
          v1::SlaClock supervision =
              policy->Clock(v1::CLOCK_KIND_SUPERVISION, SupervisionAt(chain, tier), now,
                            (previous != nullptr ? previous->round() : 0) + 1);
          ticket_record::AppendRestartedClock(supervision, FromProto(ticket.accepted_at()),
                                              &t.remove, &t.set);
          *o->add_clocks() = std::move(supervision);
        } else {
          meet_open(v1::CLOCK_KIND_SUPERVISION);
        }
        o->set_supervision_tier(tier);
        t.events.emplace_back("reopened", std::move(reopened));
        return t;
      },
      std::move(done));
}

}  // namespace dispatch::escalation
