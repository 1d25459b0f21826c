// Exactly-once escalation under a crash: four dispatchd processes run the timer engine on one
// real redis-server over 10,000 due tickets; one is killed with SIGKILL mid-run. Every ticket
// must end with exactly one breach and one escalation event, and its state must say so.
// The test waits on Redis (XREAD BLOCK on the event streams), never on a sleep.
#include <map>

#include "absl/strings/str_cat.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/due_tickets.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "common/ticket_record.h"
#include "dispatch/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/dispatchd_process.h"
#include "tests/testing/signed_calls.h"

namespace dispatch {
namespace {

using ::dispatch::testing::Dispatchd;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::RedisServer;

constexpr int kTickets = 10000;
constexpr int kWorkers = 4;

// Reads new entries of every shard stream, blocking up to `block`; returns (type, event) pairs.
std::vector<std::pair<std::string, v1::TicketEvent>> ReadNew(redis::Client& redis,
                                                             std::vector<std::string>& last,
                                                             absl::Duration block) {
  std::vector<std::string> argv = {"XREAD", "COUNT", "5000", "BLOCK",
                                   std::to_string(absl::ToInt64Milliseconds(block)), "STREAMS"};
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(keys::Events(s));
  for (int s = 0; s < keys::kShardCount; ++s) argv.push_back(last[s]);
  std::vector<std::pair<std::string, v1::TicketEvent>> out;
  auto r = redis.ExecuteSync(argv);
  EXPECT_THAT(r, IsOk());
  if (!r.ok() || !r->is_array()) return out;
  for (const auto& stream : r->elements) {
    int shard = *keys::ShardOfKey(stream.elements[0].str);
    for (const auto& item : stream.elements[1].elements) {
      auto entry = DecodeEventEntry(item);
      EXPECT_THAT(entry, IsOk());
      if (!entry.ok()) continue;
      last[shard] = entry->entry_id;
      out.emplace_back(entry->type, std::move(entry->event));
    }
  }
  return out;
}

TEST(EscalationCrash, FourWorkersOneKilledEveryEscalationHappensExactlyOnce) {
  RedisServer server;
  ASSERT_THAT(server.Start(), IsOk());
  redis::HiredisOptions options = server.client_options();
  options.command_timeout = absl::Seconds(30);
  redis::HiredisClient redis(options);

  // 10,000 routed tickets whose assign clocks fall due one after another over two seconds of
  // Redis time (real time), starting a second from now, so that the kill below lands while most
  // are still to come. No warnings: each ticket gets exactly one breach and one escalation.
  auto time = redis.ExecuteSync({"TIME"});
  ASSERT_THAT(time, IsOk());
  absl::Time now = absl::FromUnixSeconds(std::stoll(time->elements[0].str));
  auto ids = testing::CreateDueTickets(
      &redis, kTickets,
      [&](int i) { return now + absl::Seconds(1) + absl::Microseconds(200 * i); }, "crash",
      /*warnings=*/false);
  ASSERT_THAT(ids, IsOk());
  // Start reading after the acceptance events.
  auto ends = EventStreamEnds(&redis);
  ASSERT_THAT(ends, IsOk());
  std::vector<std::string> last = *std::move(ends);

  // Small batches, so the run is many script calls and the kill lands between two of them.
  std::vector<std::unique_ptr<Dispatchd>> workers;
  testing::TestPki pki;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::make_unique<Dispatchd>(std::vector<std::string>{
        "--listen=127.0.0.1:0", "--redis=" + server.address(), "--services=escalation",
        "--org=" DISPATCH_SOURCE_DIR "/deploy/org.textproto",
        "--config=" DISPATCH_SOURCE_DIR "/tests/escalation/crash_worker.textproto",
        "--dev_pki=" + pki.dir()}));
    ASSERT_GT(workers.back()->port(), 0);
  }

  std::map<std::string, int> breached, escalated;
  int events = 0;
  bool killed = false;
  int events_at_kill = 0;
  absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (events < 2 * kTickets && absl::Now() < give_up) {
    for (auto& [type, e] : ReadNew(redis, last, absl::Seconds(1))) {
      ++events;
      if (type == "breached") ++breached[e.ticket_id()];
      if (type == "escalated") ++escalated[e.ticket_id()];
    }
    if (!killed && events >= kTickets / 5) {
      workers[0]->Kill();
      killed = true;
      events_at_kill = events;
    }
  }
  ASSERT_TRUE(killed);
  EXPECT_LT(events_at_kill, 2 * kTickets) << "the kill came after the run, not in the middle";
  // Anything late would show up now: read once more after the others have finished.
  for (auto& [type, e] : ReadNew(redis, last, absl::Milliseconds(500))) {
    ++events;
    if (type == "breached") ++breached[e.ticket_id()];
    if (type == "escalated") ++escalated[e.ticket_id()];
  }

  EXPECT_EQ(events, 2 * kTickets);
  EXPECT_EQ(breached.size(), static_cast<size_t>(kTickets));
  EXPECT_EQ(escalated.size(), static_cast<size_t>(kTickets));
  int wrong = 0;
  for (const std::string& id : *ids) {
    if (breached[id] != 1 || escalated[id] != 1) ++wrong;
    int shard = *keys::ShardOfTicketId(id);
    auto h = redis.ExecuteSync({"HMGET", keys::Ticket(shard, id), "tier", "ver", "c1.br"});
    ASSERT_THAT(h, IsOk());
    if (h->elements[0].str != "2" || h->elements[1].str != "3" || h->elements[2].str != "1") {
      ++wrong;
    }
  }
  EXPECT_EQ(wrong, 0) << "tickets not escalated exactly once";
}

}  // namespace
}  // namespace dispatch
