#include "services/routing/routing_actions.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "services/routing/roster.h"
#include "services/auth/access_policy.h"
#include "services/routing/router.h"

namespace dispatch::routing {
namespace {

v1::Department LeadDepartment(const v1::Ticket& t) {
  for (const auto& h : t.handlings()) {
    if (h.role() == v1::HANDLING_ROLE_LEAD) return h.department();
  }
  return v1::DEPARTMENT_UNSPECIFIED;
}

// The fields of every assisting share's state (`s<i>`), which a change that replaces the
// handlings drops.
void RemoveShareStates(const v1::Ticket& ticket, Transition* t) {
  for (int i = 1; i < ticket.handlings_size(); ++i) t->remove.push_back(absl::StrCat("s", i));
}

// The ticket's assisting share `share`, or NOT_FOUND naming it.
absl::StatusOr<int> ShareIndex(const v1::Ticket& ticket, const v1::ShareRef& share) {
  int i = ticket_record::FindShare(ticket, share.unit_code(), share.department());
  if (i < 0) {
    return absl::NotFoundError(absl::StrCat("share: the ticket has no assisting share of unit ",
                                            share.unit_code(), " (",
                                            v1::Department_Name(share.department()), ")"));
  }
  return i;
}

// Statuses in which assisting shares are worked.
const std::vector<v1::TicketStatus>& ShareStatuses() {
  static const auto* const open = new std::vector<v1::TicketStatus>{
      v1::TICKET_STATUS_ROUTED, v1::TICKET_STATUS_ASSIGNED, v1::TICKET_STATUS_SIGNED_FOR,
      v1::TICKET_STATUS_CONTACTED, v1::TICKET_STATUS_RETURNED};
  return *open;
}

}  // namespace

RoutingActions::RoutingActions(redis::Client* redis, Clock* clock, OrgHolder* org,
                               absl::TimeZone zone, const SlaPolicy* policy)
    : redis_(redis), writer_(redis, clock), org_(org), zone_(zone), policy_(policy) {}

void RoutingActions::GetOrganisation(rpc::Reply<v1::GetOrganisationResponse> done) {
  v1::GetOrganisationResponse r;
  *r.mutable_organisation() = org_->Get()->config;
  done(std::move(r));
}

void RoutingActions::UpdateOrganisation(const v1::UpdateOrganisationRequest& req,
                                        rpc::Reply<v1::GetOrganisationResponse> done) {
  auto updated = org_->Update(req.organisation(), req.expected_version());
  if (!updated.ok()) return done(updated.status());
  v1::GetOrganisationResponse r;
  *r.mutable_organisation() = (*updated)->config;
  done(std::move(r));
}

void RoutingActions::Route(const v1::RouteTicketRequest& req, const auth::Caller& caller,
                           rpc::Reply<v1::TicketActionResponse> done) {
  std::shared_ptr<const OrgSnapshot> org = org_->Get();
  const OrgModel::Unit* unit = org->model.FindUnit(req.unit_code());
  if (req.unit_code().empty()) return done(absl::InvalidArgumentError("unit_code: required"));
  if (unit == nullptr) {
    return done(absl::NotFoundError(absl::StrCat("unit_code: no unit \"", req.unit_code(), "\"")));
  }
  if (req.department() == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(req.department())) {
    return done(absl::InvalidArgumentError("department: required, a known Department"));
  }
  if (!unit->departments.count(req.department())) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "department: unit ", req.unit_code(), " (", unit->name, ") has no ",
        v1::Department_Name(req.department()))));
  }
  // Each assisting department once, none the lead's: a share is named by unit and department.
  std::set<int> assisting;
  for (int d : req.assisting_departments()) {
    if (d == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(d) || d == req.department() ||
        !assisting.insert(d).second) {
      return done(absl::InvalidArgumentError(
          "assisting_departments: known departments other than the lead, each once"));
    }
  }
  google::protobuf::RepeatedPtrField<v1::Handling> handlings;
  *handlings.Add() = MakeHandling(req.unit_code(), req.department(), v1::HANDLING_ROLE_LEAD);
  for (int d : req.assisting_departments()) {
    std::optional<std::string> hosting;
    if (v1::Department_IsValid(d)) {
      hosting = org->model.UnitHosting(req.unit_code(), static_cast<v1::Department>(d));
    }
    if (!hosting) {
      return done(absl::FailedPreconditionError(absl::StrCat(
          "assisting_departments: no unit at or above ", req.unit_code(), " hosts department ", d)));
    }
    *handlings.Add() = MakeHandling(*hosting, static_cast<v1::Department>(d), v1::HANDLING_ROLE_ASSIST);
  }
  absl::Time now = writer_.Now();
  writer_.Write(req.write(), req, caller, access::WriteCheck(caller, org),
        [org, req, handlings, now](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
          Transition t;
          t.action = "RouteTicket";
          t.now = now;
          t.allowed_statuses = {v1::TICKET_STATUS_ACCEPTED, v1::TICKET_STATUS_ROUTED,
                                v1::TICKET_STATUS_RETURNED};
          t.set = {{"st", std::to_string(v1::TICKET_STATUS_ROUTED)},
                   {"hdl", ticket_record::EncodeHandlings(handlings)},
                   {"manual", "0"},
                   {"orgv", org->model.version()}};
          for (auto& f : org::LeadUnitFields(org->model, req.unit_code(), ticket.raised_tier())) {
            t.set.push_back(std::move(f));
          }
          // A route replaces every share (the assisting shares' states go) and ends a wait
          // for routing (`fb`).
          t.remove = {"asg", "asgu", "sfd", "fb"};
          RemoveShareStates(ticket, &t);
          ReleaseAssignee(ticket, &t);
          v1::TicketEvent e;
          v1::TicketRouted* r = e.mutable_routed();
          r->set_unit_code(req.unit_code());
          *r->mutable_handlings() = handlings;
          r->set_org_version(org->model.version());
          r->set_manual(true);
          t.events.emplace_back("routed", std::move(e));
          return t;
        },
        std::move(done));
}

