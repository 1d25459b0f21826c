// Conversions between absl time types and google.protobuf Timestamp/Duration, and the one
// check on a time a request reports.
#ifndef DISPATCH_COMMON_PROTO_TIME_H_
#define DISPATCH_COMMON_PROTO_TIME_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace dispatch {

inline google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
inline google::protobuf::Duration ToProto(absl::Duration d) {
  return google::protobuf::util::TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}
inline absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
inline absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}
inline bool IsZero(const google::protobuf::Duration& d) { return d.seconds() == 0 && d.nanos() == 0; }

// Unix milliseconds: the unit of every time stored in Redis.
inline int64_t ToUnixMs(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(t);
}
inline google::protobuf::Timestamp TimestampFromUnixMs(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

// How far ahead of the service's time a time a caller reports may lie: the clocks of
// gateways, phones and the service's Redis never agree exactly.
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);

// A time a caller reports (reported_at, contact, feedback, revisit): INVALID_ARGUMENT naming
// `field` when it lies more than kMaxClockSkew after `now`; an unset Timestamp (the epoch)
// passes.
inline absl::Status CheckReportedTime(const google::protobuf::Timestamp& t, absl::string_view field,
                                      absl::Time now) {
  if (FromProto(t) > now + kMaxClockSkew) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": in the future (after ",
        absl::FormatTime(absl::RFC3339_sec, now + kMaxClockSkew, absl::UTCTimeZone()),
        ", the service's time plus ", absl::FormatDuration(kMaxClockSkew), " of clock skew)"));
  }
  return absl::OkStatus();
}

}  // namespace dispatch

#endif  // DISPATCH_COMMON_PROTO_TIME_H_
