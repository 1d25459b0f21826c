// RedisClock against a real redis-server: time comes from Redis, and a scaled deployment's
// processes agree.
#include "common/redis_clock.h"

#include <chrono>
#include <future>

#include "common/redis/hiredis_client.h"
#include "common/testing/skewed_time_client.h"
#include "common/testing/redis_server.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::RedisServer;
using ::dispatch::testing::StatusIs;

class RedisClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(server_.Start(), IsOk());
    redis_ = std::make_unique<redis::HiredisClient>(server_.client_options());
  }
  absl::Time RedisNow() {
    auto r = redis_->ExecuteSync({"TIME"});
    return absl::FromUnixSeconds(std::stoll(r->elements[0].str)) +
           absl::Microseconds(std::stoll(r->elements[1].str));
  }
  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> redis_;
};

TEST_F(RedisClockTest, NowIsRedisTime) {
  auto clock = RedisClock::Create(redis_.get());
  ASSERT_THAT(clock, IsOk());
  absl::Time before = RedisNow();
  absl::Time now = (*clock)->Now();
  absl::Time after = RedisNow();
  EXPECT_GE(now, before - absl::Milliseconds(5));
  EXPECT_LE(now, after + absl::Milliseconds(5));
}

TEST_F(RedisClockTest, AScaledDeploymentSharesOneEpochAndRunsFaster) {
  // Pretend the deployment started ten real seconds ago.
  absl::Time epoch = RedisNow() - absl::Seconds(10);
  ASSERT_THAT(redis_->ExecuteSync({"SET", "{time}:epoch", std::to_string(absl::ToUnixMicros(epoch))}),
              IsOk());
  auto a = RedisClock::Create(redis_.get(), 600);
  auto b = RedisClock::Create(redis_.get(), 600);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ((*a)->epoch(), epoch);
  EXPECT_EQ((*b)->epoch(), epoch);
  // Ten real seconds are 6000 service seconds (100 minutes), give or take the test's own time.
  absl::Duration service = (*a)->Now() - epoch;
  EXPECT_GE(service, absl::Seconds(6000));
  EXPECT_LT(service, absl::Seconds(6000 + 600));
  EXPECT_LT(absl::AbsDuration((*a)->Now() - (*b)->Now()), absl::Seconds(60));  // < 0.1 s real
}

TEST_F(RedisClockTest, AScaledClockNeedsRedisAtStartAndAScaleOfAtLeastOne) {
  EXPECT_THAT(RedisClock::Create(redis_.get(), 0.5),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(server_.Stop(), IsOk());
  EXPECT_THAT(RedisClock::Create(redis_.get(), 600), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RedisClockTest, OnAHostWhoseClockIsAnHourBehindRedisItTellsRedisTime) {
  testing::SkewedTimeClient skewed(redis_.get(), absl::Hours(1));
  auto clock = RedisClock::Create(&skewed);
  ASSERT_THAT(clock, IsOk());
  EXPECT_LT(absl::AbsDuration((*clock)->Now() - (absl::Now() + absl::Hours(1))),
            absl::Seconds(5));
}

TEST_F(RedisClockTest, AtScaleOneItStartsWithoutRedisAndTakesRedisTimeWhenItAnswers) {
  // One connection: the TIME a Now() sends is answered before a PING sent after it.
  redis::HiredisOptions one = server_.client_options();
  one.pool_size = 1;
  redis::HiredisClient client(one);
  testing::SkewedTimeClient skewed(&client, absl::Hours(1));
  ASSERT_THAT(server_.Stop(), IsOk());
  auto clock = RedisClock::Create(&skewed, 1.0, absl::ZeroDuration());  // resync every call
  ASSERT_THAT(clock, IsOk());
  EXPECT_LT(absl::AbsDuration((*clock)->Now() - absl::Now()), absl::Seconds(5));  // the host's
  ASSERT_THAT(server_.Start(), IsOk());
  (void)(*clock)->Now();  // asks Redis, without waiting
  ASSERT_THAT(client.ExecuteSync({"PING"}), IsOk());
  EXPECT_GT((*clock)->Now() - absl::Now(), absl::Minutes(59));  // Redis's time from now on
}

TEST_F(RedisClockTest, KeepsTimeWhenRedisGoesAway) {
  auto clock = RedisClock::Create(redis_.get(), 1.0, absl::ZeroDuration());  // resync every call
  ASSERT_THAT(clock, IsOk());
  absl::Time before = (*clock)->Now();
  ASSERT_THAT(server_.Stop(), IsOk());
  absl::Time during = (*clock)->Now();
  EXPECT_GE(during, before);
  EXPECT_LT(during - before, absl::Seconds(5));
}

TEST_F(RedisClockTest, NowInsideARedisCallbackDoesNotWaitForRedis) {
  // One connection: a Now() that waited for TIME inside a callback of that connection's thread
  // would wait for itself.
  redis::HiredisOptions one = server_.client_options();
  one.pool_size = 1;
  redis::HiredisClient client(one);
  auto clock = RedisClock::Create(&client, 1.0, absl::ZeroDuration());  // resync every call
  ASSERT_THAT(clock, IsOk());
  std::promise<absl::Time> in_callback;
  client.Execute({"PING"}, [&](absl::StatusOr<redis::Reply>) {
    in_callback.set_value((*clock)->Now());
  });
  std::future<absl::Time> f = in_callback.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  absl::Time after = RedisNow();
  EXPECT_LE(f.get(), after + absl::Milliseconds(5));
  // The resync it sent lands: later readings still follow Redis.
  absl::Time before = RedisNow();
  absl::Time now = (*clock)->Now();
  EXPECT_GE(now, before - absl::Milliseconds(5));
  EXPECT_LE(now, RedisNow() + absl::Milliseconds(5));
}

}  // namespace
}  // namespace dispatch
