// The stored form of a ticket survives a round trip, working-day clocks included.
#include "common/ticket_record.h"

#include <map>

#include "absl/strings/str_cat.h"
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

namespace dispatch::ticket_record {
namespace {

TEST(TicketRecord, TheLeadUnitsPathSharesSignForAndThePlacementComeBack) {
  absl::Time at = absl::FromUnixSeconds(1795500000);
  Fields f = {{"st", "3"}, {"ver", "5"}, {"acc", std::to_string(absl::ToUnixMillis(at))},
              {"asg", "h-1"}, {"asgu", "a:b"}, {"am", "1"},
              {"sfd", std::to_string(absl::ToUnixMillis(at + absl::Minutes(14)))},
              // A unit code with ':' (allowed by the organisation's rules) in the handlings.
              {"hdl", "a:b:3:1;town:1:2;town:19:2"},
              {"s2", absl::StrCat("3:", absl::ToUnixMillis(at + absl::Minutes(3)), "::h-2")}};
  for (auto& field : LeadUnitFields("a:b", v1::TIER_COMMUNITY, {"town", "county", "city"},
                                    v1::TIER_TOWNSHIP)) {
    f.push_back(field);
  }
  auto t = Decode("T20261130-001-AAAAAAAA", AsHgetall(f), "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->responsible_unit_code(), "a:b");
  EXPECT_EQ(t->supervision_tier(), v1::TIER_TOWNSHIP);  // raised above the unit's own tier
  EXPECT_EQ(t->responsible_jurisdiction().community_code(), "a:b");
  EXPECT_EQ(t->responsible_jurisdiction().township_code(), "town");
  EXPECT_EQ(t->responsible_jurisdiction().county_code(), "county");
  EXPECT_EQ(t->responsible_jurisdiction().city_code(), "city");
  EXPECT_TRUE(InSubtree(*t, "county"));
  EXPECT_FALSE(InSubtree(*t, "elsewhere"));
  EXPECT_EQ(t->assign_met_by(), v1::ASSIGN_MET_BY_SIGN_FOR);
  EXPECT_EQ(FromProto(t->sign_for_deadline()), at + absl::Minutes(14));
  ASSERT_EQ(t->handlings_size(), 3);
  EXPECT_EQ(t->handlings(0).unit_code(), "a:b");
  EXPECT_EQ(t->handlings(0).state(), v1::SHARE_STATE_ASSIGNED);  // the ticket is ASSIGNED
  EXPECT_EQ(t->handlings(1).state(), v1::SHARE_STATE_OPEN);      // nobody named
  EXPECT_EQ(t->handlings(2).state(), v1::SHARE_STATE_SIGNED_FOR);
  EXPECT_EQ(t->handlings(2).assignee().id(), "h-2");
  EXPECT_EQ(FromProto(t->handlings(2).signed_for_at()), at + absl::Minutes(3));
  EXPECT_FALSE(t->handlings(2).has_completed_at());
  EXPECT_EQ(FindShare(*t, "town", v1::DEPARTMENT_TERRITORIAL), 2);
  EXPECT_EQ(FindShare(*t, "town", v1::DEPARTMENT_POLICE), -1);
  EXPECT_EQ(NextWakeUp(*t), at + absl::Minutes(14));  // the sign-for deadline

  // An accepted ticket waits for routing until its grace.
  Fields waiting = {{"st", "1"}, {"ver", "1"}, {"acc", std::to_string(absl::ToUnixMillis(at))},
                    {"fb", PlacementField(at + absl::Minutes(5), v1::TIER_COUNTY,
                                          v1::DEPARTMENT_HOUSING, "org-1", {"city"}, "county")}};
  EXPECT_EQ(waiting.back().second,
            absl::StrCat(absl::ToUnixMillis(at + absl::Minutes(5)), "|3|1|org-1|city|county"));
  auto accepted = Decode("T20261130-001-AAAAAAAB", AsHgetall(waiting), "");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(FromProto(accepted->routing_grace_until()), at + absl::Minutes(5));
  EXPECT_EQ(NextWakeUp(*accepted), at + absl::Minutes(5));
}

TEST(TicketRecord, AWorkingDayDeadlineThatAssumedPlainWeekdaysSaysSo) {
  absl::Time at = absl::FromUnixSeconds(1795500000);
  v1::SlaClock c;
  c.set_kind(v1::CLOCK_KIND_RESOLVE);
  c.set_target_working_days(3);
  c.set_day_basis(v1::DAY_BASIS_WORKING);
  c.set_round(1);
  c.set_calendar_assumed(true);
  *c.mutable_started_at() = ToProto(at);
  *c.mutable_deadline() = ToProto(at + absl::Hours(100));
  Fields f = {{"st", "1"}, {"ver", "1"}, {"acc", std::to_string(absl::ToUnixMillis(at))}};
  std::vector<std::string> removed;
  AppendRestartedClock(c, at, &removed, &f);
  EXPECT_EQ((std::map<std::string, std::string>(f.begin(), f.end())["c3"]), "=W3:2:1");
  auto t = Decode("T20261130-001-AAAAAAAA", AsHgetall(f), "");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->clocks_size(), 1);
  EXPECT_TRUE(t->clocks(0).calendar_assumed());
  EXPECT_EQ(t->clocks(0).target_working_days(), 3);
  EXPECT_EQ(FromProto(t->clocks(0).deadline()), at + absl::Hours(100));
}

}  // namespace
}  // namespace dispatch::ticket_record
