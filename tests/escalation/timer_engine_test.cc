// The SLA timer engine against a real redis-server, on a fake clock that the test moves from one
// wake-up to the next: warnings, breaches at their deadline and not a millisecond before, the
// climb community → township → county → city, met and late-met clocks, and every event once.
#include "services/escalation/timer_engine.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/testing/due_tickets.h"
#include "tests/escalation/escalation_fixture.h"

namespace dispatch::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

TEST_F(TimerEngineTest, TheAssignClockFiresAtThirtyMinutesAndNotAMillisecondBefore) {
  std::string id = SubmitAndRoute();
  FireAt(accepted_ + absl::Minutes(30) - absl::Milliseconds(1));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("29 warned c1 80%"));  // 50 % skipped: late
  EXPECT_FALSE(client_->Get(id).clocks(0).breached());

  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_),
              ElementsAre("29 warned c1 80%", "30 breached c1", "30 escalated 1->2"));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.supervision_tier(), v1::TIER_TOWNSHIP);
  EXPECT_TRUE(t.clocks(0).breached());
  // The township must act within its supervision time (24 hours by default).
  const v1::SlaClock& supervision = t.clocks(t.clocks_size() - 1);
  EXPECT_EQ(supervision.kind(), v1::CLOCK_KIND_SUPERVISION);
  EXPECT_EQ(FromProto(supervision.deadline()), accepted_ + absl::Minutes(30) + absl::Hours(24));
  EXPECT_EQ(supervision.round(), 1);
  ExpectTimerMatchesRule(id);
}

TEST_F(TimerEngineTest, AnUntouchedTicketClimbsCommunityTownshipCountyCityAsEachDeadlinePasses) {
  std::string id = SubmitAndRoute();
  ExpectTimerMatchesRule(id);
  // Move the clock to each wake-up the engine asks for, and run the engine twice there (as a
  // second worker would): nothing fires early, nothing twice.
  for (;;) {
    ASSERT_THAT(engine_->RefreshHeads(), IsOk());
    absl::Time next = engine_->NextWakeUp();
    if (next > accepted_ + absl::Hours(80)) break;
    EXPECT_GT(FireAt(next), 0) << "woke at " << next << " for nothing";
    EXPECT_EQ(FireAt(next), 0) << "fired twice at " << next;
    ExpectTimerMatchesRule(id);
  }
  EXPECT_THAT(Timeline(id, accepted_),
              ElementsAreArray<std::string>({
                  "15 warned c1 50%", "24 warned c1 80%",
                  "30 breached c1", "30 escalated 1->2",        // the township supervises
                  "90 warned c2 50%", "144 warned c2 80%",
                  "180 breached c2", "180 escalated 2->3",      // the county supervises
                  "900 warned c5 50%", "1332 warned c5 80%",
                  "1620 breached c5", "1620 escalated 3->4",    // the county let 24 h pass: city
                  "2160 warned c3 50%",
                  "2340 warned c5 50%", "2772 warned c5 80%",
                  "3060 breached c5",                           // the top tier: recorded only
                  "3456 warned c3 80%",
                  "4320 breached c3",                           // 3 days
              }));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.supervision_tier(), v1::TIER_CITY);
  // Every event has its own id and version.
  std::set<std::string> ids;
  int64_t version = 0;
  for (const v1::TicketEvent& e : client_->Events(id)) {
    EXPECT_TRUE(ids.insert(e.event_id()).second) << e.event_id();
    EXPECT_EQ(e.ticket_version(), ++version);
  }
  EXPECT_EQ(t.version(), version);
}

