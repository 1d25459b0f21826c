#include "services/escalation/extensions.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/proto_time.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "services/auth/access_policy.h"

namespace dispatch::escalation {
namespace {

constexpr size_t kMaxReason = 500;

// Statuses in which a ticket is still being handled.
const std::vector<v1::TicketStatus>& OpenStatuses() {
  static const auto* const open = new std::vector<v1::TicketStatus>{
      v1::TICKET_STATUS_ACCEPTED, v1::TICKET_STATUS_ROUTED, v1::TICKET_STATUS_ASSIGNED,
      v1::TICKET_STATUS_SIGNED_FOR, v1::TICKET_STATUS_CONTACTED, v1::TICKET_STATUS_RETURNED};
  return *open;
}

// "2026-11-26T02:00:00Z": the clock's deadline in error messages.
std::string DeadlineText(const v1::SlaClock& clock) {
  return absl::FormatTime(absl::RFC3339_sec, FromProto(clock.deadline()), absl::UTCTimeZone());
}

absl::Status RequireOpen(const v1::Ticket& t, const char* action) {
  for (v1::TicketStatus s : OpenStatuses()) {
    if (t.status() == s) return absl::OkStatus();
  }
  return NotAllowedInStatus(action, t.status());
}

}  // namespace

void Extensions::Request(const v1::RequestExtensionRequest& req, const auth::Caller& caller,
                         rpc::Reply<v1::TicketActionResponse> done) {
  if (absl::Status s = CheckText(req.reason(), "reason", kMaxReason, /*required=*/true); !s.ok()) return done(s);
  if (!req.has_requested_deadline()) {
    return done(absl::InvalidArgumentError("requested_deadline: required"));
  }
  v1::ClockKind kind = req.clock() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_RESOLVE
                                                                 : req.clock();
  if (kind < v1::CLOCK_KIND_ASSIGN || kind > v1::CLOCK_KIND_RESOLVE) {
    return done(absl::InvalidArgumentError(
        "clock: must be CLOCK_KIND_ASSIGN, CLOCK_KIND_PRELIMINARY or CLOCK_KIND_RESOLVE"));
  }
  absl::Time now = writer_.Now();
  v1::Actor actor;
  actor.set_id(caller.principal.subject);
  actor.set_display_name(req.write().actor().display_name());
  actor.set_unit_code(caller.principal.unit_code);
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get()),
      [req, kind, now, actor](const v1::Ticket& ticket) -> absl::StatusOr<Transition> {
        if (absl::Status s = RequireOpen(ticket, "RequestExtension"); !s.ok()) return s;
        if (ticket.has_pending_extension()) {
          return absl::FailedPreconditionError(
              absl::StrCat("RequestExtension: extension ",
                           ticket.pending_extension().extension_id(),
                           " is still waiting for a decision"));
        }
        const v1::SlaClock* clock = ticket_record::FindClock(ticket, kind);
        if (clock == nullptr || clock->has_met_at()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "clock: the ticket has no open ", v1::ClockKind_Name(kind), " clock"));
        }
        // An extension is asked for while there is still time: a missed deadline is a breach,
        // and asking afterwards cannot undo it.
        if (ticket_record::IsLate(*clock, now)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "clock: the ", v1::ClockKind_Name(kind), " clock's deadline ", DeadlineText(*clock),
              " has passed; an extension must be requested before the deadline"));
        }
        // Deadlines are kept in whole milliseconds.
        if (ToUnixMs(req.requested_deadline()) <= ToUnixMs(clock->deadline())) {
          return absl::InvalidArgumentError(
              "requested_deadline: must be later than the clock's current deadline");
        }
        v1::Extension x;
        x.set_extension_id(absl::StrCat(ticket.ticket_id(), ":x", ticket.version() + 1));
        x.set_clock(kind);
        *x.mutable_requested_deadline() = TimestampFromUnixMs(ToUnixMs(req.requested_deadline()));
        x.set_reason(req.reason());
        *x.mutable_requested_by() = actor;
        *x.mutable_requested_at() = ToProto(now);
        Transition t;
        t.action = "RequestExtension";
        t.now = now;
        t.allowed_statuses = OpenStatuses();
        t.set = {{"ext", x.SerializeAsString()}};
        v1::TicketEvent e;
        e.set_reason(req.reason());
        *e.mutable_extension_requested()->mutable_extension() = std::move(x);
        t.events.emplace_back("extension_requested", std::move(e));
        return t;
      },
      std::move(done));
}

