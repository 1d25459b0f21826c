#include "common/ticket_store.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/ticket_record.h"
#include "common/proto_time.h"
#include "common/lua_scripts.h"

namespace dispatch {
namespace {

const redis::Script& SubmitScript() {
  static const redis::Script* const script = new redis::Script(kSubmitLua);
  return *script;
}

const redis::Script& GetScript() {
  static const redis::Script* const script = new redis::Script(kGetLua);
  return *script;
}

}  // namespace

v1::TicketEvent AcceptedEvent(const v1::Ticket& ticket, const v1::Complaint& complaint) {
  v1::TicketEvent e;
  e.set_ticket_version(1);
  *e.mutable_occurred_at() = ticket.accepted_at();
  e.mutable_actor()->set_id(ChannelActorId(complaint.channel()));
  v1::TicketAccepted* a = e.mutable_accepted();
  a->set_channel(complaint.channel());
  a->set_channel_work_order_id(complaint.channel_work_order_id());
  a->set_category(complaint.category());
  a->set_priority(ticket.priority());
  a->set_sla_policy_version(ticket.sla_policy_version());
  a->set_assign_met_by(ticket.assign_met_by());
  *a->mutable_clocks() = ticket.clocks();
  *a->mutable_location() = complaint.location();
  a->set_property_company_code(ticket.property_company_code());
  return e;
}

void TicketStore::Create(const v1::Ticket& ticket, const v1::Complaint& complaint,
                         const std::string& complaint_bytes, int shard,
                         const std::string& idem_key, const std::string& fingerprint,
                         const v1::TicketEvent& accepted, const ticket_record::Fields& extra,
                         std::function<void(absl::StatusOr<CreateResult>)> done) {
  const std::string& id = ticket.ticket_id();
  std::vector<std::string> keys = {keys::IdempotencyRecord(shard, idem_key),
                                   keys::Ticket(shard, id),
                                   keys::Timers(shard),
                                   keys::AcceptedIndex(shard),
                                   keys::Events(shard),
                                   keys::ArchivedIdempotency(shard, idem_key)};
  ticket_record::Fields fields = ticket_record::Encode(ticket);
  fields.insert(fields.end(), extra.begin(), extra.end());
  std::vector<std::string> args;
  StoredEvent event = StoredAcceptedEvent(accepted, complaint);
  args.reserve(8 + 2 * fields.size());
  args.push_back(id);
  args.push_back(fingerprint);
  args.push_back(std::to_string(absl::ToUnixMillis(ticket_record::NextWakeUp(ticket))));
  args.push_back(std::to_string(ToUnixMs(ticket.accepted_at())));
  args.push_back(complaint_bytes);
  args.push_back(std::move(event.field));
  args.push_back(std::move(event.bytes));
  args.push_back(idem_key);
  for (auto& [k, v] : fields) {
    args.push_back(std::move(k));
    args.push_back(std::move(v));
  }
  redis_->Eval(SubmitScript(), std::move(keys), std::move(args),
               [done = std::move(done)](absl::StatusOr<redis::Reply> reply) {
                 if (!reply.ok()) return done(reply.status());
                 const auto& e = reply->elements;
                 if (!reply->is_array() || e.empty()) {
                   return done(absl::InternalError("submit.lua: unexpected reply"));
                 }
                 const std::string& what = e[0].str;
                 if (what == "created" && e.size() == 3) {
                   return done(CreateResult{Outcome::kCreated, e[1].str, ""});
                 }
                 if (what == "duplicate" && e.size() == 3) {
                   return done(CreateResult{Outcome::kDuplicate, e[1].str, e[2].str});
                 }
                 if (what == "collision") return done(CreateResult{Outcome::kCollision, "", ""});
                 done(absl::InternalError(absl::StrCat("submit.lua: unexpected reply ", what)));
               });
}

namespace {

// The shard of a ticket id; INVALID_ARGUMENT naming it when it is not one.
absl::StatusOr<int> ShardOfId(const std::string& ticket_id) {
  std::optional<int> shard = keys::ShardOfTicketId(ticket_id);
  if (!shard) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ticket_id: \"", ticket_id, "\" is not a ticket id (want e.g. T20261122-042-7KQ2M9XZ)"));
  }
  return *shard;
}

}  // namespace