TEST_F(TimerEngineTest, BreachesAreRecordedAgainstTheLeadUnitWithTheirLateness) {
  std::string id = SubmitAndRoute();
  FireAt(accepted_ + absl::Minutes(31));  // a worker that was a minute late
  std::vector<v1::TicketEvent> events = client_->Events(id);
  auto it = std::find_if(events.begin(), events.end(),
                         [](const v1::TicketEvent& e) { return e.has_breached(); });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->breached().unit_code(), kCommunity);
  EXPECT_EQ(it->breached().tier(), v1::TIER_COMMUNITY);
  EXPECT_EQ(FromProto(it->breached().deadline()), accepted_ + absl::Minutes(30));
  EXPECT_EQ(FromProto(it->breached().breached_by()), absl::Minutes(1));
  EXPECT_EQ(it->actor().id(), "system");
  EXPECT_EQ(it->event_id(), absl::StrCat(id, ":", it->ticket_version(), ":breached"));
  EXPECT_EQ(FromProto(it->occurred_at()), accepted_ + absl::Minutes(31));
}

TEST_F(TimerEngineTest, AReturnedTicketRoutedOnToACommunityIsSupervisedThereAndClimbsOneTier) {
  // The community returns the ticket (退单): the county desk holds it, supervised at county.
  std::string id = SubmitAndRoute();
  v1::Ticket returned;
  ASSERT_TRUE(client_->Return(client_->Get(id), "h-cd-wgy", &returned).ok());
  EXPECT_EQ(returned.supervision_tier(), v1::TIER_COUNTY);
  EXPECT_EQ(returned.raised_tier(), v1::TIER_UNSPECIFIED);  // the desk is no escalation
  // The desk routes it on to a community: supervised at the community again.
  v1::Ticket rerouted;
  ASSERT_TRUE(client_->RouteByHand(returned, kCommunity, &rerouted, "route-2").ok());
  EXPECT_EQ(rerouted.supervision_tier(), v1::TIER_COMMUNITY);
  // Its first missed clock raises it one tier, to the township, not from county to city.
  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_),
              ElementsAreArray<std::string>({"30 breached c1", "30 escalated 1->2"}));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.supervision_tier(), v1::TIER_TOWNSHIP);
  EXPECT_EQ(t.raised_tier(), v1::TIER_TOWNSHIP);
  ExpectTimerMatchesRule(id);
}

TEST_F(TimerEngineTest, AnEscalationSurvivesAReturnAndARouteToACommunity) {
  std::string id = SubmitAndRoute();
  FireAt(accepted_ + absl::Minutes(30));  // assign clock missed: the township supervises
  ASSERT_EQ(client_->Get(id).raised_tier(), v1::TIER_TOWNSHIP);
  clock_.Set(accepted_ + absl::Minutes(40));
  v1::Ticket returned, rerouted;
  ASSERT_TRUE(client_->Return(client_->Get(id), "h-cd-wgy", &returned).ok());
  EXPECT_EQ(returned.supervision_tier(), v1::TIER_COUNTY);  // the desk's own tier is higher
  ASSERT_TRUE(client_->RouteByHand(returned, kCommunity, &rerouted, "route-2").ok());
  EXPECT_EQ(rerouted.supervision_tier(), v1::TIER_TOWNSHIP);  // not undone by the route
  FireAt(accepted_ + absl::Hours(3));  // preliminary clock missed: one tier up from there
  EXPECT_THAT(Timeline(id, accepted_),
              ElementsAreArray<std::string>({"30 breached c1", "30 escalated 1->2",
                                             "180 breached c2", "180 escalated 2->3"}));
}

TEST(TimerEngineOptions, CallsInFlightDefaultToEightAndMustBePositive) {
  config::v1::EscalationOptions c;
  auto defaults = TimerEngine::OptionsFromConfig(c);
  ASSERT_THAT(defaults, IsOk());
  EXPECT_EQ(defaults->fire_in_flight, 8);
  c.set_fire_in_flight(2);
  EXPECT_EQ(TimerEngine::OptionsFromConfig(c)->fire_in_flight, 2);
  c.set_fire_in_flight(-1);
  EXPECT_THAT(TimerEngine::OptionsFromConfig(c),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("escalation.fire_in_flight")));
}

