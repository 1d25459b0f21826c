#include "services/intake/validation.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/proto_time.h"
#include "common/testing/sample_complaint.h"

namespace dispatch::intake {
namespace {

using ::dispatch::testing::HotlineComplaint;
using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;

// The service's time when the requests arrive.
const absl::Time kNow = absl::FromUnixSeconds(1795000000);  // November 2026

MATCHER_P(RejectsField, field, "") {
  return ::testing::ExplainMatchResult(
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(std::string(field) + ":")),
      ValidateSubmit(arg, kNow), result_listener);
}

TEST(Validation, ARealisticHotlineComplaintPasses) {
  EXPECT_THAT(ValidateSubmit(HotlineComplaint("WO-1"), kNow), IsOk());
}

TEST(Validation, DescriptionIsRequired) {
  auto r = HotlineComplaint("WO-1");
  r.mutable_complaint()->set_description("   ");
  EXPECT_THAT(r, RejectsField("complaint.description"));
  r.mutable_complaint()->set_description("\u3000\u3000 \u3000");  // full-width spaces (IME)
  EXPECT_THAT(r, RejectsField("complaint.description"));
}

TEST(Validation, DescriptionLimitCountsCharacters) {
  auto r = HotlineComplaint("WO-1");
  std::string at_limit;
  for (size_t i = 0; i < kMaxDescriptionChars; ++i) at_limit += "修";
  r.mutable_complaint()->set_description(at_limit);
  EXPECT_THAT(ValidateSubmit(r, kNow), IsOk());  // 6000 bytes, 2000 characters
  r.mutable_complaint()->set_description(at_limit + "修");
  EXPECT_THAT(r, RejectsField("complaint.description"));
}

TEST(Validation, CategoryAndChannelMustBeKnown) {
  auto r = HotlineComplaint("WO-1");
  r.mutable_complaint()->set_category(static_cast<v1::Category>(777));
  EXPECT_THAT(r, RejectsField("complaint.category"));
  r = HotlineComplaint("WO-1");
  r.mutable_complaint()->set_category(v1::CATEGORY_UNSPECIFIED);
  EXPECT_THAT(r, RejectsField("complaint.category"));
  r = HotlineComplaint("WO-1");
  r.mutable_complaint()->set_channel(v1::CHANNEL_UNSPECIFIED);
  EXPECT_THAT(r, RejectsField("complaint.channel"));
}

TEST(Validation, PhoneMustBeAPhoneNumber) {
  auto r = HotlineComplaint("WO-1");
  r.mutable_complaint()->mutable_complainant()->set_phone("138-1234");
  EXPECT_THAT(r, RejectsField("complaint.complainant.phone"));
  r.mutable_complaint()->mutable_complainant()->clear_phone();
  EXPECT_THAT(r, RejectsField("complaint.complainant.phone"));
}

TEST(Validation, InvalidUtf8IsNamed) {
  auto r = HotlineComplaint("WO-1");
  r.mutable_complaint()->mutable_location()->set_address("3\xff\xfe");
  EXPECT_THAT(r, RejectsField("complaint.location.address"));
}

TEST(Validation, AWalkInWithoutWorkOrderNeedsARequestId) {
  auto r = HotlineComplaint("");
  r.mutable_complaint()->set_channel(v1::CHANNEL_WALK_IN);
  EXPECT_THAT(r, RejectsField("request_id"));
  r.set_request_id("desk-3-2026-11-23-0007");
  EXPECT_THAT(ValidateSubmit(r, kNow), IsOk());
}

TEST(Validation, GatewayChannelsMustSendTheirWorkOrderId) {
  for (v1::Channel channel : {v1::CHANNEL_HOTLINE_12345, v1::CHANNEL_PROVINCIAL_TRANSFER_SYSTEM,
                              v1::CHANNEL_PETITION_PLATFORM}) {
    auto r = HotlineComplaint("");
    r.mutable_complaint()->set_channel(channel);
    r.set_request_id("req-1");  // a request id does not replace the work order
    EXPECT_THAT(r, RejectsField("complaint.channel_work_order_id"));
  }
}

TEST(Validation, LocationNeedsSomethingToRouteBy) {
  auto r = HotlineComplaint("WO-1");
  r.mutable_complaint()->mutable_location()->Clear();
  EXPECT_THAT(r, RejectsField("complaint.location"));
}

TEST(Validation, EveryViolationIsListed) {
  auto r = HotlineComplaint("bad id with spaces");
  r.mutable_complaint()->clear_description();
  r.mutable_complaint()->mutable_complainant()->set_phone("x");
  absl::Status s = ValidateSubmit(r, kNow);
  EXPECT_THAT(s.message(), HasSubstr("complaint.channel_work_order_id:"));
  EXPECT_THAT(s.message(), HasSubstr("complaint.description:"));
  EXPECT_THAT(s.message(), HasSubstr("complaint.complainant.phone:"));
}

TEST(Validation, AReportedTimeInTheFutureIsRefusedBeyondFiveMinutesOfClockSkew) {
  auto r = HotlineComplaint("WO-1");
  *r.mutable_complaint()->mutable_reported_at() = ToProto(kNow + absl::Minutes(4));
  EXPECT_THAT(ValidateSubmit(r, kNow), IsOk());  // a gateway's clock a little ahead
  *r.mutable_complaint()->mutable_reported_at() = ToProto(kNow + absl::Hours(24));
  EXPECT_THAT(ValidateSubmit(r, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("complaint.reported_at: in the future")));
}

}  // namespace
}  // namespace dispatch::intake
