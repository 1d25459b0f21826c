#include "common/ticket_writer.h"

#include "common/log.h"
#include "common/metrics/domain.h"
#include "absl/strings/str_cat.h"

#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/text.h"
#include "common/ticket_record.h"

namespace dispatch {
namespace {

absl::Status ValidateWrite(const v1::TicketWrite& w) {
  if (w.ticket_id().empty()) return absl::InvalidArgumentError("write.ticket_id: required");
  if (w.expected_version() <= 0) {
    return absl::InvalidArgumentError("write.expected_version: required, the version last read");
  }
  if (!IsValidExternalId(w.request_id(), 64)) {
    return absl::InvalidArgumentError(
        "write.request_id: required, 1-64 characters of [A-Za-z0-9._:-]");
  }
  // The actor is written into every event of the change: bounded like any other field.
  const v1::Actor& a = w.actor();
  if (!a.id().empty() && !IsValidExternalId(a.id(), 64)) {
    return absl::InvalidArgumentError("write.actor.id: at most 64 characters of [A-Za-z0-9._:-]");
  }
  if (absl::Status s = CheckText(a.display_name(), "write.actor.display_name", 50, false);
      !s.ok()) {
    return s;
  }
  if (!a.unit_code().empty() && !IsValidExternalId(a.unit_code(), 32)) {
    return absl::InvalidArgumentError(
        "write.actor.unit_code: at most 32 characters of [A-Za-z0-9._:-]");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time TicketWriter::Now() const {
  return clock_->NowMillis();
}

void TicketWriter::Write(const v1::TicketWrite& write, const google::protobuf::Message& request,
                         const auth::Caller& caller, Authorize authorize,
                         std::function<absl::StatusOr<Transition>(const v1::Ticket&)> change,
                         rpc::Reply<v1::TicketActionResponse> done) {
  absl::Status valid = ValidateWrite(write);
  if (!valid.ok()) return done(valid);
  // The actor is the authenticated caller: a request may leave it out or name them, no one else.
  if (!write.actor().id().empty() && write.actor().id() != caller.principal.subject) {
    return done(absl::PermissionDeniedError(absl::StrCat(
        "write.actor.id: \"", write.actor().id(), "\" is not the authenticated caller \"",
        caller.principal.subject, "\"; leave it empty or name yourself")));
  }
  v1::Actor actor;
  actor.set_id(caller.principal.subject);
  actor.set_display_name(write.actor().display_name());
  actor.set_unit_code(caller.principal.unit_code);
  std::string fingerprint = keys::Fingerprint(request.SerializeAsString());
  std::optional<int> shard = keys::ShardOfTicketId(write.ticket_id());
  if (!shard) {
    return done(absl::NotFoundError(absl::StrCat("write.ticket_id: no ticket ", write.ticket_id())));
  }
  store_.Get(write.ticket_id(), [this, write, shard = *shard, fingerprint, actor,
                                 authorize = std::move(authorize), change = std::move(change),
                                 done = std::move(done)](absl::StatusOr<v1::Ticket> ticket) mutable {
    if (absl::IsNotFound(ticket.status())) {
      return done(absl::NotFoundError(absl::StrCat("write.ticket_id: no ticket ", write.ticket_id())));
    }
    if (!ticket.ok()) return done(ticket.status());
    if (absl::Status allowed = authorize(*ticket); !allowed.ok()) return done(allowed);
    // A retry of a change already made answers with the ticket, whatever its state is now (the
    // action's checks would judge the new state); the script checks the record again
    // atomically.
    redis_->Execute(
        {"HGET", keys::WriteRecord(shard, write.ticket_id()), write.request_id()},
        [this, write, fingerprint, actor, ticket = *std::move(ticket), change = std::move(change),
         done = std::move(done)](absl::StatusOr<redis::Reply> seen) mutable {
          if (!seen.ok()) return done(seen.status());
          if (!seen->is_nil()) {
            if (seen->str != fingerprint) {
              return done(absl::AlreadyExistsError(absl::StrCat(
                  "write.request_id: \"", write.request_id(),
                  "\" was already used for a different change of this ticket")));
            }
            return Answer(write.ticket_id(), std::move(done));
          }
          Apply(write, fingerprint, actor, ticket, change, std::move(done));
        });
  });
}

void TicketWriter::Apply(const v1::TicketWrite& write, const std::string& fingerprint,
                         const v1::Actor& actor, const v1::Ticket& ticket,
                         const std::function<absl::StatusOr<Transition>(const v1::Ticket&)>& change,
                         rpc::Reply<v1::TicketActionResponse> done) {
  absl::StatusOr<Transition> t = change(ticket);
  if (!t.ok()) {
    Audit(write, actor, "", t.status(), 0);
    return done(t.status());
  }
  std::string kinds;
  for (const auto& [type, e] : t->events) absl::StrAppend(&kinds, kinds.empty() ? "" : ",", type);
  t->ticket_id = write.ticket_id();
  t->expected_version = write.expected_version();
  t->request_id = write.request_id();
  t->fingerprint = fingerprint;
  for (auto& [type, e] : t->events) *e.mutable_actor() = actor;
  auto before = std::make_shared<v1::Ticket>(ticket);
  ApplyTransition(redis_, *std::move(t), [this, id = write.ticket_id(), done, before, write,
                                          actor, kinds](absl::StatusOr<TransitionResult> v) {
    Audit(write, actor, kinds, v.status(), v.ok() ? v->version : 0, v.ok() && v->replayed);
    if (!v.ok()) return done(v.status());
    const bool replayed = v->replayed;
    Answer(id, [done, before, replayed](absl::StatusOr<v1::TicketActionResponse> answer) {
      // The domain's metrics: clocks met and started, closures (not for a replay).
      if (answer.ok() && !replayed) metrics::OnTransition(*before, answer->ticket());
      done(std::move(answer));
    });
  });
}

void TicketWriter::Audit(const v1::TicketWrite& write, const v1::Actor& actor,
                         const std::string& events, const absl::Status& outcome, int64_t version,
                         bool replayed) {
  if (!log::AuditEnabled()) return;
  log::Audit(outcome.ok() ? (replayed ? "ticket_write_replayed" : "ticket_write")
                          : "ticket_write_refused",
             {{"ticket_id", write.ticket_id()},
              {"request_id", write.request_id()},
              {"actor", actor.id()},
              {"events", events},
              {"version", std::to_string(version)},
              {"code", absl::StatusCodeToString(outcome.code())},
              {"reason", std::string(outcome.message())}});
}

void TicketWriter::Answer(const std::string& ticket_id, rpc::Reply<v1::TicketActionResponse> done) {
  store_.Get(ticket_id, [this, done = std::move(done)](absl::StatusOr<v1::Ticket> after) {
    if (!after.ok()) return done(after.status());
    ticket_record::PrepareForReader(clock_->Now(), /*full_contact=*/false, &*after);
    v1::TicketActionResponse response;
    *response.mutable_ticket() = *std::move(after);
    done(std::move(response));
  });
}

}  // namespace dispatch
