// A fixture for SLA-engine tests: dispatchd in-process (real gRPC, a real redis-server, a fake
// clock) without background workers, a TimerEngine the test drives, and helpers that read
// like the case: submit and route, fire the engine at a time, the ticket's timeline.
#ifndef DISPATCH_TESTS_ESCALATION_ESCALATION_FIXTURE_H_
#define DISPATCH_TESTS_ESCALATION_ESCALATION_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/sample_complaint.h"
#include "common/testing/status_matchers.h"
#include "common/testing/time.h"
#include "common/ticket_record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/escalation/timer_engine.h"
#include "tests/testing/server_stack.h"
#include "tests/testing/test_client.h"

namespace dispatch::escalation {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::Shanghai;

constexpr char kCommunity[] = "430923100001";  // 城东社区, under 东坪镇, 安化县

class TimerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }

  // dispatchd in-process without its background workers; the test drives the timer engine.
  void Start(const std::string& extra_config) {
    ASSERT_THAT(stack_.Start(absl::StrCat("services: ['intake', 'routing', 'escalation'] "
                                          "routing_worker_disabled: true "
                                          "escalation { worker_disabled: true } org_file: '",
                                          DISPATCH_SOURCE_DIR, "/deploy/org.textproto' ",
                                          extra_config),
                             &clock_),
                IsOk());
    engine_redis_ = std::make_unique<redis::HiredisClient>(stack_.redis_options());
    client_ = std::make_unique<testing::TestClient>(stack_.channel(), &stack_.redis());
    TimerEngine::Options options;
    options.now_from_clock = true;
    engine_ = std::make_unique<TimerEngine>(engine_redis_.get(), &clock_, options);
  }

  // A complaint accepted now and routed by hand to the community, nobody assigned.
  std::string SubmitAndRoute(const std::string& work_order = "12345-T1") {
    std::string id = client_->Submit(HotlineComplaint(work_order));
    v1::Ticket routed;
    EXPECT_TRUE(client_->RouteByHand(client_->Get(id), kCommunity, &routed).ok());
    EXPECT_EQ(routed.supervision_tier(), v1::TIER_COMMUNITY);
    return id;
  }

  // How many times the stack's Redis has run `command` (lower case, e.g. "xread"), from
  // INFO commandstats.
  long CommandCalls(const std::string& command) {
    auto info = stack_.redis().ExecuteSync({"INFO", "commandstats"});
    EXPECT_TRUE(info.ok()) << info.status();
    const std::string field = "cmdstat_" + command + ":calls=";
    const size_t at = info.ok() ? info->str.find(field) : std::string::npos;
    return at == std::string::npos ? 0L : std::stol(info->str.substr(at + field.size()));
  }

  // Runs the engine at `t`; returns how many events it appended.
  int64_t FireAt(absl::Time t) {
    clock_.Set(t);
    auto pass = engine_->RunOnce();
    EXPECT_THAT(pass, IsOk());
    return pass.ok() ? pass->events : -1;
  }

  // "<minutes after acceptance> <what>" for each clock event of the ticket, in stream order.
  std::vector<std::string> Timeline(const std::string& id, absl::Time accepted) {
    std::vector<std::string> out;
    for (const v1::TicketEvent& e : client_->Events(id)) {
      int64_t at = absl::ToInt64Minutes(FromProto(e.occurred_at()) - accepted);
      if (e.has_warned()) {
        out.push_back(absl::StrCat(at, " warned c", e.warned().clock(), " ",
                                   e.warned().percent_elapsed(), "%"));
      } else if (e.has_breached()) {
        out.push_back(absl::StrCat(at, " breached c", e.breached().clock(),
                                   e.breached().met_late() ? " met late" : ""));
      } else if (e.has_escalated()) {
        out.push_back(absl::StrCat(at, " escalated ", e.escalated().from_tier(), "->",
                                   e.escalated().to_tier()));
      }
    }
    return out;
  }

  // The ticket's timer entry, and its next wake-up by the C++ rule (ticket_record::NextWakeUp)
  // over the stored hash: the scripts and the C++ code must agree.
  void ExpectTimerMatchesRule(const std::string& id) {
    int shard = *keys::ShardOfTicketId(id);
    auto score = stack_.redis().ExecuteSync({"ZSCORE", keys::Timers(shard), id});
    auto hash = stack_.redis().ExecuteSync({"HGETALL", keys::Ticket(shard, id)});
    ASSERT_THAT(score, IsOk());
    ASSERT_THAT(hash, IsOk());
    auto ticket = ticket_record::Decode(id, *hash, "");
    ASSERT_THAT(ticket, IsOk());
    absl::Time rule = ticket_record::NextWakeUp(*ticket);
    if (rule == absl::InfiniteFuture()) {
      EXPECT_TRUE(score->is_nil()) << id;
    } else {
      ASSERT_FALSE(score->is_nil()) << id;
      EXPECT_EQ(std::stoll(score->str), absl::ToUnixMillis(rule)) << id;
    }
  }

  // Monday 23 November 2026, 10:00 in Shanghai.
  const absl::Time accepted_ = Shanghai(2026, 11, 23, 10, 0);
  FakeClock clock_{accepted_};
  testing::ServerStack stack_;
  std::unique_ptr<redis::HiredisClient> engine_redis_;
  std::unique_ptr<testing::TestClient> client_;
  std::unique_ptr<TimerEngine> engine_;
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_TESTS_ESCALATION_ESCALATION_FIXTURE_H_
