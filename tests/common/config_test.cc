#include "common/config.h"

#include "common/proto_time.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dispatch {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Config, EmptyFileGivesDefaults) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->listen_address(), "127.0.0.1:50051");
  EXPECT_EQ(c->time_zone(), "Asia/Shanghai");
  EXPECT_THAT(c->services(), ElementsAre("intake", "routing", "escalation"));
  EXPECT_EQ(c->redis().pool_size(), 2);
}

TEST(Config, FlagsOverrideTheFile) {
  ConfigOverrides o;
  o.listen_address = "0.0.0.0:6000";
  o.services = std::vector<std::string>{"intake"};
  auto c = ParseConfig("listen_address: '127.0.0.1:7000' services: 'routing'", o);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->listen_address(), "0.0.0.0:6000");
  EXPECT_THAT(c->services(), ElementsAre("intake"));
}

TEST(Config, SyntaxErrorNamesTheLine) {
  EXPECT_THAT(ParseConfig("listen_address: '1'\nno_such_field: 3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(Config, UnknownServiceIsRejected) {
  EXPECT_THAT(ParseConfig("services: 'billing'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("services")));
}

TEST(Config, TheProjectorNeedsTheReadModelsDatabase) {
  EXPECT_THAT(ParseConfig("services: 'projector'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read_model.conninfo")));
  auto c = ParseConfig("services: 'projector' read_model { conninfo: 'host=/run/postgresql' }");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->read_model().projector_consumer(), "projector-1");
  EXPECT_EQ(c->read_model().projector_batch(), 500);
  EXPECT_THAT(ParseConfig("read_model { projector_batch: 5001 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read_model.projector_batch")));
  // Not among the default services until dispatchd has a read model by default.
  EXPECT_THAT(ParseConfig("")->services(), ElementsAre("intake", "routing", "escalation"));
}

TEST(Config, TheCompositeWeighs10_45_45AndTheExitTriggerIsMoreThan20AndBelow50PercentUnlessConfigured) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  const config::v1::StatisticsOptions& st = c->statistics();
  EXPECT_EQ(st.response_weight(), 10);
  EXPECT_EQ(st.resolution_weight(), 45);
  EXPECT_EQ(st.satisfaction_weight(), 45);
  EXPECT_EQ(st.company_window_months(), 12);
  EXPECT_EQ(st.exit_min_distinct_complainants(), 20);
  EXPECT_EQ(st.exit_satisfaction_below_percent(), 50);
  EXPECT_EQ(FromProto(st.fold_delay()), absl::Seconds(30));
  // A city that weighs differently: a weight it leaves out is 0, not the default.
  auto mine = ParseConfig("statistics { resolution_weight: 50 satisfaction_weight: 50 }");
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(mine->statistics().response_weight(), 0);
  EXPECT_THAT(ParseConfig("statistics { response_weight: 101 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.response_weight")));
  EXPECT_THAT(ParseConfig("statistics { company_window_months: 61 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("statistics.company_window_months")));
  EXPECT_THAT(ParseConfig("statistics { exit_satisfaction_below_percent: 101 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("statistics.exit_satisfaction_below_percent")));
  EXPECT_THAT(ParseConfig("statistics { fold_delay { seconds: 3601 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.fold_delay")));
}

TEST(Config, AMonthIsFinalOnTheSixthOfTheNextMonthUnlessConfiguredWithinTheFirst28Days) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->statistics().close_day(), 6);
  EXPECT_THAT(ParseConfig("statistics { close_day: 1 }"), IsOk());
  EXPECT_THAT(ParseConfig("statistics { close_day: 29 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.close_day")));
  EXPECT_THAT(ParseConfig("statistics { close_day: -1 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.close_day")));
}

TEST(Config, CompaniesAreNoticedBelowNinetyAndBlackListedTwoYearsRunningAndTheRedListWaitsForACitysRule) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->statistics().black_below_score(), 90);
  EXPECT_EQ(c->statistics().black_years(), 2);
  EXPECT_EQ(c->statistics().red_min_score(), 0);
  EXPECT_THAT(ParseConfig("statistics { black_years: 11 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.black_years")));
  EXPECT_THAT(ParseConfig("statistics { red_min_score: 100.5 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statistics.red_min_score")));
  EXPECT_THAT(ParseConfig("statistics { black_below_score: 101 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("statistics.black_below_score")));
}

TEST(Config, ClosedTicketsLeaveRedisAfterThirtyDaysAndPersonalDataGoesAfterThreeYears) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(FromProto(c->read_model().retention()), absl::Hours(24 * 30));
  EXPECT_EQ(FromProto(c->read_model().idempotency_retention()), absl::Hours(24 * 90));
  EXPECT_EQ(FromProto(c->read_model().stream_keep()), absl::Hours(24 * 7));
  EXPECT_EQ(FromProto(c->read_model().pii_retention()), absl::Hours(24 * 1095));
  EXPECT_EQ(c->read_model().reader_connections(), 4);
  EXPECT_THAT(ParseConfig("read_model { retention { seconds: 60 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read_model.retention")));
  EXPECT_THAT(ParseConfig("read_model { stream_keep { seconds: 60 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read_model.stream_keep")));
  EXPECT_THAT(ParseConfig("read_model { stream_keep { seconds: 300 } }"), IsOk());
  EXPECT_THAT(ParseConfig("read_model { pii_retention { seconds: 86400 } }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read_model.pii_retention")));
  EXPECT_THAT(ParseConfig("read_model { reader_connections: 65 } "),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("read_model.reader_connections")));
}

TEST(Config, UnknownTimeZoneIsRejected) {
  EXPECT_THAT(ParseConfig("time_zone: 'Mars/Olympus'"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("time_zone")));
}

TEST(Config, MissingFileIsNotFound) {
  EXPECT_THAT(LoadConfig("/nonexistent/dispatchd.textproto"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent")));
}

}  // namespace
}  // namespace dispatch

namespace dispatch {
namespace {

TEST(Config, LimitsAndGracesHaveDefaultsAndAreChecked) {
  auto c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->limits().max_request_bytes(), 65536);
  EXPECT_EQ(c->limits().max_organisation_bytes(), 4 << 20);
  EXPECT_EQ(c->limits().max_watches(), 1000);
  EXPECT_EQ(c->limits().watch_write_timeout().seconds(), 30);
  EXPECT_EQ(c->routing_grace().seconds(), 300);
  EXPECT_EQ(c->org_refresh_interval().seconds(), 1);
  EXPECT_THAT(ParseConfig("limits { max_request_bytes: 100 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limits.max_request_bytes")));
  EXPECT_THAT(ParseConfig("limits { max_request_bytes: 2000000 max_organisation_bytes: 1000000 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limits.max_organisation_bytes")));
  EXPECT_THAT(ParseConfig("routing_grace { seconds: -5 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("routing_grace")));
}

}  // namespace
}  // namespace dispatch