TEST_F(TimerEngineTest, TicketsDueInManyShardsAtOnceAreAllEscalatedInOnePassThroughASmallWindow) {
  TimerEngine::Options options;
  options.now_from_clock = true;
  options.fire_in_flight = 3;  // far fewer calls in flight than due shards
  engine_ = std::make_unique<TimerEngine>(engine_redis_.get(), &clock_, options);
  std::vector<std::string> ids;
  std::set<int> shards;
  for (int i = 0; i < 60; ++i) {
    ids.push_back(SubmitAndRoute(absl::StrCat("12345-W", i)));
    shards.insert(*keys::ShardOfTicketId(ids.back()));
  }
  ASSERT_GT(shards.size(), 20u);
  clock_.Set(accepted_ + absl::Minutes(31));
  auto pass = engine_->RunOnce();
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->tickets, 60);
  for (const std::string& id : ids) {
    EXPECT_EQ(client_->Get(id).supervision_tier(), v1::TIER_TOWNSHIP) << id;
    ExpectTimerMatchesRule(id);
  }
  EXPECT_EQ(FireAt(accepted_ + absl::Minutes(31)), 0);  // nothing twice
}

TEST_F(TimerEngineTest, ARedisOutageDelaysEscalationsAndLosesNoneOfThem) {
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(SubmitAndRoute(absl::StrCat("12345-OUT", i)));
  // Redis goes down (its data saved, as AOF would keep it); the assign clocks pass meanwhile.
  ASSERT_THAT(stack_.redis().ExecuteSync({"SAVE"}), IsOk());
  ASSERT_THAT(stack_.redis_server().Stop(), IsOk());
  clock_.Set(accepted_ + absl::Minutes(31));
  auto down = engine_->RunOnce();
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  // Meanwhile reads fail too.
  grpc::ClientContext ctx;
  v1::GetTicketRequest req;
  req.set_ticket_id(ids[0]);
  v1::GetTicketResponse resp;
  EXPECT_EQ(client_->intake().GetTicket(&ctx, req, &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Redis comes back with its data: the engine's next pass escalates every ticket, once.
  ASSERT_THAT(stack_.redis_server().Start(), IsOk());
  auto pass = engine_->RunOnce();
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->tickets, 30);
  for (const std::string& id : ids) {
    EXPECT_EQ(client_->Get(id).supervision_tier(), v1::TIER_TOWNSHIP) << id;
    // Breached when the engine could see it, a minute late, and escalated once.
    EXPECT_THAT(Timeline(id, accepted_), ElementsAre("31 breached c1", "31 escalated 1->2"));
    ExpectTimerMatchesRule(id);
  }
  EXPECT_EQ(FireAt(accepted_ + absl::Minutes(31)), 0);  // nothing twice
}

TEST_F(TimerEngineTest, AMetClockNeverFires) {
  std::string id = SubmitAndRoute();
  clock_.Set(accepted_ + absl::Minutes(10));
  v1::Ticket taken;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &taken).ok());  // signed for at once
  ExpectTimerMatchesRule(id);
  for (absl::Duration d : {absl::Minutes(15), absl::Minutes(30), absl::Hours(2)}) {
    FireAt(accepted_ + d);
  }
  for (const std::string& line : Timeline(id, accepted_)) {
    EXPECT_EQ(line.find("c1"), std::string::npos) << line;
  }
  EXPECT_EQ(client_->Get(id).supervision_tier(), v1::TIER_COMMUNITY);
}

TEST_F(TimerEngineTest, AClockMetLateStillRecordsItsBreachButDoesNotEscalate) {
  std::string id = SubmitAndRoute();
  // Nobody ran the engine; the officer takes the ticket 40 minutes after acceptance.
  clock_.Set(accepted_ + absl::Minutes(40));
  v1::Ticket taken;
  ASSERT_TRUE(client_->Take(client_->Get(id), "h-cd-wgy", &taken).ok());
  ExpectTimerMatchesRule(id);  // due at once: the met time
  FireAt(accepted_ + absl::Minutes(40));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("40 breached c1 met late"));
  std::vector<v1::TicketEvent> events = client_->Events(id);
  EXPECT_EQ(FromProto(events.back().breached().breached_by()), absl::Minutes(10));
  v1::Ticket t = client_->Get(id);
  EXPECT_EQ(t.supervision_tier(), v1::TIER_COMMUNITY);
  EXPECT_TRUE(t.clocks(0).breached());
  ExpectTimerMatchesRule(id);
}

