// The stored form of a ticket survives a round trip, working-day clocks included.
#include "common/ticket_record.h"

#include <map>

#include "common/proto_time.h"
#include "common/testing/sample_complaint.h"
#include "gtest/gtest.h"

namespace dispatch::ticket_record {
namespace {

redis::Reply AsHgetall(const Fields& fields) {
  redis::Reply r;
  r.type = redis::Reply::Type::kArray;
  for (const auto& [k, v] : fields) {
    redis::Reply key, value;
    key.type = value.type = redis::Reply::Type::kString;
    key.str = k;
    value.str = v;
    r.elements.push_back(key);
    r.elements.push_back(value);
  }
  return r;
}

TEST(TicketRecord, RoundTripKeepsClocksAndState) {
  v1::Ticket t;
  t.set_ticket_id("T20261130-001-AAAAAAAA");
  t.set_version(1);
  t.set_status(v1::TICKET_STATUS_ACCEPTED);
  t.set_priority(v1::PRIORITY_NORMAL);
  absl::Time at = absl::FromUnixSeconds(1795500000);
  *t.mutable_accepted_at() = ToProto(at);
  *t.mutable_updated_at() = ToProto(at);
  t.set_sla_policy_version("p1");
  v1::SlaClock* assign = t.add_clocks();
  assign->set_kind(v1::CLOCK_KIND_ASSIGN);
  *assign->mutable_target() = ToProto(absl::Minutes(30));
  assign->set_day_basis(v1::DAY_BASIS_CALENDAR);
  assign->set_round(1);
  *assign->mutable_started_at() = ToProto(at);
  *assign->mutable_deadline() = ToProto(at + absl::Minutes(30));
  v1::SlaClock* resolve = t.add_clocks();
  resolve->set_kind(v1::CLOCK_KIND_RESOLVE);
  resolve->set_target_working_days(3);
  resolve->set_day_basis(v1::DAY_BASIS_WORKING);
  resolve->set_round(1);
  *resolve->mutable_started_at() = ToProto(at);
  *resolve->mutable_deadline() = ToProto(at + absl::Hours(120));

  std::string complaint = testing::HotlineComplaint("WO-1").complaint().SerializeAsString();
  auto back = Decode(t.ticket_id(), AsHgetall(Encode(t)), complaint);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version(), 1);
  ASSERT_EQ(back->clocks_size(), 2);
  EXPECT_EQ(FromProto(back->clocks(0).target()), absl::Minutes(30));
  EXPECT_EQ(back->clocks(1).target_working_days(), 3);
  EXPECT_FALSE(back->clocks(1).has_target());
  EXPECT_EQ(FromProto(back->clocks(1).deadline()), at + absl::Hours(120));
  EXPECT_EQ(back->complaint().complainant().phone(), "13812345678");
  EXPECT_EQ(NextWakeUp(*back), at + absl::Minutes(30));
}

TEST(TicketRecord, AnEmptyHashIsNotFoundAndCorruptDataIsDataLoss) {
  EXPECT_TRUE(absl::IsNotFound(Decode("T1", redis::Reply{}, "").status()));
  EXPECT_TRUE(absl::IsDataLoss(Decode("T1", AsHgetall({{"ver", "x"}}), "").status()));
}

}  // namespace
}  // namespace dispatch::ticket_record

namespace dispatch::ticket_record {
namespace {

std::map<std::string, std::string> AsMap(const Fields& fields) {
  return std::map<std::string, std::string>(fields.begin(), fields.end());
}

TEST(TicketRecord, StoresOnlyWhatCannotBeDerived) {
  absl::Time at = absl::FromUnixMillis(1795500000123);
  v1::SlaClock first;  // started at acceptance, deadline = start + target
  first.set_kind(v1::CLOCK_KIND_ASSIGN);
  *first.mutable_target() = ToProto(absl::Minutes(30));
  first.set_day_basis(v1::DAY_BASIS_CALENDAR);
  first.set_round(1);
  *first.mutable_started_at() = ToProto(at);
  *first.mutable_deadline() = ToProto(at + absl::Minutes(30));
  Fields f;
  std::vector<std::string> removed;
  AppendRestartedClock(first, at, &removed, &f);
  EXPECT_EQ(AsMap(f), (std::map<std::string, std::string>{{"c1", "=1800000:1:1"}}));
  // What an earlier clock of that kind may have left is removed first.
  EXPECT_EQ(removed, (std::vector<std::string>{"c1.due", "c1.met", "c1.br", "c1.w"}));

  v1::SlaClock extended = first;  // a later round whose deadline was moved
  extended.set_round(2);
  *extended.mutable_started_at() = ToProto(at + absl::Hours(1));
  *extended.mutable_deadline() = ToProto(at + absl::Hours(5));
  f.clear();
  AppendRestartedClock(extended, at, &removed, &f);
  EXPECT_EQ(AsMap(f), (std::map<std::string, std::string>{
                          {"c1", "1795503600123:1800000:1:2"}, {"c1.due", "1795518000123"}}));
}

}  // namespace
}  // namespace dispatch::ticket_record