void RoutingActions::Assign(const v1::AssignTicketRequest& req, const auth::Caller& caller,
                            rpc::Reply<v1::TicketActionResponse> done) {
  if (req.has_share() && (req.share().unit_code().empty() ||
                          req.share().department() == v1::DEPARTMENT_UNSPECIFIED)) {
    return done(absl::InvalidArgumentError(
        "share: give the assisting share's unit_code and department, or leave it unset for the "
        "lead share"));
  }
  std::shared_ptr<const OrgSnapshot> org = org_->Get();
  const config::v1::Handler* named = nullptr;
  if (!req.handler_id().empty()) {
    for (const auto& h : org->config.handlers()) {
      if (h.id() == req.handler_id()) named = &h;
    }
    if (named == nullptr) {
      return done(absl::NotFoundError(absl::StrCat("handler_id: no handler \"", req.handler_id(), "\"")));
    }
  }
  // Without a name: the least loaded handler on duty, by the loads read just before.
  if (named == nullptr) {
    return ReadHandlerLoads(
        redis_, [this, req, caller, org, done = std::move(done)](
                    absl::StatusOr<HandlerLoads> loads) mutable {
          if (!loads.ok()) return done(loads.status());
          WriteAssignment(req, caller, org, nullptr,
                          std::make_shared<const HandlerLoads>(*std::move(loads)),
                          std::move(done));
        });
  }
  WriteAssignment(req, caller, org, named, nullptr, std::move(done));
}