TEST_F(TimerEngineTest, ATicketRoutingNeverPlacedIsOnItsDeskBeforeAnyBreachIsRecorded) {
  // Routing is down and nobody ran the engine for half an hour: the ticket goes to its
  // county's desk in the same step that records its first breach, which is the desk's.
  std::string id = client_->Submit(HotlineComplaint("12345-T9"));
  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_), ElementsAre("30 breached c1", "30 escalated 3->4"));
  std::vector<v1::TicketEvent> events = client_->Events(id);
  ASSERT_EQ(events.size(), 4u);  // accepted, routed (to the desk), breached, escalated
  const v1::TicketEvent& breach = events[2];
  EXPECT_EQ(breach.breached().unit_code(), "430923");  // 安化县's desk, never ""
  EXPECT_EQ(breach.breached().tier(), v1::TIER_COUNTY);
  EXPECT_EQ(client_->Get(id).supervision_tier(), v1::TIER_CITY);
}

TEST_F(TimerEngineTest, TheSweepReArmsATicketWhoseTimerWentMissing) {
  std::string id = SubmitAndRoute();
  int shard = *keys::ShardOfTicketId(id);
  ASSERT_THAT(stack_.redis().ExecuteSync({"ZREM", keys::Timers(shard), id}), IsOk());
  EXPECT_THAT(engine_->Sweep(), ::dispatch::testing::IsOkAndHolds(1));
  ExpectTimerMatchesRule(id);
  EXPECT_THAT(engine_->Sweep(), ::dispatch::testing::IsOkAndHolds(0));
}

TEST_F(TimerEngineTest, TheSweepWalksEachShardsIndexSliceBySlice) {
  // 300 tickets over the 256 shards, every timer lost; slices of 2 tickets, so the walk of a
  // shard with more goes on from where the last slice ended.
  auto ids = testing::CreateDueTickets(
      &stack_.redis(), 300, [&](int) { return clock_.Now() + absl::Hours(1); }, "sweep");
  ASSERT_THAT(ids, IsOk());
  int biggest = 0;
  std::map<int, int> per_shard;
  for (const std::string& id : *ids) {
    biggest = std::max(biggest, ++per_shard[*keys::ShardOfTicketId(id)]);
  }
  ASSERT_GE(biggest, 3);
  for (int s = 0; s < keys::kShardCount; ++s) {
    ASSERT_THAT(stack_.redis().ExecuteSync({"DEL", keys::Timers(s)}), IsOk());
  }
  TimerEngine::Options options;
  options.now_from_clock = true;
  options.sweep_slice = 2;
  TimerEngine engine(engine_redis_.get(), &clock_, options);
  EXPECT_THAT(engine.Sweep(), ::dispatch::testing::IsOkAndHolds(300));
  for (const std::string& id : *ids) ExpectTimerMatchesRule(id);
  EXPECT_THAT(engine.Sweep(), ::dispatch::testing::IsOkAndHolds(0));
}

TEST_F(TimerEngineTest, TheBackgroundSweepLeavesAPauseBetweenItsSlices) {
  // Every shard has an index to walk (one slice each at least): back to back, the 256 slices of
  // a pass take a few milliseconds of Redis each on a large index and starve other clients.
  ASSERT_THAT(testing::CreateDueTickets(
                  &stack_.redis(), 300, [&](int) { return clock_.Now() + absl::Hours(1); },
                  "pace"),
              IsOk());
  TimerEngine::Options options;
  options.now_from_clock = true;
  options.sweep_interval = absl::Milliseconds(1);
  options.sweep_pause = absl::Milliseconds(50);
  TimerEngine engine(engine_redis_.get(), &clock_, options);
  const long before = CommandCalls("xrange");  // one a slice: sweep.lua reads the index
  const auto started = std::chrono::steady_clock::now();
  engine.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  engine.Stop();
  const long elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
  const long slices = CommandCalls("xrange") - before;
  EXPECT_GE(slices, 5);  // it does sweep
  EXPECT_LE(slices, elapsed_ms / 50 + 2) << "in " << elapsed_ms << " ms";
}

