#include "services/auth/access_policy.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ticket_record.h"

namespace dispatch::access {

// THE POLICY. Each RPC and who may call it, on what:
//   gateway     submits for its own channels; looks up, reads and watches its channels' tickets
//   handler     reads tickets in its unit's subtree; signs for, takes, contacts, resolves,
//               returns, records an assisting part of and asks extensions for its unit's tickets
//   dispatcher  reads, routes and assigns within its subtree (returned tickets included)
//   supervisor  reads its subtree, lists breaches and the revisit ledger, records revisits,
//               decides extensions of the tickets it supervises (never its own request),
//               ranks the units below it and reads property companies' records and the exit
//               candidates; handlers and dispatchers read their subtree's scorecards
//   admin       reads and changes the organisation; lists who saw personal data
//   pii         on top of another role: the complainant's full contact data, with a reason
//               (IntakeService checks it; every full view is logged)
// Deny unless a rule allows. A handler that assigns names itself (AssignTicket checks it).
const std::vector<Rule>& Policy() {
  using R = Role;
  using S = Scope;
  static const auto* const rules = new std::vector<Rule>{
      {"IntakeService.SubmitComplaint", {{R::kGateway, S::kOwnChannels}}},
      {"IntakeService.GetTicket",
       {{R::kGateway, S::kOwnChannels}, {R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree},
        {R::kSupervisor, S::kSubtree}}},
      {"IntakeService.LookupTicket",
       {{R::kGateway, S::kOwnChannels}, {R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree},
        {R::kSupervisor, S::kSubtree}}},
      {"IntakeService.GetTicketHistory",
       {{R::kGateway, S::kOwnChannels}, {R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree},
        {R::kSupervisor, S::kSubtree}}},
      {"IntakeService.ListTickets",
       {{R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree}, {R::kSupervisor, S::kSubtree}}},
      {"IntakeService.WatchTicketEvents",
       {{R::kGateway, S::kOwnChannels}, {R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree},
        {R::kSupervisor, S::kSubtree}}},
      {"IntakeService.ListPersonalDataAccess", {{R::kAdmin, S::kAnything}}},
      {"IntakeService.ErasePersonalData", {{R::kAdmin, S::kAnything}}},
      {"RoutingService.RouteTicket", {{R::kDispatcher, S::kSubtree}}},
      {"RoutingService.AssignTicket", {{R::kDispatcher, S::kSubtree}, {R::kHandler, S::kOwnUnit}}},
      {"RoutingService.SignForTicket", {{R::kHandler, S::kOwnUnit}}},
      {"RoutingService.RecordAssistResult", {{R::kHandler, S::kOwnUnit}}},
      {"RoutingService.ReturnTicket", {{R::kHandler, S::kOwnUnit}}},
      {"RoutingService.RecordContact", {{R::kHandler, S::kOwnUnit}}},
      {"RoutingService.ResolveTicket", {{R::kHandler, S::kOwnUnit}}},
      {"RoutingService.SetPropertyCompany",
       {{R::kHandler, S::kOwnUnit}, {R::kDispatcher, S::kSubtree}}},
      {"RoutingService.GetOrganisation",
       {{R::kDispatcher, S::kAnything}, {R::kSupervisor, S::kAnything}, {R::kAdmin, S::kAnything}}},
      {"RoutingService.UpdateOrganisation", {{R::kAdmin, S::kAnything}}},
      {"EscalationService.ListBreaches", {{R::kSupervisor, S::kSubtree}}},
      {"EscalationService.RequestExtension", {{R::kHandler, S::kOwnUnit}}},
      {"EscalationService.DecideExtension", {{R::kSupervisor, S::kBelow}}},
      {"EscalationService.RecordRevisit", {{R::kSupervisor, S::kSubtree}}},
      {"EscalationService.ListRevisits", {{R::kSupervisor, S::kSubtree}}},
      {"StatisticsService.GetScorecard",
       {{R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree}, {R::kSupervisor, S::kSubtree}}},
      {"StatisticsService.ListScorecardTickets",
       {{R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree}, {R::kSupervisor, S::kSubtree}}},
      {"StatisticsService.ListAdjustments",
       {{R::kHandler, S::kSubtree}, {R::kDispatcher, S::kSubtree}, {R::kSupervisor, S::kSubtree}}},
      {"StatisticsService.ListRankings", {{R::kSupervisor, S::kSubtree}}},
      {"StatisticsService.ExportMonth", {{R::kSupervisor, S::kSubtree}}},
      // A company's record and the exit trigger are company-wide; GetCompanyRecord lists only
      // the complaints in the caller's subtree.
      {"StatisticsService.GetCompanyRecord", {{R::kSupervisor, S::kAnything}}},
      {"StatisticsService.ListExitCandidates", {{R::kSupervisor, S::kAnything}}},
      {"StatisticsService.RecordCreditEvaluation", {{R::kAdmin, S::kAnything}}},
      {"StatisticsService.ListCompanyLists", {{R::kSupervisor, S::kAnything}}},
      {"DiagnosticsService.Echo",
       {{R::kGateway, S::kAnything}, {R::kHandler, S::kAnything}, {R::kDispatcher, S::kAnything},
        {R::kSupervisor, S::kAnything}, {R::kAdmin, S::kAnything}}},
  };
  return *rules;
}

namespace {

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kOwnChannels: return "own channels";
    case Scope::kSubtree: return "subtree";
    case Scope::kOwnUnit: return "own unit";
    case Scope::kBelow: return "below its unit";
    case Scope::kAnything: return "any";
  }
  return "";
}