void RoutingActions::WriteAssignment(const v1::AssignTicketRequest& req,
                                     const auth::Caller& caller,
                                     std::shared_ptr<const OrgSnapshot> org,
                                     const config::v1::Handler* named,
                                     std::shared_ptr<const HandlerLoads> loads,
                                     rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  const SlaPolicy* policy = policy_;
  const v1::ShareRef* share_ref = req.has_share() ? &req.share() : nullptr;
  writer_.Write(req.write(), req, caller, access::WriteCheck(caller, org, share_ref),
        [this, req, caller, org, named, loads, now,
         policy](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
          // The share being assigned: the lead's (the ticket's unit and lead department), or an
          // assisting one.
          int share = 0;
          std::string unit = ticket.responsible_unit_code();
          v1::Department department = LeadDepartment(ticket);
          if (req.has_share()) {
            absl::StatusOr<int> i = ShareIndex(ticket, req.share());
            if (!i.ok()) return i.status();
            share = *i;
            unit = req.share().unit_code();
            department = req.share().department();
          }
          const config::v1::Handler* h = named;
          if (h == nullptr) {
            h = LeastLoaded(OnDutyHandlers(org->config, unit, department, now, zone_), *loads,
                            share == 0 ? ticket.assignee().id() : "");
            if (h == nullptr) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "handler_id: no handler of unit ", unit, " (", v1::Department_Name(department),
                  ") is on duty now; name one"));
            }
          } else if (h->unit_code() != unit || h->department() != department) {
            return absl::FailedPreconditionError(absl::StrCat(
                "handler_id: ", h->id(), " works for ", h->unit_code(), " (",
                v1::Department_Name(h->department()), "), but the ",
                share == 0 ? "ticket's lead" : "assisting share", " is ", unit, " (",
                v1::Department_Name(department), ")"));
          } else if (!ManualOnly(*h) && !OnDuty(*h, now, zone_)) {
            return absl::FailedPreconditionError(
                absl::StrCat("handler_id: ", h->id(), " is not on duty now"));
          }
          // A handler naming themself takes the ticket: that is signing for it. A handler who
          // is not this ticket's dispatcher may only do that.
          const bool self = caller.principal.subject == h->id();
          const access::Target target{&ticket, req.has_share() ? &req.share() : nullptr};
          if (!self && !access::HasGrant(caller, access::Role::kDispatcher, target, org->model)) {
            return absl::PermissionDeniedError(absl::StrCat(
                "RoutingService.AssignTicket: ", caller.principal.subject,
                " may take a ticket of its unit (name itself as handler_id), not assign ",
                h->id(), "; assigning others is a dispatcher's (subtree)"));
          }
          Transition t;
          t.action = "AssignTicket";
          t.now = now;
          if (share > 0) {
            if (ticket.handlings(share).state() == v1::SHARE_STATE_DONE) {
              return absl::FailedPreconditionError(
                  "AssignTicket: the assisting share's part is recorded already (done)");
            }
            t.allowed_statuses = ShareStatuses();
            AppendShareAssignment(share, req.share(), *h, /*automatic=*/false, self, now, &t);
            return t;
          }
          t.allowed_statuses = {v1::TICKET_STATUS_ROUTED, v1::TICKET_STATUS_ASSIGNED,
                                v1::TICKET_STATUS_SIGNED_FOR, v1::TICKET_STATUS_CONTACTED};
          AppendAssignment(*h, /*automatic=*/false, &t);
          const bool same = ticket.assignee().id() == h->id();
          if (ticket.status() == v1::TICKET_STATUS_CONTACTED ||
              (same && ticket.status() == v1::TICKET_STATUS_SIGNED_FOR)) {
            // A case in progress handed over stays CONTACTED; the handler who signed for the
            // ticket, named again, keeps it signed for.
            ticket_record::AppendMetIfOpen(ticket, v1::CLOCK_KIND_ASSIGN, now, &t.set);
          } else {
            AppendAssignmentEffect(
                ticket, *h, self, now,
                policy->TargetsFor(ticket.complaint().category(), ticket.priority()).sign_for,
                &t);
          }
          if (ticket.assignee().id() != h->id()) {
            t.counters.push_back({Transition::Counter::kHandlerLoad, h->id(), 1});
            ReleaseAssignee(ticket, &t);
          }
          return t;
        },
        std::move(done));
}