void Extensions::Decide(const v1::DecideExtensionRequest& req, const auth::Caller& caller,
                        rpc::Reply<v1::TicketActionResponse> done) {
  if (req.extension_id().empty()) return done(absl::InvalidArgumentError("extension_id: required"));
  if (absl::Status s = CheckText(req.reason(), "reason", kMaxReason, /*required=*/!req.approve()); !s.ok()) {
    return done(s);
  }
  absl::Time now = writer_.Now();
  writer_.Write(
      req.write(), req, caller, access::WriteCheck(caller, org_->Get()),
      [req, now, who = caller.principal.subject](const v1::Ticket& ticket)
          -> absl::StatusOr<Transition> {
        if (absl::Status s = RequireOpen(ticket, "DecideExtension"); !s.ok()) return s;
        const v1::Extension& x = ticket.pending_extension();
        if (!ticket.has_pending_extension() || x.extension_id() != req.extension_id()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "extension_id: ", req.extension_id(), " is not pending on this ticket"));
        }
        // Supervision means someone else judges: never one's own request.
        if (x.requested_by().id() == who) {
          return absl::PermissionDeniedError(absl::StrCat(
              "EscalationService.DecideExtension: ", who,
              " requested this extension and may not decide it"));
        }
        const v1::SlaClock* clock = ticket_record::FindClock(ticket, x.clock());
        if (clock == nullptr || clock->has_met_at()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "extension_id: the ", v1::ClockKind_Name(x.clock()), " clock is no longer open"));
        }
        // The old deadline passed while the request waited, and the timer engine has not
        // recorded that breach yet: approving now would move the deadline from under it and
        // lose the breach. The engine records it within moments; the decision can then be made.
        if (req.approve() && ticket_record::IsLate(*clock, now) && !clock->breached()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "extension_id: the ", v1::ClockKind_Name(x.clock()), " clock's deadline ",
              DeadlineText(*clock),
              " passed before this decision and its breach is not recorded yet; retry in a few "
              "seconds"));
        }
        if (req.approve() &&
            ToUnixMs(x.requested_deadline()) <= ToUnixMs(clock->deadline())) {
          return absl::FailedPreconditionError(
              "extension_id: the clock's deadline is already at or past the one requested");
        }
        Transition t;
        t.action = "DecideExtension";
        t.now = now;
        t.allowed_statuses = OpenStatuses();
        t.remove = {"ext"};
        v1::TicketEvent e;
        e.set_reason(req.reason());
        v1::ExtensionDecided* d = e.mutable_extension_decided();
        d->set_extension_id(x.extension_id());
        d->set_clock(x.clock());
        d->set_approved(req.approve());
        *d->mutable_old_deadline() = clock->deadline();
        *d->mutable_new_deadline() = req.approve() ? x.requested_deadline() : clock->deadline();
        if (req.approve()) {
          t.set = {{absl::StrCat("c", x.clock(), ".due"),
                    std::to_string(ToUnixMs(x.requested_deadline()))}};
          // Requested in time but decided after the old deadline passed: that breach stays in
          // the history and the breach log, and the clock is watched again against the new
          // deadline (missing that one is a breach of its own).
          if (clock->breached()) t.remove.push_back(absl::StrCat("c", x.clock(), ".br"));
        }
        t.events.emplace_back("extension_decided", std::move(e));
        return t;
      },
      std::move(done));
}

}  // namespace dispatch::escalation
