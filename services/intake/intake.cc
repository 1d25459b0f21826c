#include "services/intake/intake.h"

#include "common/log.h"
#include "common/metrics/domain.h"

#include <memory>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/redis/redis_client.h"
#include "common/text.h"
#include "common/ticket_record.h"
#include "common/proto_time.h"
#include "services/auth/access_policy.h"
#include "services/intake/validation.h"

namespace dispatch::intake {
namespace {

// A new id is tried this often when a random suffix collides with an existing ticket.
constexpr int kMaxIdAttempts = 4;

std::string RandomSuffix() {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local absl::BitGen gen;
  uint64_t bits = absl::Uniform<uint64_t>(gen);
  std::string s(8, '0');
  for (char& c : s) {
    c = kCrockford[bits & 31];
    bits >>= 5;
  }
  return s;
}

}  // namespace

absl::Status CheckView(const auth::Caller& caller, v1::ContactView view,
                       const std::string& reason) {
  if (!v1::ContactView_IsValid(view)) {
    return absl::InvalidArgumentError(absl::StrCat("contact_view: unknown value ", view));
  }
  if (view != v1::CONTACT_VIEW_FULL) return absl::OkStatus();
  if (!caller.principal.Has(auth::Role::kPii)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "contact_view: CONTACT_VIEW_FULL needs the pii role, which ", caller.principal.subject,
        " does not hold; use CONTACT_VIEW_MASKED"));
  }
  if (absl::Status s = CheckText(reason, "pii_reason", 200, /*required=*/true); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), " (why the full contact data is needed: it is logged)"));
  }
  return absl::OkStatus();
}

namespace {

}  // namespace

struct Intake::Submission {
  v1::Ticket ticket;
  v1::TicketEvent event;
  std::string idempotency_key;
  std::string fingerprint;
  v1::Complaint complaint;      // as requested
  std::string complaint_bytes;  // its serialization
  std::string date;  // yyyymmdd of acceptance, local time
  // Hash fields beyond the ticket's own: `fb` (where routing's grace puts the ticket) and
  // `ch` (its channel, which a gateway's watch filters on).
  ticket_record::Fields placement;
  int shard;
  bool work_order_id_empty = false;  // idempotent on request_id instead
  rpc::Reply<v1::SubmitComplaintResponse> done;
};

Intake::Intake(redis::Client* redis, Clock* clock, SlaPolicy policy, const org::OrgHolder* org,
               Options options)
    : store_(redis),
      pii_(redis, clock),
      clock_(clock),
      policy_(std::move(policy)),
      org_(org),
      options_(std::move(options)),
      archive_work_(options_.read_model != nullptr || options_.eraser != nullptr
                        ? std::make_unique<WorkQueue>(2)
                        : nullptr) {}