void RoutingActions::SignFor(const v1::SignForTicketRequest& req, const auth::Caller& caller,
                             rpc::Reply<v1::TicketActionResponse> done) {
  absl::Time now = writer_.Now();
  const v1::ShareRef* share_ref = req.has_share() ? &req.share() : nullptr;
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get(), share_ref),
      [req, now, who = caller.principal.subject,
       unit = caller.principal.unit_code](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        Transition t;
        t.action = "SignForTicket";
        t.now = now;
        v1::TicketEvent e;
        if (req.has_share()) {
          absl::StatusOr<int> i = ShareIndex(ticket, req.share());
          if (!i.ok()) return i.status();
          const v1::Handling& share = ticket.handlings(*i);
          if (share.state() != v1::SHARE_STATE_ASSIGNED) {
            return absl::FailedPreconditionError(absl::StrCat(
                "SignForTicket: the share is ", v1::ShareState_Name(share.state()),
                ", not SHARE_STATE_ASSIGNED"));
          }
          if (share.assignee().id() != who) {
            return absl::FailedPreconditionError(
                absl::StrCat("SignForTicket: the share is assigned to ", share.assignee().id(),
                             "; only they can sign for it"));
          }
          t.allowed_statuses = ShareStatuses();
          t.set.push_back(ticket_record::ShareField(*i, v1::SHARE_STATE_SIGNED_FOR, now,
                                                    absl::InfinitePast(), who));
          *e.mutable_assist_signed_for()->mutable_share() = req.share();
          e.mutable_assist_signed_for()->mutable_handler()->set_id(who);
          e.mutable_assist_signed_for()->mutable_handler()->set_unit_code(unit);
          t.events.emplace_back("assist_signed_for", std::move(e));
          return t;
        }
        if (ticket.status() != v1::TICKET_STATUS_ASSIGNED) {
          return NotAllowedInStatus("SignForTicket", ticket.status());
        }
        if (ticket.assignee().id() != who) {
          return absl::FailedPreconditionError(
              absl::StrCat("SignForTicket: the ticket is assigned to ", ticket.assignee().id(),
                           "; only they can sign for it"));
        }
        t.allowed_statuses = {v1::TICKET_STATUS_ASSIGNED};
        t.set = {{"st", std::to_string(v1::TICKET_STATUS_SIGNED_FOR)}};
        t.remove = {"sfd"};
        ticket_record::AppendMetIfOpen(ticket, v1::CLOCK_KIND_ASSIGN, now, &t.set);
        e.mutable_signed_for()->mutable_handler()->set_id(who);
        e.mutable_signed_for()->set_unit_code(ticket.assignee().unit_code());
        t.events.emplace_back("signed_for", std::move(e));
        return t;
      },
      std::move(done));
}

void RoutingActions::Return(const v1::ReturnTicketRequest& req, const auth::Caller& caller,
                            rpc::Reply<v1::TicketActionResponse> done) {
  if (absl::Status s = CheckText(req.reason(), "reason", 500, /*required=*/true); !s.ok()) {
    return done(s);
  }
  if (req.reason_code() == v1::RETURN_REASON_UNSPECIFIED ||
      !v1::ReturnReason_IsValid(req.reason_code())) {
    return done(absl::InvalidArgumentError("reason_code: required, a known ReturnReason"));
  }
  absl::Time now = writer_.Now();
  std::shared_ptr<const OrgSnapshot> org = org_->Get();
  writer_.Write(req.write(), req, caller, access::WriteCheck(caller, org),
        [org, req, now](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
          const std::string& unit = ticket.responsible_unit_code();
          v1::Department department = LeadDepartment(ticket);
          std::string desk = org->model.DeskOf(org->model.PathOf(unit).county_code());
          if (desk.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "the ticket's unit ", unit, " is not in organisation ", org->model.version()));
          }
          // The lead's share goes to the desk; the assisting departments keep theirs (the
          // return says the lead department is wrong, not that they are). A later route
          // replaces them all.
          google::protobuf::RepeatedPtrField<v1::Handling> at_desk;
          *at_desk.Add() = MakeHandling(desk, department, v1::HANDLING_ROLE_LEAD);
          for (const v1::Handling& h : ticket.handlings()) {
            if (h.role() == v1::HANDLING_ROLE_ASSIST) *at_desk.Add() = h;
          }
          Transition t;
          t.action = "ReturnTicket";
          t.now = now;
          t.allowed_statuses = {v1::TICKET_STATUS_ROUTED, v1::TICKET_STATUS_ASSIGNED,
                                v1::TICKET_STATUS_SIGNED_FOR};
          t.set = {{"st", std::to_string(v1::TICKET_STATUS_RETURNED)},
                   {"hdl", ticket_record::EncodeHandlings(at_desk)},
                   {"manual", "1"}};
          for (auto& f : org::LeadUnitFields(org->model, desk, ticket.raised_tier())) {
            t.set.push_back(std::move(f));
          }
          t.remove = {"asg", "asgu", "sfd"};
          t.increments = {{"ret", 1}};
          t.counters = {{Transition::Counter::kReturns, unit, 1}};
          ReleaseAssignee(ticket, &t);
          v1::TicketEvent e;
          e.set_reason(req.reason());
          v1::TicketReturned* r = e.mutable_returned();
          r->set_unit_code(unit);
          r->set_department(department);
          r->set_reason_code(req.reason_code());
          r->set_suggested_department(req.suggested_department());
          t.events.emplace_back("returned", std::move(e));
          return t;
        },
        std::move(done));
}

}  // namespace dispatch::routing
