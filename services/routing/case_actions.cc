#include "services/routing/case_actions.h"

#include "common/proto_time.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "services/routing/roster.h"

namespace dispatch::routing {

void CaseActions::Contact(const v1::RecordContactRequest& req,
                          rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  for (absl::Status s : {CheckText(req.preliminary_result(), "preliminary_result", 2000, true),
                         CheckText(req.property_company(), "property_company", 100, false),
                         CheckText(req.contact_person(), "contact_person", 100, false),
                         CheckReportedTime(req.contacted_at(), "contacted_at", now)}) {
    if (!s.ok()) return done(s);
  }
  writer_.Write(
      req.write(), req,
      [req, now](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        Transition t;
        t.action = "RecordContact";
        t.now = now;
        t.allowed_statuses = {v1::TICKET_STATUS_ASSIGNED, v1::TICKET_STATUS_CONTACTED};
        t.set = {{"st", std::to_string(v1::TICKET_STATUS_CONTACTED)}};
        ticket_record::AppendMetIfOpen(ticket, v1::CLOCK_KIND_PRELIMINARY, now, &t.set);
        v1::TicketEvent e;
        v1::PropertyCompanyContacted* c = e.mutable_contacted();
        c->set_preliminary_result(req.preliminary_result());
        *c->mutable_contacted_at() = req.has_contacted_at() ? req.contacted_at() : ToProto(now);
        c->set_property_company(req.property_company());
        c->set_contact_person(req.contact_person());
        t.events.emplace_back("contacted", std::move(e));
        return t;
      },
      std::move(done));
}

void CaseActions::Resolve(const v1::ResolveTicketRequest& req,
                          rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  for (absl::Status s : {CheckText(req.result(), "result", 2000, true),
                         CheckText(req.feedback_to_complainant(), "feedback_to_complainant", 2000,
                                   true),
                         CheckReportedTime(req.fed_back_at(), "fed_back_at", now)}) {
    if (!s.ok()) return done(s);
  }
  if (req.feedback_method() == v1::FEEDBACK_METHOD_UNSPECIFIED ||
      !v1::FeedbackMethod_IsValid(req.feedback_method())) {
    return done(absl::InvalidArgumentError("feedback_method: required, a known FeedbackMethod"));
  }
  const SlaPolicy* policy = policy_;
  writer_.Write(
      req.write(), req,
      [req, now, policy](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        Transition t;
        t.action = "ResolveTicket";
        t.now = now;
        t.allowed_statuses = {v1::TICKET_STATUS_ASSIGNED, v1::TICKET_STATUS_CONTACTED};
        t.set = {{"st", std::to_string(v1::TICKET_STATUS_RESOLVED)}};
        // Resolving meets every clock of the handling that is still open.
        for (v1::ClockKind k : {v1::CLOCK_KIND_PRELIMINARY, v1::CLOCK_KIND_RESOLVE,
                                v1::CLOCK_KIND_SUPERVISION}) {
          ticket_record::AppendMetIfOpen(ticket, k, now, &t.set);
        }
        // The revisit clock starts now (a fresh one after a reopen), in the resolve clock's round.
        const v1::SlaClock* resolve = ticket_record::FindClock(ticket, v1::CLOCK_KIND_RESOLVE);
        const int round = resolve != nullptr ? resolve->round() : 1;
        t.remove = {"rvn", "ext"};  // a pending extension ends with the handling
        ticket_record::AppendRestartedClock(
            policy->Clock(v1::CLOCK_KIND_REVISIT, policy->revisit(), now, round),
            FromProto(ticket.accepted_at()), &t.remove, &t.set);
        ReleaseAssignee(ticket, &t);
        v1::TicketEvent e;
        v1::TicketResolved* r = e.mutable_resolved();
        r->set_result(req.result());
        r->set_feedback_to_complainant(req.feedback_to_complainant());
        r->set_feedback_method(req.feedback_method());
        *r->mutable_fed_back_at() = req.has_fed_back_at() ? req.fed_back_at() : ToProto(now);
        t.events.emplace_back("resolved", std::move(e));
        return t;
      },
      std::move(done));
}

}  // namespace dispatch::routing