void Intake::Submit(const v1::SubmitComplaintRequest& req, const auth::Caller& caller,
                    rpc::Reply<v1::SubmitComplaintResponse> done) {
  if (absl::Status s = access::CheckSubmit(caller, req.complaint().channel()); !s.ok()) {
    return done(s);
  }
  // Stored times are unix milliseconds: accept at that precision so that every read agrees.
  const absl::Time now = clock_->NowMillis();
  absl::Status valid = ValidateSubmit(req, now);
  if (!valid.ok()) return done(valid);

  const v1::Complaint& c = req.complaint();
  auto s = std::make_shared<Submission>();
  s->idempotency_key =
      keys::IdempotencyKey(c.channel(), c.channel_work_order_id(), req.request_id());
  s->shard = keys::ShardOf(s->idempotency_key);
  s->work_order_id_empty = c.channel_work_order_id().empty();
  s->complaint = c;
  s->complaint_bytes = c.SerializeAsString();
  // Identifies the content of a complaint, so a re-send can be told from a conflicting one.
  // (Complaint has no map fields, so its serialization is deterministic.)
  s->fingerprint = keys::Fingerprint(s->complaint_bytes);
  s->date = absl::FormatTime("%Y%m%d", now, options_.zone);
  s->done = std::move(done);

  v1::Ticket& t = s->ticket;
  t.set_version(1);
  t.set_status(v1::TICKET_STATUS_ACCEPTED);
  // The complaint is stored as submitted (complaint_bytes); the ticket carries the effective
  // priority.
  t.set_priority(SlaPolicy::EffectivePriority(c.category(), c.priority()));
  *t.mutable_accepted_at() = ToProto(now);
  *t.mutable_updated_at() = t.accepted_at();
  t.set_sla_policy_version(policy_.version());
  t.set_assign_met_by(policy_.assign_met_by());
  for (v1::SlaClock& clock : policy_.ClocksFor(c.category(), c.priority(), now)) {
    *t.add_clocks() = std::move(clock);
  }
  // If routing has not placed the ticket by the end of its grace (routing down, an entry it
  // cannot decode), the timer engine puts it on this desk, with the category's lead department.
  std::shared_ptr<const org::OrgSnapshot> org = org_->Get();
  const std::string desk = org->model.FallbackDesk(c.location());
  const org::OrgModel::Unit* desk_unit = org->model.FindUnit(desk);
  const absl::Time grace = now + options_.routing_grace;
  *t.mutable_routing_grace_until() = ToProto(grace);
  s->placement = {{"fb", ticket_record::PlacementField(
                             grace, desk_unit != nullptr ? desk_unit->tier : v1::TIER_CITY,
                             org->matrix.For(c.category()).lead, org->model.version(),
                             org->model.Ancestors(desk), desk)},
                  {"ch", std::to_string(c.channel())}};
  // A submission keyed on its request id: the archive can find its idempotency record only
  // from here (one with a work order derives it from the channel and the work order).
  if (s->work_order_id_empty) s->placement.push_back({"ik", s->idempotency_key});

  // The company the complaint is about, as the organisation knows it (its credit record counts
  // the ticket): when the caller names a company, or the complaint is a property-service matter
  // (the housing department leads its category, DOMAIN.md §3) and its estate has a company. A
  // restaurant's fumes in an estate are not its property company's doing. A handler corrects
  // it with SetPropertyCompany.
  if (!c.property_company().empty() ||
      org->matrix.For(c.category()).lead == v1::DEPARTMENT_HOUSING) {
    t.set_property_company_code(org->model.CompanyFor(c.location(), c.property_company()));
  }
  s->event = AcceptedEvent(t, c);
  // The actor of the acceptance is the authenticated gateway.
  s->event.mutable_actor()->set_id(caller.principal.subject);
  s->event.mutable_actor()->set_unit_code(caller.principal.unit_code);
  Write(std::move(s), 1);
}

