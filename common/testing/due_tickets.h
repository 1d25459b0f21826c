// Writes many tickets straight through the acceptance script (TicketStore::Create), already
// routed to a community and supervised there, with the three default clocks (30 min / 3 h /
// 3 days, warnings at 50 % and 80 % unless `warnings` is false) started so that ticket i's assign clock is due at
// assign_due(i). For the timer engine's load tests and `tools/bench timers`: real tickets, the
// same hash, timer and events as intake writes (the sample hotline complaint and its full
// TicketAccepted event), without going through gRPC.
#ifndef DISPATCH_COMMON_TESTING_DUE_TICKETS_H_
#define DISPATCH_COMMON_TESTING_DUE_TICKETS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/redis_client.h"
#include "common/testing/sample_complaint.h"
#include "common/ticket_store.h"

namespace dispatch::testing {

// Returns the ticket ids, in order.
inline absl::StatusOr<std::vector<std::string>> CreateDueTickets(
    redis::Client* redis, int count, const std::function<absl::Time(int)>& assign_due,
    const std::string& run_tag, bool warnings = true, const std::string& unit = "430923100001") {
  TicketStore store(redis);
  std::vector<std::string> ids(count);
  absl::BlockingCounter pending(count);
  absl::Mutex mu;
  absl::Status error;
  for (int i = 0; i < count; ++i) {
    absl::Time accepted = assign_due(i) - absl::Minutes(30);
    std::string work_order = absl::StrCat(run_tag, "-", i);
    std::string idem = keys::IdempotencyKey(v1::CHANNEL_HOTLINE_12345, work_order, "");
    int shard = keys::ShardOf(idem);
    v1::Ticket t;
    t.set_ticket_id(keys::MakeTicketId(absl::FormatTime("%Y%m%d", accepted, absl::UTCTimeZone()),
                                       shard, absl::StrFormat("%08d", i)));
    t.set_version(1);
    t.set_status(v1::TICKET_STATUS_ROUTED);
    t.set_priority(v1::PRIORITY_NORMAL);
    *t.mutable_accepted_at() = ToProto(accepted);
    *t.mutable_updated_at() = t.accepted_at();
    t.set_sla_policy_version("default-333");
    t.set_responsible_unit_code(unit);
    t.set_supervision_tier(v1::TIER_COMMUNITY);
    t.set_assign_met_by(v1::ASSIGN_MET_BY_SIGN_FOR);
    int kind = v1::CLOCK_KIND_ASSIGN;
    for (absl::Duration target : {absl::Minutes(30), absl::Hours(3), absl::Hours(72)}) {
      v1::SlaClock* c = t.add_clocks();
      c->set_kind(static_cast<v1::ClockKind>(kind++));
      *c->mutable_target() = ToProto(target);
      c->set_day_basis(v1::DAY_BASIS_CALENDAR);
      c->set_round(1);
      if (warnings) {
        c->add_warn_percent(50);
        c->add_warn_percent(80);
      }
      *c->mutable_started_at() = ToProto(accepted);
      *c->mutable_deadline() = ToProto(accepted + target);
    }
    // A typical hotline complaint (location, complainant) and the TicketAccepted event intake
    // writes for it, so that memory per ticket is measured on a realistic ticket.
    v1::Complaint complaint = HotlineComplaint(work_order).complaint();
    complaint.set_category(v1::CATEGORY_SERVICE_QUALITY);
    v1::TicketEvent accepted_event = AcceptedEvent(t, complaint);
    ids[i] = t.ticket_id();
    // What routing stores besides: the unit's tier and its ancestors (the sample's path of
    // 城东社区).
    const ticket_record::Fields routed = ticket_record::LeadUnitFields(
        unit, v1::TIER_COMMUNITY, {"430923100", "430923", "430900"}, v1::TIER_UNSPECIFIED);
    store.Create(t, complaint, complaint.SerializeAsString(), shard, idem, "f", accepted_event,
                 routed,
                 [&](absl::StatusOr<TicketStore::CreateResult> r) {
                   absl::Status s = r.status();
                   if (s.ok() && r->outcome != TicketStore::Outcome::kCreated) {
                     s = absl::AlreadyExistsError("ticket exists");
                   }
                   if (!s.ok()) {
                     absl::MutexLock lock(&mu);
                     error.Update(s);
                   }
                   pending.DecrementCount();
                 });
  }
  pending.Wait();
  if (!error.ok()) return error;
  return ids;
}

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_DUE_TICKETS_H_