TEST_F(TimerEngineTest, ABrokenTicketKeyIsDroppedFromTheTimersWithoutStallingItsShard) {
  std::string id = SubmitAndRoute();
  int shard = *keys::ShardOfTicketId(id);
  std::string broken = absl::StrCat(id.substr(0, 13), "-BROKEN00");
  ASSERT_THAT(stack_.redis().ExecuteSync({"SET", keys::Ticket(shard, broken), "x"}), IsOk());
  ASSERT_THAT(stack_.redis().ExecuteSync({"ZADD", keys::Timers(shard), "1", broken}), IsOk());
  FireAt(accepted_ + absl::Minutes(30));
  EXPECT_THAT(Timeline(id, accepted_),
              ElementsAre("30 breached c1", "30 escalated 1->2"));
  auto score = stack_.redis().ExecuteSync({"ZSCORE", keys::Timers(shard), broken});
  ASSERT_THAT(score, IsOk());
  EXPECT_TRUE(score->is_nil());
}

TEST_F(TimerEngineTest, WithATimeScaleTheScriptRunsOnScaledRedisTime) {
  // Real Redis time, scaled 600x from an epoch one real second ago: service time is about ten
  // minutes ahead of real time. A ticket whose assign clock fell due five service minutes after
  // real now has therefore missed it; unscaled, it has not.
  auto time = stack_.redis().ExecuteSync({"TIME"});
  ASSERT_THAT(time, IsOk());
  const absl::Time real_now = absl::FromUnixSeconds(std::stoll(time->elements[0].str));
  clock_.Set(real_now + absl::Minutes(5) - absl::Minutes(30));
  std::string id = SubmitAndRoute("12345-scaled");

  TimerEngine::Options unscaled;  // Redis TIME as it is
  TimerEngine plain(engine_redis_.get(), &clock_, unscaled);
  clock_.Set(real_now + absl::Hours(1));  // the engine's own pacing clock: look everywhere
  ASSERT_THAT(plain.RunOnce(), IsOk());
  for (const std::string& line : Timeline(id, real_now)) {
    EXPECT_EQ(line.find("breached"), std::string::npos) << line;
  }

  TimerEngine::Options scaled;
  scaled.scale = 600;
  scaled.epoch = real_now - absl::Seconds(1);
  TimerEngine fast(engine_redis_.get(), &clock_, scaled);
  auto pass = fast.RunOnce();
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->tickets, 1);
  std::vector<v1::TicketEvent> events = client_->Events(id);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.back().has_escalated() || events.back().has_breached());
  // Service time at the firing: at least ten minutes ahead of real time.
  EXPECT_GE(FromProto(events.back().occurred_at()), real_now + absl::Minutes(9));
}