void Intake::Write(std::shared_ptr<Submission> s, int attempt) {
  std::string id = keys::MakeTicketId(s->date, s->shard, RandomSuffix());
  s->ticket.set_ticket_id(id);
  Submission& sub = *s;
  store_.Create(
      sub.ticket, sub.complaint, sub.complaint_bytes, sub.shard, sub.idempotency_key,
      sub.fingerprint, sub.event, sub.placement,
      [this, s = std::move(s), attempt](absl::StatusOr<TicketStore::CreateResult> r) mutable {
        if (!r.ok()) return s->done(r.status());
        switch (r->outcome) {
          case TicketStore::Outcome::kCreated: {
            v1::SubmitComplaintResponse response;
            *response.mutable_ticket() = std::move(s->ticket);
            ticket_record::FillClockState(clock_->Now(), response.mutable_ticket());
            response.set_created(true);
            metrics::OnAccepted(s->complaint.channel(), response.ticket());
            if (log::AuditEnabled()) {
              log::Audit("complaint_accepted",
                         {{"ticket_id", response.ticket().ticket_id()},
                          {"channel", v1::Channel_Name(s->complaint.channel())},
                          {"work_order", s->complaint.channel_work_order_id()}});
            }
            return s->done(std::move(response));
          }
          case TicketStore::Outcome::kCollision:
            if (attempt >= kMaxIdAttempts) {
              return s->done(absl::InternalError("could not allocate a unique ticket id"));
            }
            return Write(std::move(s), attempt + 1);
          case TicketStore::Outcome::kDuplicate:
            if (r->fingerprint != s->fingerprint) {
              // Keyed on the work-order id, or on request_id for channels without one.
              const bool by_work_order = !s->work_order_id_empty;
              return s->done(absl::AlreadyExistsError(absl::StrCat(
                  by_work_order ? "complaint.channel_work_order_id: this work order"
                                : "request_id: this request",
                  " was already accepted as ticket ", r->ticket_id,
                  " with different content; a re-send must repeat the original complaint")));
            }
            ReadBack(r->ticket_id, nullptr, v1::CONTACT_VIEW_MASKED, "",
                     [s, id = r->ticket_id](absl::StatusOr<v1::Ticket> t) {
                       if (absl::IsNotFound(t.status())) {
                         return s->done(absl::DataLossError(absl::StrCat(
                             "this work order was accepted as ticket ", id,
                             ", but that ticket cannot be found")));
                       }
                       if (!t.ok()) return s->done(t.status());
                       v1::SubmitComplaintResponse response;
                       t->clear_complaint();
                       *response.mutable_ticket() = *std::move(t);
                       response.set_created(false);
                       s->done(std::move(response));
                     });
            return;
        }
        s->done(absl::InternalError("intake: unknown store outcome"));
      });
}

void Intake::ReadBack(const std::string& ticket_id, const auth::Caller* caller,
                      v1::ContactView view, const std::string& reason,
                      std::function<void(absl::StatusOr<v1::Ticket>)> done) {
  std::optional<auth::Caller> who;
  if (caller != nullptr) who = *caller;
  store_.Get(ticket_id, [this, ticket_id, who, view, reason,
                         done = std::move(done)](absl::StatusOr<v1::Ticket> t) mutable {
    if (absl::IsNotFound(t.status()) && archive_work_ != nullptr) {
      // Gone from Redis: archived, if the read model has it.
      archive_work_->Submit([this, ticket_id, who, view, reason, done = std::move(done)] {
        Present(options_.read_model->GetTicket(ticket_id), who, view, reason, done);
      });
      return;
    }
    Present(std::move(t), who, view, reason, std::move(done));
  });
}

void Intake::Present(absl::StatusOr<v1::Ticket> t, const std::optional<auth::Caller>& who,
                     v1::ContactView view, const std::string& reason,
                     std::function<void(absl::StatusOr<v1::Ticket>)> done) {
  if (!t.ok()) return done(t.status());
  if (who) {
    if (absl::Status s = access::CheckRead(*who, *t, org_->Get()->model); !s.ok()) {
      return done(s);
    }
  }
  const bool full = view == v1::CONTACT_VIEW_FULL && who;
  ticket_record::PrepareForReader(clock_->Now(), full, &*t);
  if (!full) return done(std::move(t));
  // The full view is shown only once it is logged.
  auto shown = std::make_shared<v1::Ticket>(*std::move(t));
  pii_.Record(*who, {shown->ticket_id()}, reason,
              [shown, done = std::move(done)](absl::Status logged) {
                if (!logged.ok()) return done(logged);
                done(std::move(*shown));
              });
}

void Intake::Get(const v1::GetTicketRequest& req, const auth::Caller& caller,
                 rpc::Reply<v1::GetTicketResponse> done) {
  if (req.ticket_id().empty()) return done(absl::InvalidArgumentError("ticket_id: required"));
  absl::Status view = CheckView(caller, req.contact_view(), req.pii_reason());
  if (!view.ok()) return done(view);
  ReadBack(req.ticket_id(), &caller, req.contact_view(), req.pii_reason(),
           [done = std::move(done)](absl::StatusOr<v1::Ticket> t) {
             if (!t.ok()) return done(t.status());
             v1::GetTicketResponse response;
             *response.mutable_ticket() = *std::move(t);
             done(std::move(response));
           });
}

