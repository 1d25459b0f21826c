#include "services/routing/case_actions.h"

#include "absl/strings/ascii.h"
#include "common/proto_time.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "services/auth/access_policy.h"
#include "services/routing/roster.h"

namespace dispatch::routing {
namespace {

// The statuses in which the lead handles the case. Under sign-for an ASSIGNED ticket is not
// taken yet: FAILED_PRECONDITION until its assignee signs for it.
const std::vector<v1::TicketStatus> kHandling = {
    v1::TICKET_STATUS_ASSIGNED, v1::TICKET_STATUS_SIGNED_FOR, v1::TICKET_STATUS_CONTACTED};

absl::Status RequireTaken(const v1::Ticket& ticket, absl::string_view action) {
  if (ticket.status() == v1::TICKET_STATUS_ASSIGNED &&
      ticket.assign_met_by() == v1::ASSIGN_MET_BY_SIGN_FOR) {
    return absl::FailedPreconditionError(absl::StrCat(
        action, ": the assignee ", ticket.assignee().id(),
        " has not signed for the ticket yet (SignForTicket)"));
  }
  return absl::OkStatus();
}

v1::ShareRef RefOf(const v1::Handling& h) {
  v1::ShareRef ref;
  ref.set_unit_code(h.unit_code());
  ref.set_department(h.department());
  return ref;
}

}  // namespace

void CaseActions::Contact(const v1::RecordContactRequest& req, const auth::Caller& caller,
                          rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  for (absl::Status s : {CheckText(req.preliminary_result(), "preliminary_result", 2000, true),
                         CheckText(req.property_company(), "property_company", 100, false),
                         CheckText(req.contact_person(), "contact_person", 100, false),
                         CheckReportedTime(req.contacted_at(), "contacted_at", now)}) {
    if (!s.ok()) return done(s);
  }
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get()),
      [req, now](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        if (absl::Status s = RequireTaken(ticket, "RecordContact"); !s.ok()) return s;
        Transition t;
        t.action = "RecordContact";
        t.now = now;
        t.allowed_statuses = kHandling;
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

void CaseActions::Resolve(const v1::ResolveTicketRequest& req, const auth::Caller& caller,
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
  if (absl::Status s = CheckText(req.override_reason(), "override_reason", 500,
                                 /*required=*/req.override_open_shares());
      !s.ok()) {
    return done(s);
  }
  if (!v1::Substantiation_IsValid(req.substantiation())) {
    return done(absl::InvalidArgumentError("substantiation: not a known Substantiation"));
  }
  if (req.refused_to_rectify() && req.substantiation() != v1::SUBSTANTIATION_SUBSTANTIATED &&
      req.substantiation() != v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED) {
    return done(absl::InvalidArgumentError(
        "refused_to_rectify: only for a complaint found substantiated (SUBSTANTIATION_SUBSTANTIATED "
        "or SUBSTANTIATION_PARTLY_SUBSTANTIATED)"));
  }
  const SlaPolicy* policy = policy_;
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get()),
      [req, now, policy](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        if (absl::Status s = RequireTaken(ticket, "ResolveTicket"); !s.ok()) return s;
        const std::string& company = !ticket.property_company_code().empty()
                                         ? ticket.property_company_code()
                                         : ticket.complaint().property_company();
        if (!company.empty() && req.substantiation() == v1::SUBSTANTIATION_UNSPECIFIED) {
          return absl::InvalidArgumentError(absl::StrCat(
              "substantiation: required for a complaint about a property company (\"", company,
              "\"): whether it proved true counts in the company's credit"));
        }
        // 首接负责: the lead resolves once every assisting share is done, or says why not.
        std::vector<v1::ShareRef> open_shares;
        for (const v1::Handling& h : ticket.handlings()) {
          if (h.role() == v1::HANDLING_ROLE_ASSIST && h.state() != v1::SHARE_STATE_DONE) {
            open_shares.push_back(RefOf(h));
          }
        }
        if (!open_shares.empty() && !req.override_open_shares()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "ResolveTicket: the assisting share of unit ", open_shares[0].unit_code(), " (",
              v1::Department_Name(open_shares[0].department()),
              ") is not done; resolve with override_open_shares and an override_reason to "
              "close the case without it"));
        }
        Transition t;
        t.action = "ResolveTicket";
        t.now = now;
        t.allowed_statuses = kHandling;
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
        r->set_substantiation(req.substantiation());
        r->set_refused_to_rectify(req.refused_to_rectify());
        if (!open_shares.empty()) {
          for (v1::ShareRef& ref : open_shares) *r->add_overridden_shares() = std::move(ref);
          r->set_override_reason(req.override_reason());
        }
        t.events.emplace_back("resolved", std::move(e));
        return t;
      },
      std::move(done));
}