// Whether `unit` is `root` or lies below it in the organisation's tree. (A ticket's lead unit
// is judged by the path stored with it instead: ticket_record::InSubtree.)
bool UnitIn(const std::string& unit, const std::string& root, const org::OrgModel& org) {
  return !unit.empty() && !root.empty() && org.InSubtree(unit, root);
}

bool TicketIn(const v1::Ticket& t, const std::string& root, const org::OrgModel& org) {
  if (root.empty()) return false;
  if (!t.responsible_unit_code().empty()) {
    if (ticket_record::InSubtree(t, root)) return true;
  } else {
    // Not routed yet: where its location leads.
    if (LocationIn(t.complaint().location(), root, org)) return true;
  }
  for (const v1::Handling& h : t.handlings()) {
    if (h.role() == v1::HANDLING_ROLE_ASSIST && UnitIn(h.unit_code(), root, org)) return true;
  }
  return false;
}

}  // namespace

bool LocationIn(const v1::Location& location, const std::string& root, const org::OrgModel& org) {
  if (root.empty()) return false;
  if (root == org.city_code()) return true;
  org::OrgModel::Resolution where = org.Resolve(location);
  return UnitIn(where.community_code, root, org) || UnitIn(where.county_code, root, org);
}

const Rule* RuleFor(absl::string_view method) {
  for (const Rule& r : Policy()) {
    if (method == r.method) return &r;
  }
  return nullptr;
}