void Intake::Lookup(const v1::LookupTicketRequest& req, const auth::Caller& caller,
                    rpc::Reply<v1::GetTicketResponse> done) {
  if (req.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(req.channel())) {
    return done(absl::InvalidArgumentError("channel: required, a known Channel"));
  }
  if (req.channel_work_order_id().empty()) {
    return done(absl::InvalidArgumentError("channel_work_order_id: required"));
  }
  absl::Status view = CheckView(caller, req.contact_view(), req.pii_reason());
  if (!view.ok()) return done(view);
  std::string key = keys::IdempotencyKey(req.channel(), req.channel_work_order_id(), "");
  const std::string not_found =
      absl::StrCat("channel_work_order_id: no ticket for work order ", req.channel_work_order_id());
  store_.FindByIdempotencyKey(
      key, [this, caller, req, not_found, done = std::move(done)](absl::StatusOr<std::string> id) {
        auto answer = [done, not_found](absl::StatusOr<v1::Ticket> t) {
          // Outside the caller's reach reads as no such work order.
          if (absl::IsNotFound(t.status())) return done(absl::NotFoundError(not_found));
          if (!t.ok()) return done(t.status());
          v1::GetTicketResponse response;
          *response.mutable_ticket() = *std::move(t);
          done(std::move(response));
        };
        if (absl::IsNotFound(id.status()) && archive_work_ != nullptr) {
          // The idempotency record has expired (or the ticket was archived): the archive.
          archive_work_->Submit([this, caller, req, answer] {
            Present(options_.read_model->LookupTicket(req.channel(), req.channel_work_order_id()),
                    caller, req.contact_view(), req.pii_reason(), answer);
          });
          return;
        }
        if (absl::IsNotFound(id.status())) return done(absl::NotFoundError(not_found));
        if (!id.ok()) return done(id.status());
        ReadBack(*id, &caller, req.contact_view(), req.pii_reason(), answer);
      });
}

void Intake::ListPersonalDataAccess(const v1::ListPersonalDataAccessRequest& req,
                                    const auth::Caller& caller,
                                    rpc::Reply<v1::ListPersonalDataAccessResponse> done) {
  done(pii_.List(req));
}

void Intake::ErasePersonalData(const v1::ErasePersonalDataRequest& req,
                               const auth::Caller& caller,
                               rpc::Reply<v1::ErasePersonalDataResponse> done) {
  if (req.request_id().empty() || req.request_id().size() > 128) {
    return done(absl::InvalidArgumentError("request_id: required, at most 128 characters"));
  }
  if (req.phone().empty() == req.ticket_id().empty()) {
    return done(absl::InvalidArgumentError("phone, ticket_id: give exactly one"));
  }
  if (req.phone().size() > 32 || req.ticket_id().size() > 64) {
    return done(absl::InvalidArgumentError("phone, ticket_id: too long (32, 64 characters)"));
  }
  if (req.reason().empty() || Utf8Length(req.reason()) > 500) {
    return done(absl::InvalidArgumentError(
        "reason: required (the request this carries out), at most 500 characters"));
  }
  if (options_.eraser == nullptr) {
    return done(absl::FailedPreconditionError(
        "ErasePersonalData needs the read model (read_model.conninfo)"));
  }
  archive_work_->Submit([this, req, subject = caller.principal.subject, done] {
    absl::StatusOr<readmodel::Eraser::Outcome> o = options_.eraser->Request(
        req.request_id(), req.phone(), req.ticket_id(), req.reason(), subject);
    if (!o.ok()) return done(o.status());
    v1::ErasePersonalDataResponse response;
    response.set_erasure_id(o->erasure_id);
    response.set_erased(o->erased);
    response.set_pending(o->pending);
    done(std::move(response));
  });
}

}  // namespace dispatch::intake
