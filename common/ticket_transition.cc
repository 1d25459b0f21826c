#include "common/ticket_transition.h"

#include "absl/strings/str_cat.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/lua_scripts.h"
#include "common/proto_time.h"

namespace dispatch {
namespace {

const redis::Script& TransitionScript() {
  static const redis::Script* const script = new redis::Script(kTransitionLua);
  return *script;
}

}  // namespace

void ApplyTransition(redis::Client* redis, Transition t,
                     std::function<void(absl::StatusOr<TransitionResult>)> done) {
  std::optional<int> shard = keys::ShardOfTicketId(t.ticket_id);
  if (!shard) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("write.ticket_id: \"", t.ticket_id, "\" is not a ticket id")));
  }
  std::string allowed = ",";
  for (v1::TicketStatus s : t.allowed_statuses) absl::StrAppend(&allowed, s, ",");
  std::vector<std::string> args = {t.ticket_id,
                                   std::to_string(t.expected_version),
                                   allowed,
                                   t.request_id,
                                   t.fingerprint,
                                   std::to_string(absl::ToUnixMillis(t.now)),
                                   t.ack_group,
                                   t.ack_entry,
                                   std::to_string(t.set.size())};
  for (auto& [k, v] : t.set) {
    args.push_back(k);
    args.push_back(v);
  }
  args.push_back(std::to_string(t.remove.size()));
  for (auto& r : t.remove) args.push_back(r);
  args.push_back(std::to_string(t.counters.size()));
  for (const auto& c : t.counters) {
    args.push_back(c.counter == Transition::Counter::kHandlerLoad ? "load" : "returns");
    args.push_back(c.field);
    args.push_back(std::to_string(c.amount));
  }
  args.push_back(std::to_string(t.increments.size()));
  for (auto& [k, v] : t.increments) {
    args.push_back(k);
    args.push_back(std::to_string(v));
  }
  args.push_back(std::to_string(t.events.size()));
  int64_t version = t.expected_version;
  for (auto& [type, e] : t.events) {
    ++version;
    e.set_ticket_version(version);
    *e.mutable_occurred_at() = ToProto(t.now);
    args.push_back(type);
    args.push_back(StoredEventBytes(e));
  }
  std::vector<std::string> keys = {keys::Ticket(*shard, t.ticket_id), keys::Timers(*shard),
                                   keys::Events(*shard), keys::WriteRecord(*shard, t.ticket_id),
                                   keys::Returns(*shard), keys::HandlerLoad(*shard)};
  redis->Eval(
      TransitionScript(), std::move(keys), std::move(args),
      [t = std::move(t), done = std::move(done)](absl::StatusOr<redis::Reply> reply) {
        if (!reply.ok()) return done(reply.status());
        const auto& e = reply->elements;
        if (!reply->is_array() || e.empty()) {
          return done(absl::InternalError("transition.lua: unexpected reply"));
        }
        const std::string& what = e[0].str;
        int64_t n = e.size() > 1 ? e[1].integer : 0;
        if (what == "ok" || what == "replay") return done(TransitionResult{n, what == "replay"});
        if (what == "gone") {
          return done(absl::NotFoundError(absl::StrCat("write.ticket_id: no ticket ", t.ticket_id)));
        }
        if (what == "conflict") {
          return done(absl::AlreadyExistsError(absl::StrCat(
              "write.request_id: \"", t.request_id,
              "\" was already used for a different change of this ticket")));
        }
        if (what == "stale") {
          return done(absl::AbortedError(absl::StrCat(
              "write.expected_version: the ticket is at version ", n, ", not ",
              t.expected_version, "; read it again and retry")));
        }
        if (what == "status") {
          return done(NotAllowedInStatus(t.action, static_cast<v1::TicketStatus>(n)));
        }
        done(absl::InternalError(absl::StrCat("transition.lua: unexpected reply ", what)));
      });
}

absl::Status NotAllowedInStatus(absl::string_view action, v1::TicketStatus status) {
  return absl::FailedPreconditionError(
      absl::StrCat(action, ": not allowed while the ticket is ", v1::TicketStatus_Name(status)));
}

}  // namespace dispatch