std::string Describe(const Rule& rule) {
  std::vector<std::string> parts;
  for (const Grant& g : rule.grants) {
    parts.push_back(absl::StrCat(auth::RoleName(g.role), " (", ScopeName(g.scope), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

bool InScope(const auth::Principal& p, Scope scope, const Target& target,
             const org::OrgModel& org) {
  const v1::Ticket* t = target.ticket;
  switch (scope) {
    case Scope::kAnything:
      return true;
    case Scope::kOwnChannels:
      return t != nullptr && p.channels.count(t->complaint().channel()) > 0;
    case Scope::kSubtree:
      return t != nullptr && TicketIn(*t, p.unit_code, org);
    case Scope::kOwnUnit:
      if (t == nullptr || p.unit_code.empty()) return false;
      if (target.share != nullptr) return target.share->unit_code() == p.unit_code;
      return t->responsible_unit_code() == p.unit_code;
    case Scope::kBelow:
      return t != nullptr && !p.unit_code.empty() && t->responsible_unit_code() != p.unit_code &&
             TicketIn(*t, p.unit_code, org);
  }
  return false;
}

namespace {

bool Allowed(const Caller& caller, const Target& target, const org::OrgModel& org) {
  const Rule* rule = RuleFor(caller.method);
  if (rule == nullptr) return false;
  for (const Grant& g : rule->grants) {
    if (caller.principal.Has(g.role) && InScope(caller.principal, g.scope, target, org)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status CheckRead(const Caller& caller, const v1::Ticket& ticket, const org::OrgModel& org) {
  if (Allowed(caller, Target{&ticket, nullptr}, org)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("ticket_id: no ticket ", ticket.ticket_id()));
}

absl::Status CheckWrite(const Caller& caller, const Target& target, const org::OrgModel& org) {
  if (Allowed(caller, target, org)) return absl::OkStatus();
  const Rule* rule = RuleFor(caller.method);
  return absl::PermissionDeniedError(absl::StrCat(
      caller.method, ": ", caller.principal.subject, " (unit ", caller.principal.unit_code,
      ") may not act on this ticket; the rule allows ", rule ? Describe(*rule) : "nobody"));
}

absl::Status CheckSubmit(const Caller& caller, v1::Channel channel) {
  if (caller.principal.Has(Role::kGateway) && caller.principal.channels.count(channel)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "complaint.channel: ", caller.principal.subject, " may not submit for ",
      v1::Channel_Name(channel), "; the rule allows gateway (own channels)"));
}

absl::StatusOr<std::string> UnitFilter(const Caller& caller, const std::string& requested,
                                       const org::OrgModel& org) {
  const std::string& own = caller.principal.unit_code;
  if (requested.empty()) {
    if (own.empty()) {
      return absl::PermissionDeniedError(absl::StrCat(
          caller.method, ": ", caller.principal.subject, " has no unit whose tickets it may see"));
    }
    return own;
  }
  if (org.FindUnit(requested) == nullptr || own.empty() || !org.InSubtree(requested, own)) {
    return absl::NotFoundError(absl::StrCat("unit_code: no unit \"", requested, "\""));
  }
  return requested;
}

std::function<absl::Status(const v1::Ticket&)> WriteCheck(
    const Caller& caller, std::shared_ptr<const org::OrgSnapshot> org,
    const v1::ShareRef* share) {
  std::optional<v1::ShareRef> s;
  if (share != nullptr) s = *share;
  return [caller, org = std::move(org), s](const v1::Ticket& t) {
    return CheckWrite(caller, Target{&t, s ? &*s : nullptr}, org->model);
  };
}

bool HasGrant(const Caller& caller, Role role, const Target& target, const org::OrgModel& org) {
  const Rule* rule = RuleFor(caller.method);
  if (rule == nullptr || !caller.principal.Has(role)) return false;
  for (const Grant& g : rule->grants) {
    if (g.role == role && InScope(caller.principal, g.scope, target, org)) return true;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const Caller>> Gatekeeper::Check(
    const rpc::Credentials& credentials, const char* method) const {
  const std::string& authorization = credentials.authorization;
  const std::string& common_name = credentials.peer_common_name;
  absl::StatusOr<auth::Principal> p = authenticator_->Authenticate(authorization, common_name);
  if (!p.ok()) return p.status();
  const Rule* rule = RuleFor(method);
  bool role = false;
  for (const Grant& g : rule != nullptr ? rule->grants : std::vector<Grant>{}) {
    role |= p->Has(g.role);
  }
  if (!role) {
    return absl::PermissionDeniedError(absl::StrCat(
        method, ": not for ", p->subject, "; the rule allows ",
        rule != nullptr ? Describe(*rule) : "nobody"));
  }
  return std::make_shared<const Caller>(Caller{*std::move(p), method});
}

}  // namespace dispatch::access