std::string ReadSource(const std::string& path) {
  std::ifstream in(absl::StrCat(DISPATCH_SOURCE_DIR, "/", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(TimerEngineTest, UnderATimeScaleTheScriptTellsTheTimeRedisClockTells) {
  // fire.lua as embedded (wake.lua included), run in one transaction between two TIMEs, so its
  // "now" must lie between RedisClock's formula applied to each of them.
  const std::string fire = absl::StrReplaceAll(
      ReadSource("services/escalation/lua/fire.lua"),
      {{"--@include wake.lua", ReadSource("common/lua/lib/wake.lua")}});
  redis::HiredisOptions options = stack_.redis_options();
  options.pool_size = 1;  // MULTI ... EXEC on one connection
  redis::HiredisClient redis(options);
  auto micros = [](const redis::Reply& time) {
    return std::stoll(time.elements[0].str) * 1000000 + std::stoll(time.elements[1].str);
  };
  auto sha = redis.ExecuteSync({"SCRIPT", "LOAD", fire});  // compiled before, not in between
  ASSERT_THAT(sha, IsOk());
  auto time = redis.ExecuteSync({"TIME"});
  ASSERT_THAT(time, IsOk());
  constexpr double kScale = 600;
  int conclusive = 0;
  for (int trial = 0; trial < 40 && conclusive < 8; ++trial) {
    // Epochs a second or so ago, alternately on a whole millisecond and 0.999 ms past one:
    // a script that dropped sub-millisecond parts would be up to 600 ms off at 600x, one way
    // or the other depending on where TIME falls within its millisecond.
    const int64_t epoch_us = (micros(*time) / 1000 - 1000 - trial) * 1000 + (trial % 2) * 999;
    ASSERT_THAT(redis.ExecuteSync({"MULTI"}), IsOk());
    ASSERT_THAT(redis.ExecuteSync({"TIME"}), IsOk());
    ASSERT_THAT(redis.ExecuteSync({"EVALSHA", sha->str, "2", keys::Timers(0), keys::Events(0),
                                   "10", "", std::to_string(epoch_us), "600", "3", "1", "1", "1"}),
                IsOk());
    ASSERT_THAT(redis.ExecuteSync({"TIME"}), IsOk());
    auto exec = redis.ExecuteSync({"EXEC"});
    ASSERT_THAT(exec, IsOk());
    ASSERT_EQ(exec->elements.size(), 3u);
    const int64_t before = micros(exec->elements[0]), after = micros(exec->elements[2]);
    // Redis was preempted between the TIMEs: the bounds are too far apart to tell. Try again.
    if (after - before > 200) continue;
    ++conclusive;
    const absl::Time epoch = absl::FromUnixMicros(epoch_us);
    auto scaled_ms = [&](int64_t us) {  // RedisClock::Scaled, in whole milliseconds
      return absl::ToUnixMillis(epoch + (absl::FromUnixMicros(us) - epoch) * kScale);
    };
    const int64_t now = exec->elements[1].elements[3].integer;
    EXPECT_GE(now, scaled_ms(before) - 1) << "trial " << trial;
    EXPECT_LE(now, scaled_ms(after) + 1) << "trial " << trial;
  }
  EXPECT_GE(conclusive, 3) << "the machine is too busy to measure";
}

class WorkingDayTimerTest : public TimerEngineTest {
 protected:
  void SetUp() override {
    Start(absl::StrCat("calendar_dir: '", DISPATCH_SOURCE_DIR, "/deploy/calendar' ",
                       "sla { defaults { resolve_day_basis: DAY_BASIS_WORKING "
                       "resolve_working_days: 3 } warn_percent: [80] }"));
  }
};

TEST_F(WorkingDayTimerTest, AComplaintAcceptedAt1750OnTheEveOfNationalDayBreachesOn11October) {
  // 1-7 October are off; 8, 9 and the make-up Saturday 10 October count.
  absl::Time eve = Shanghai(2026, 9, 30, 17, 50);
  clock_.Set(eve);
  std::string id = SubmitAndRoute("12345-T-eve");
  absl::Time due = Shanghai(2026, 10, 11, 0, 0);
  EXPECT_EQ(FromProto(client_->Get(id).clocks(2).deadline()), due);
  FireAt(due - absl::Milliseconds(1));
  for (const std::string& line : Timeline(id, eve)) {
    EXPECT_EQ(line.find("breached c3"), std::string::npos) << line;
  }
  FireAt(due);
  std::vector<std::string> timeline = Timeline(id, eve);
  EXPECT_EQ(std::count(timeline.begin(), timeline.end(),
                       absl::StrCat(absl::ToInt64Minutes(due - eve), " breached c3")),
            1)
      << absl::StrJoin(timeline, "; ");
}

}  // namespace
}  // namespace dispatch::escalation