void TicketStore::Get(const std::string& ticket_id,
                      std::function<void(absl::StatusOr<v1::Ticket>)> done) {
  absl::StatusOr<int> shard = ShardOfId(ticket_id);
  if (!shard.ok()) return done(shard.status());
  redis_->Eval(GetScript(),
               {keys::Ticket(*shard, ticket_id), keys::Events(*shard),
                keys::LegacyComplaint(*shard, ticket_id)},
               {}, [ticket_id, done = std::move(done)](absl::StatusOr<redis::Reply> reply) {
                    if (!reply.ok()) return done(reply.status());
                    if (!reply->is_array() || reply->elements.size() != 2) {
                      return done(absl::InternalError("get.lua: unexpected reply"));
                    }
                    auto ticket = ticket_record::Decode(ticket_id, reply->elements[0],
                                                        reply->elements[1].str);
                    if (absl::IsNotFound(ticket.status())) {
                      return done(absl::NotFoundError(
                          absl::StrCat("ticket_id: no ticket ", ticket_id)));
                    }
                    if (ticket.ok() && reply->elements[1].is_nil()) {
                      // Never expected: the complaint's entry was trimmed or deleted.
                      return done(absl::DataLossError(absl::StrCat(
                          "ticket ", ticket_id, ": its complaint is missing (the stream entry ",
                          "e0 of its TicketAccepted event is gone)")));
                    }
                    done(std::move(ticket));
                  });
}

namespace {

// The value of `field` in an HGETALL reply, or null.
const std::string* HashField(const redis::Reply& hgetall, absl::string_view field) {
  for (size_t i = 0; i + 1 < hgetall.elements.size(); i += 2) {
    if (hgetall.elements[i].str == field) return &hgetall.elements[i + 1].str;
  }
  return nullptr;
}

// The `c` field of an XRANGE reply of one entry, or null.
const std::string* EntryComplaint(const redis::Reply& xrange) {
  if (xrange.elements.empty() || xrange.elements[0].elements.size() != 2) return nullptr;
  return HashField(xrange.elements[0].elements[1], "c");
}

}  // namespace

void TicketStore::GetUnscripted(const std::string& ticket_id,
                                std::function<void(absl::StatusOr<v1::Ticket>)> done) {
  absl::StatusOr<int> shard = ShardOfId(ticket_id);
  if (!shard.ok()) return done(shard.status());
  redis::Client* redis = redis_;
  const int s = *shard;
  redis->Execute(
      {"HGETALL", keys::Ticket(s, ticket_id)},
      [redis, s, ticket_id, done = std::move(done)](absl::StatusOr<redis::Reply> hash) mutable {
        if (!hash.ok()) return done(hash.status());
        if (hash->elements.empty()) {
          return done(absl::NotFoundError(absl::StrCat("ticket_id: no ticket ", ticket_id)));
        }
        // The complaint, then the ticket: from the legacy key when the entry is gone.
        auto finish = [ticket_id](const redis::Reply& hash, const std::string* complaint,
                                  std::function<void(absl::StatusOr<v1::Ticket>)> done) {
          if (complaint == nullptr) {
            return done(absl::NotFoundError(absl::StrCat(
                "ticket ", ticket_id, ": its complaint is gone (archived meanwhile)")));
          }
          done(ticket_record::Decode(ticket_id, hash, *complaint));
        };
        auto from_legacy_key = [redis, s, ticket_id, finish](
                                   redis::Reply hash,
                                   std::function<void(absl::StatusOr<v1::Ticket>)> done) {
          redis->Execute({"GET", keys::LegacyComplaint(s, ticket_id)},
                         [finish, hash = std::move(hash), done = std::move(done)](
                             absl::StatusOr<redis::Reply> c) mutable {
                           if (!c.ok()) return done(c.status());
                           finish(hash, c->is_nil() ? nullptr : &c->str, std::move(done));
                         });
        };
        const std::string* e0 = HashField(*hash, "e0");
        if (e0 == nullptr) return from_legacy_key(std::move(*hash), std::move(done));
        const std::string entry_id = *e0;
        redis->Execute({"XRANGE", keys::Events(s), entry_id, entry_id},
                       [finish, from_legacy_key, hash = std::move(*hash),
                        done = std::move(done)](absl::StatusOr<redis::Reply> entry) mutable {
                         if (!entry.ok()) return done(entry.status());
                         if (const std::string* c = EntryComplaint(*entry); c != nullptr) {
                           return finish(hash, c, std::move(done));
                         }
                         from_legacy_key(std::move(hash), std::move(done));
                       });
      });
}

void TicketStore::FindByIdempotencyKey(const std::string& idem_key,
                                       std::function<void(absl::StatusOr<std::string>)> done) {
  int shard = keys::ShardOf(idem_key);
  redis_->Execute({"GET", keys::IdempotencyRecord(shard, idem_key)},
                  [done = std::move(done)](absl::StatusOr<redis::Reply> reply) {
                    if (!reply.ok()) return done(reply.status());
                    if (reply->is_nil()) return done(absl::NotFoundError("no such work order"));
                    const std::string& record = reply->str;
                    done(record.substr(0, record.find(' ')));
                  });
}

}  // namespace dispatch
