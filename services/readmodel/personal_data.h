// Personal data of complainants (issue #15, under the Personal Information Protection Law):
// the keyed hash that stands in for a phone number, and the erasure of a complainant's name,
// phone and the complaint's free-text address from the archive (the read model) and Redis.
//
// ComplainantKey: HMAC-SHA256 of the phone's digits under a secret key (read_model.
// pii_key_file), hex; the projector stores it with every ticket (tickets.complainant_key), so
// a complainant's tickets can be found and distinct complainants counted without the phone,
// also after it is erased. No key configured: no hash (erasure by phone is then refused).
//
// Eraser: one ticket's erasure is
//   1. in Redis, when the ticket is still there (erase.lua): its complaint, with the data
//      removed, goes to {s}:c:<id> and its TicketAccepted entry (the complaint's other copy)
//      is deleted from the stream, but only once every consumer group has taken it in (the
//      read model holds it); otherwise the ticket waits for a later pass;
//   2. in PostgreSQL, in one transaction: the ticket's stored body and its accepted event.
// The projector keeps an erased row erased (projector.h). Requests are recorded in
// erasure_requests with the tickets still pending; RunOnce (the archiver's pass) finishes
// them and erases every ticket accepted longer ago than the retention.
//
// Thread-safe (one connection, guarded). Blocking: call from a work queue or the archiver.
#ifndef DISPATCH_SERVICES_READMODEL_PERSONAL_DATA_H_
#define DISPATCH_SERVICES_READMODEL_PERSONAL_DATA_H_

#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/pg/pg_client.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/events.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::readmodel {

// "" when `secret` is empty.
std::string ComplainantKey(const std::string& secret, const std::string& phone);
// The secret in `path` (at least 32 bytes, surrounding whitespace ignored); "" for no path.
absl::StatusOr<std::string> LoadPiiKey(const std::string& path);

// Removes the complainant's name and phone and the location's free-text address; marks when.
void Redact(absl::Time at, v1::Complaint* complaint);

class Eraser {
 public:
  struct Options {
    std::string secret;  // ComplainantKey's
    // Tickets accepted longer ago than this are erased by RunOnce. Default 3 years.
    absl::Duration retention = absl::Hours(24 * 365 * 3);
    int batch = 200;
    Clock* clock = nullptr;  // Clock::Real() when null
  };
  // Everything passed must outlive the eraser.
  Eraser(redis::Client* redis, pg::Connection* pg, Options options);

  struct Outcome {
    std::string erasure_id;
    int erased = 0;
    int pending = 0;
  };
  // Records and carries out an erasure request (IntakeService.ErasePersonalData; the caller
  // has validated the fields). The same request_id again returns the first outcome as it is
  // now. NOT_FOUND when no ticket matches; FAILED_PRECONDITION for a phone without a key.
  absl::StatusOr<Outcome> Request(const std::string& request_id, const std::string& phone,
                                  const std::string& ticket_id, const std::string& reason,
                                  const std::string& requested_by);

  // Finishes pending requests, then erases up to `batch` tickets past the retention. Returns
  // how many tickets it erased.
  absl::StatusOr<int> RunOnce();

 private:
  // True when erased, false when it must wait (Redis still needs its accepted entry).
  absl::StatusOr<bool> EraseTicket(const std::string& ticket_id, absl::Time now);
  absl::StatusOr<Outcome> Progress(const std::string& erasure_id);
  absl::Status Advance(const std::string& erasure_id, absl::Time now, int* erased);

  redis::Client* const redis_;
  pg::Connection* const pg_;
  const Options options_;
  Clock* const clock_;
  std::mutex mu_;
};

}  // namespace dispatch::readmodel

#endif  // DISPATCH_SERVICES_READMODEL_PERSONAL_DATA_H_
