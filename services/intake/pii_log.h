// PiiLog: the personal-data access log (PIPL). Every time a caller is shown a complainant's full
// contact data, one entry: who (subject and unit), whose ticket, when, why, through which RPC.
// Admins list it (IntakeService.ListPersonalDataAccess), newest first. Entries are kept at
// least six months: each write trims entries older than kRetention (200 days).
//
// Redis key {audit}:pii (keys::PiiAccessLog), a stream, fields s (subject), u (unit),
// t (ticket), r (reason), m (method), at (unix ms).
// Thread-safe; asynchronous.
#ifndef DISPATCH_SERVICES_INTAKE_PII_LOG_H_
#define DISPATCH_SERVICES_INTAKE_PII_LOG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/intake.pb.h"

namespace dispatch::intake {

inline constexpr absl::Duration kPiiLogRetention = absl::Hours(24 * 200);

class PiiLog {
 public:
  // Both must outlive this object.
  PiiLog(redis::Client* redis, Clock* clock) : redis_(redis), clock_(clock) {}

  // Logs that `caller` saw the contact data of `tickets` for `reason`; `done` gets OK only once
  // every entry is written (the data is shown only then).
  void Record(const auth::Caller& caller, const std::vector<std::string>& tickets,
              const std::string& reason, std::function<void(absl::Status)> done);

  // One page, newest first; bounded (a short page may carry a token).
  absl::StatusOr<v1::ListPersonalDataAccessResponse> List(
      const v1::ListPersonalDataAccessRequest& request);

 private:
  redis::Client* const redis_;
  Clock* const clock_;
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_PII_LOG_H_
