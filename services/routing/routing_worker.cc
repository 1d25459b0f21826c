#include "services/routing/routing_worker.h"

#include <chrono>
#include <future>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/metrics/domain.h"
#include "common/proto_time.h"
#include "common/thread_name.h"
#include "common/ticket_record.h"
#include "dispatch/v1/events.pb.h"
#include "common/ticket_transition.h"
#include "services/routing/roster.h"
#include "services/routing/router.h"

namespace dispatch::routing {
namespace {

struct Entry {
  int shard;
  std::string entry_id;
  v1::TicketEvent event;  // a TicketAccepted
};

// Runs all `commands` concurrently and waits for every reply.
std::vector<absl::StatusOr<redis::Reply>> All(
    redis::Client* redis, std::vector<std::function<void(redis::Callback)>> commands) {
  std::vector<std::promise<absl::StatusOr<redis::Reply>>> promises(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    commands[i]([&promises, i](absl::StatusOr<redis::Reply> r) { promises[i].set_value(std::move(r)); });
  }
  std::vector<absl::StatusOr<redis::Reply>> out;
  for (auto& p : promises) out.push_back(p.get_future().get());
  return out;
}

int Urgency(const Entry& e) {
  switch (e.event.accepted().priority()) {
    case v1::PRIORITY_EMERGENCY: return 0;
    case v1::PRIORITY_URGENT: return 1;
    default: return 2;
  }
}

}  // namespace

RoutingWorker::RoutingWorker(redis::Client* redis, Clock* clock, OrgHolder* org,
                             const SlaPolicy* policy, Options options)
    : redis_(redis), clock_(clock), org_(org), policy_(policy), options_(std::move(options)) {}

RoutingWorker::~RoutingWorker() { Stop(); }

absl::Status RoutingWorker::Prepare() {
  if (absl::Status s = CreateEventGroups(redis_, keys::kRoutingGroup); !s.ok()) return s;
  std::vector<std::vector<std::string>> commands;
  for (int s = 0; s < keys::kShardCount; ++s) commands.push_back({"HGETALL", keys::HandlerLoad(s)});
  HandlerLoads load;  // replaces load_ only when every read succeeded
  for (auto& r : redis_->ExecuteAllSync(std::move(commands))) {
    if (!r.ok()) return r.status();
    AddShardLoads(*r, &load);
  }
  load_ = std::move(load);
  return absl::OkStatus();
}

absl::StatusOr<int> RoutingWorker::ClaimAbandoned() {
  absl::StatusOr<int> claimed = ClaimIdleEvents(redis_, keys::kRoutingGroup, options_.consumer,
                                                options_.claim_min_idle, options_.batch);
  // They are this consumer's pending entries now.
  if (claimed.ok() && *claimed > 0) pending_checked_ = false;
  return claimed;
}

absl::StatusOr<int> RoutingWorker::RunOnce(absl::Duration block) {
  // First the events this consumer took before a crash, restart or transient error and never
  // acknowledged, batch after batch until none is left; then new ones.
  int routed = 0;
  while (!pending_checked_) {
    int read = 0;
    absl::StatusOr<int> pending = ReadAndRoute("0", absl::ZeroDuration(), &read);
    if (!pending.ok()) return pending;
    routed += *pending;
    if (read == 0) pending_checked_ = true;
  }
  if (routed > 0) return routed;
  int read = 0;
  absl::StatusOr<int> fresh = ReadAndRoute(">", block, &read);
  last_read_ = read;
  return fresh;
}

void RoutingWorker::ApplyRouting(Transition t, int shard, const std::string& entry,
                                 int attempts_left, std::shared_ptr<const ClockChange> clocks,
                                 redis::Callback cb) {
  Transition retry = t;
  // Adapt the transition's result to the reply shape All() collects.
  ApplyTransition(
      redis_, std::move(t),
      [this, shard, entry, attempts_left, clocks, retry = std::move(retry),
       cb = std::move(cb)](absl::StatusOr<TransitionResult> r) mutable {
        if (r.ok()) {
          if (!r->replayed && clocks != nullptr) metrics::OnTransition(clocks->first, clocks->second);
          redis::Reply reply;
          reply.type = redis::Reply::Type::kInteger;
          reply.integer = r->replayed ? 0 : 1;
          return cb(std::move(reply));
        }
        // Gone or no longer ACCEPTED: the script acknowledged it; nothing to do.
        if (absl::IsNotFound(r.status()) || absl::IsFailedPrecondition(r.status())) {
          return cb(redis::Reply{});
        }
        // Transient (Redis down or busy): leave it pending and retry.
        if (absl::IsUnavailable(r.status()) || absl::IsResourceExhausted(r.status()) ||
            absl::IsDeadlineExceeded(r.status())) {
          return cb(r.status());
        }
        // Still unrouted, but its version moved on: route it at the version it has now.
        if (absl::IsAborted(r.status()) && attempts_left > 1) {
          const std::string ticket_key = keys::Ticket(shard, retry.ticket_id);
          return redis_->Execute(
              {"HGET", ticket_key, "ver"},
              [this, shard, entry, attempts_left, clocks, retry = std::move(retry),
               cb = std::move(cb)](absl::StatusOr<redis::Reply> ver) mutable {
                if (!ver.ok()) return cb(ver.status());  // transient: retried later
                int64_t v = 0;
                if (ver->is_nil() || !absl::SimpleAtoi(ver->str, &v)) {
                  return cb(redis::Reply{});  // gone meanwhile
                }
                retry.expected_version = v;
                ApplyRouting(std::move(retry), shard, entry, attempts_left - 1, clocks,
                             std::move(cb));
              });
        }
        // Anything else will fail every time (a request-id clash, a broken record, or a version
        // that keeps moving): acknowledge it so that one event can never stop routing, and say
        // so. The ticket keeps its state; its clocks will surface it.
        log::Error("routing", "dropping an event that cannot be routed",
                   {{"shard", std::to_string(shard)},
                    {"entry_id", entry},
                    {"ticket_id", retry.ticket_id},
                    {"error", r.status().ToString()}});
        redis_->Execute({"XACK", keys::Events(shard), keys::kRoutingGroup, entry},
                        [cb = std::move(cb)](absl::StatusOr<redis::Reply> acked) {
                          if (!acked.ok()) return cb(acked.status());
                          cb(redis::Reply{});
                        });
      });
}

absl::StatusOr<int> RoutingWorker::ReadAndRoute(const std::string& from_id, absl::Duration block,
                                                int* read) {
  auto reply = redis_->ExecuteSync(
      ReadEventGroupCommand(keys::kRoutingGroup, options_.consumer, options_.batch, block, from_id));
  if (!reply.ok()) return reply.status();

  // [[stream key, [[entry id, [field, value, ...]], ...]], ...]
  std::vector<Entry> entries;
  std::vector<std::pair<int, std::string>> ignored;  // not for routing: acknowledge
  for (const redis::Reply& stream : reply->elements) {
    if (stream.elements.size() != 2) continue;
    int shard = keys::ShardOfKey(stream.elements[0].str).value_or(-1);
    for (const redis::Reply& item : stream.elements[1].elements) {
      if (item.elements.size() != 2) continue;
      Entry e{shard, item.elements[0].str, {}};
      absl::StatusOr<EventEntry> decoded = DecodeEventEntry(item);
      ++*read;
      if (decoded.ok() && decoded->type == "accepted" && decoded->event.has_accepted()) {
        e.event = std::move(decoded->event);
        entries.push_back(std::move(e));
      } else {
        if (!decoded.ok() && EntryType(item) == "accepted") {
          // Nothing to route by (a damaged entry): the ticket stays ACCEPTED until its
          // routing grace puts it on its dispatch desk (fire.lua), where a dispatcher routes it.
          log::Error("routing",
                     "cannot decode TicketAccepted, acknowledged; the routing grace puts the "
                     "ticket on its desk",
                     {{"shard", std::to_string(shard)},
                      {"entry_id", e.entry_id},
                      {"error", decoded.status().ToString()}});
        }
        ignored.emplace_back(shard, e.entry_id);
      }
    }
  }
  // Commands go out in tiers (emergency, urgent, normal), each tier finished before the next.
  std::vector<std::vector<std::function<void(redis::Callback)>>> tiers(3);
  auto& commands = tiers[2];
  for (const auto& [shard, id] : ignored) {
    commands.push_back([this, shard = shard, id = id](redis::Callback cb) {
      // Counts nothing: only routing results carry a count.
      redis_->Execute({"XACK", keys::Events(shard), keys::kRoutingGroup, id},
                      [cb = std::move(cb)](absl::StatusOr<redis::Reply> r) {
                        if (!r.ok()) return cb(r.status());
                        cb(redis::Reply{});
                      });
    });
  }

  const absl::Time now = clock_->NowMillis();
  std::shared_ptr<const OrgSnapshot> org = org_->Get();
  for (Entry& e : entries) {
    const v1::TicketAccepted& accepted = e.event.accepted();
    RoutingDecision d = Route(org->model, org->matrix, accepted.category(), accepted.location());
    // The least loaded handler on duty (the first in the roster among equals).
    const config::v1::Handler* handler =
        d.needs_manual_routing
            ? nullptr
            : LeastLoaded(OnDutyHandlers(org->config, d.lead_unit_code, d.lead_department, now,
                                         options_.zone),
                          load_);
    const std::string& id = e.event.ticket_id();
    std::shared_ptr<const ClockChange> clocks;
    Transition t;
    t.ticket_id = id;
    t.expected_version = e.event.ticket_version();
    t.allowed_statuses = {v1::TICKET_STATUS_ACCEPTED};
    t.action = "routing";
    t.request_id = absl::StrCat("route:", e.entry_id);
    t.fingerprint = e.entry_id;
    t.now = now;
    google::protobuf::RepeatedPtrField<v1::Handling> handlings(d.handlings.begin(),
                                                               d.handlings.end());
    // (`st` is ROUTED, or what the assignment below makes it.)
    t.set = {{"hdl", ticket_record::EncodeHandlings(handlings)},
             {"manual", d.needs_manual_routing ? "1" : "0"},
             {"orgv", d.org_version}};
    t.remove = {"fb"};  // routed: the placement at the routing grace is not needed
    // Not routed before, so never escalated (nor raised): the supervising tier is the lead unit's.
    for (auto& f : org::LeadUnitFields(org->model, d.lead_unit_code, v1::TIER_UNSPECIFIED)) {
      t.set.push_back(std::move(f));
    }
    v1::TicketEvent routed;
    routed.mutable_actor()->set_id("routing");
    routed.set_reason(d.explanation);
    v1::TicketRouted* r = routed.mutable_routed();
    r->set_unit_code(d.lead_unit_code);
    *r->mutable_handlings() = handlings;
    r->set_org_version(d.org_version);
    r->set_needs_manual_routing(d.needs_manual_routing);
    t.events.emplace_back("routed", std::move(routed));
    if (handler == nullptr) {
      t.set.emplace_back("st", std::to_string(v1::TICKET_STATUS_ROUTED));
    } else {
      AppendAssignment(*handler, /*automatic=*/true, &t);
      // What the assignment meets: the ticket as accepted says which rule holds.
      v1::Ticket accepted_ticket;
      accepted_ticket.set_assign_met_by(accepted.assign_met_by());
      *accepted_ticket.mutable_clocks() = accepted.clocks();
      AppendAssignmentEffect(
          accepted_ticket, *handler, /*self=*/false, now,
          policy_->TargetsFor(accepted.category(), accepted.priority()).sign_for, &t);
      t.counters = {{Transition::Counter::kHandlerLoad, handler->id(), 1}};
      ++load_[handler->id()];
      // Unless a sign-for is awaited, the assignment met the ASSIGN clock (the metrics count it
      // when the transition commits; writes through TicketWriter are counted there).
      if (accepted.assign_met_by() != v1::ASSIGN_MET_BY_SIGN_FOR) {
        auto change = std::make_shared<ClockChange>(accepted_ticket, accepted_ticket);
        for (v1::SlaClock& c : *change->second.mutable_clocks()) {
          if (c.kind() == v1::CLOCK_KIND_ASSIGN && !c.has_met_at()) {
            *c.mutable_met_at() = ToProto(now);
          }
        }
        clocks = std::move(change);
      }
    }
    // Each assisting share gets its on-duty handler too (who signs for the share).
    if (!d.needs_manual_routing) {
      for (int i = 1; i < handlings.size(); ++i) {
        const v1::Handling& share = handlings[i];
        const config::v1::Handler* helper =
            LeastLoaded(OnDutyHandlers(org->config, share.unit_code(), share.department(), now,
                                       options_.zone),
                        load_);
        if (helper == nullptr) continue;
        v1::ShareRef ref;
        ref.set_unit_code(share.unit_code());
        ref.set_department(share.department());
        AppendShareAssignment(i, ref, *helper, /*automatic=*/true, /*self=*/false, now, &t);
      }
    }
    for (auto& [type, event] : t.events) event.mutable_actor()->set_id("routing");
    t.ack_group = keys::kRoutingGroup;
    t.ack_entry = e.entry_id;
    tiers[Urgency(e)].push_back([this, t = std::move(t), shard = e.shard, entry = e.entry_id,
                                 clocks = std::move(clocks)](redis::Callback cb) mutable {
      ApplyRouting(std::move(t), shard, entry, /*attempts_left=*/3, clocks, std::move(cb));
    });
  }
  int routed_count = 0;
  absl::Status first_error;
  for (auto& tier : tiers) {
    for (auto& r : All(redis_, std::move(tier))) {
      if (!r.ok()) {
        if (first_error.ok()) first_error = r.status();
        continue;
      }
      routed_count += r->integer;  // 1 routed now; 0 skipped or replayed
    }
  }
  // A transient failure leaves its event unacknowledged; the next pending read retries it.
  if (!first_error.ok()) {
    pending_checked_ = false;
    return first_error;
  }
  return routed_count;
}

void RoutingWorker::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("routing");
    bool prepared = false;
    auto next_upkeep = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!stop_) {
      if (!prepared) {
        absl::Status s = Prepare();
        if (s.ok()) s = org_->Load();
        prepared = s.ok();
        if (!prepared) {
          log::Warn("routing", "cannot prepare, retrying", {{"error", s.ToString()}});
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
      }
      if (absl::Status s = org_->Refresh(); !s.ok()) {
        log::Warn("routing", "cannot refresh the organisation", {{"error", s.ToString()}});
      }
      // Re-read the handlers' loads now and then: RPCs (returns, reassignments) change them too.
      // By the clock, not by loops: a busy worker loops hundreds of times a second, and each
      // time costs a command per shard (twice).
      if (const auto now = std::chrono::steady_clock::now(); now >= next_upkeep) {
        next_upkeep = now + std::chrono::seconds(30);
        (void)Prepare();
        if (auto claimed = ClaimAbandoned(); !claimed.ok()) {
          log::Warn("routing", "cannot claim abandoned events",
                    {{"error", claimed.status().ToString()}});
        }
      }
      const auto started = std::chrono::steady_clock::now();
      last_read_ = options_.batch;
      absl::StatusOr<int> n = RunOnce(absl::Milliseconds(500));
      // Keeping up: let the next events gather for one read (Options::read_interval).
      if (n.ok() && last_read_ < options_.batch) {
        std::this_thread::sleep_until(started + absl::ToChronoMilliseconds(options_.read_interval));
      }
      if (!n.ok()) {
        log::Warn("routing", "routing pass failed, retrying", {{"error", n.status().ToString()}});
        // Redis is down or refusing: retry soon, without spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  });
}

void RoutingWorker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace dispatch::routing
