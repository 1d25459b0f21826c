// Validation of SubmitComplaintRequest: every rule a complaint must meet before it is accepted.
//
//   request_id                      required when the channel gives no work-order id;
//                                   1-64 characters of [A-Za-z0-9._:-]
//   complaint                       required
//   complaint.channel               required, a known Channel
//   complaint.channel_work_order_id 1-64 characters of [A-Za-z0-9._:-]; required for channels
//                                   whose gateways re-send (12345 hotline, provincial transfer
//                                   system, petition platform)
//   complaint.category              required, a known Category
//   complaint.priority              a known Priority if given
//   complaint.title                 at most 100 characters
//   complaint.description           required (not blank), at most 2000 characters
//   complaint.location              required; at least one of jurisdiction.community_code,
//                                   estate_name or address; estate_name <= 100, address <= 200,
//                                   unit codes 1-32 characters of [A-Za-z0-9._:-]
//   complaint.complainant           required; name <= 50; phone required, mobile or landline
//   complaint.property_company      at most 100 characters
//   complaint.reported_at           a valid timestamp, not more than kMaxClockSkew (5 min)
//                                   after `now` (common/proto_time.h)
//   every text field                valid UTF-8; lengths count characters, not bytes
//
// Returns INVALID_ARGUMENT listing every violation as "<field>: <rule>", separated by "; ".
#ifndef DISPATCH_SERVICES_INTAKE_VALIDATION_H_
#define DISPATCH_SERVICES_INTAKE_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "dispatch/v1/intake.pb.h"

namespace dispatch::intake {

inline constexpr size_t kMaxDescriptionChars = 2000;

absl::Status ValidateSubmit(const v1::SubmitComplaintRequest& request, absl::Time now);

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_VALIDATION_H_