void CaseActions::RecordAssist(const v1::RecordAssistResultRequest& req,
                               const auth::Caller& caller,
                               rpc::Reply<v1::TicketActionResponse> done) {
  if (req.share().unit_code().empty() || req.share().department() == v1::DEPARTMENT_UNSPECIFIED) {
    return done(absl::InvalidArgumentError(
        "share: required, the assisting share's unit_code and department"));
  }
  if (absl::Status s = CheckText(req.result(), "result", 2000, /*required=*/true); !s.ok()) {
    return done(s);
  }
  absl::Time now = writer_.Now();
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get(), &req.share()),
      [req, now, who = caller.principal.subject](const v1::Ticket& ticket)
          -> absl::StatusOr<Transition> {
        int i = ticket_record::FindShare(ticket, req.share().unit_code(), req.share().department());
        if (i < 0) {
          return absl::NotFoundError(absl::StrCat(
              "share: the ticket has no assisting share of unit ", req.share().unit_code(), " (",
              v1::Department_Name(req.share().department()), ")"));
        }
        const v1::Handling& share = ticket.handlings(i);
        if (share.state() != v1::SHARE_STATE_SIGNED_FOR) {
          return absl::FailedPreconditionError(absl::StrCat(
              "RecordAssistResult: the share is ", v1::ShareState_Name(share.state()),
              share.state() == v1::SHARE_STATE_ASSIGNED ? "; its handler signs for it first"
                                                         : ", not SHARE_STATE_SIGNED_FOR"));
        }
        if (share.assignee().id() != who) {
          return absl::FailedPreconditionError(
              absl::StrCat("RecordAssistResult: the share is assigned to ",
                           share.assignee().id(), "; only they record its part"));
        }
        Transition t;
        t.action = "RecordAssistResult";
        t.now = now;
        t.allowed_statuses = {v1::TICKET_STATUS_ROUTED, v1::TICKET_STATUS_ASSIGNED,
                              v1::TICKET_STATUS_SIGNED_FOR, v1::TICKET_STATUS_CONTACTED,
                              v1::TICKET_STATUS_RETURNED};
        t.set.push_back(ticket_record::ShareField(i, v1::SHARE_STATE_DONE,
                                                  FromProto(share.signed_for_at()), now,
                                                  share.assignee().id()));
        v1::TicketEvent e;
        *e.mutable_assist_completed()->mutable_share() = req.share();
        e.mutable_assist_completed()->set_result(req.result());
        t.events.emplace_back("assist_completed", std::move(e));
        return t;
      },
      std::move(done));
}

void CaseActions::SetCompany(const v1::SetPropertyCompanyRequest& req, const auth::Caller& caller,
                             rpc::Reply<v1::TicketActionResponse> done) {
  if (absl::Status s = CheckText(req.reason(), "reason", 500, true); !s.ok()) return done(s);
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  // Codes are upper case (GB 32100-2015); a handler typing it in lower case means the same.
  const std::string code = absl::AsciiStrToUpper(req.credit_code().substr(0, 40));
  if (!code.empty() && org->model.FindCompany(code) == nullptr) {
    return done(absl::InvalidArgumentError(absl::StrCat(
        "credit_code: \"", code,
        "\" is not a property company of organisation ", org->model.version(),
        " (RoutingService.GetOrganisation lists them)")));
  }
  const absl::Time now = writer_.Now();
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org),
      [code, reason = req.reason(), now](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        if (ticket.property_company_code() == code) {
          return absl::FailedPreconditionError(
              absl::StrCat("SetPropertyCompany: the ticket is already about ",
                           code.empty() ? "no property company" : code));
        }
        Transition t;
        t.action = "SetPropertyCompany";
        t.now = now;
        // Any status: a wrong company may be found at a revisit or an audit of a closed case.
        for (int s = v1::TicketStatus_MIN; s <= v1::TicketStatus_MAX; ++s) {
          if (v1::TicketStatus_IsValid(s) && s != v1::TICKET_STATUS_UNSPECIFIED) {
            t.allowed_statuses.push_back(static_cast<v1::TicketStatus>(s));
          }
        }
        if (code.empty()) {
          t.remove.push_back("co");
        } else {
          t.set = {{"co", code}};
        }
        v1::TicketEvent e;
        e.set_reason(reason);
        e.mutable_company_corrected()->set_from_code(ticket.property_company_code());
        e.mutable_company_corrected()->set_to_code(code);
        t.events.emplace_back("company_corrected", std::move(e));
        return t;
      },
      std::move(done));
}

}  // namespace dispatch::routing
