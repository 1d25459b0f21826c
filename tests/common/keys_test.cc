#include "common/keys.h"

#include "gtest/gtest.h"

namespace dispatch::keys {
namespace {

TEST(Keys, ShardIsStableAcrossReleases) {
  // Changing these values orphans stored idempotency records: never update them casually.
  EXPECT_EQ(ShardOf("2:12345-2026-000001"), ShardOf("2:12345-2026-000001"));
  EXPECT_EQ(ShardOf(""), static_cast<int>(1469598103934665603ULL % kShardCount));
}

TEST(Keys, ShardsSpreadWorkOrders) {
  std::vector<int> seen(kShardCount);
  for (int i = 0; i < 10000; ++i) ++seen[ShardOf("2:WO-" + std::to_string(i))];
  for (int n : seen) EXPECT_GT(n, 10);
}

TEST(Keys, TicketIdCarriesItsShard) {
  std::string id = MakeTicketId("20261122", 42, "7KQ2M9XZ");
  EXPECT_EQ(id, "T20261122-042-7KQ2M9XZ");
  EXPECT_EQ(ShardOfTicketId(id), 42);
  EXPECT_EQ(ShardOfTicketId("T20261122-999-7KQ2M9XZ"), std::nullopt);
  EXPECT_EQ(ShardOfTicketId("nonsense"), std::nullopt);
}

TEST(Keys, EveryKeyOfAShardSharesOneHashTag) {
  for (const std::string& k :
       {IdempotencyRecord(7, "2:WO1"), Ticket(7, "T20261122-007-AAAAAAAA"), Timers(7),
        AcceptedIndex(7), Events(7), HandlerLoad(7)}) {
    EXPECT_EQ(k.substr(0, 7), "{s:007}") << k;
  }
}

TEST(Keys, IdempotencyKeyPrefersTheWorkOrderId) {
  EXPECT_EQ(IdempotencyKey(2, "WO1", "req-9"), "2:WO1");
  EXPECT_EQ(IdempotencyKey(4, "", "req-9"), "req:req-9");
}

}  // namespace
}  // namespace dispatch::keys
