// Intake: accepts complaints and answers ticket reads. The logic behind IntakeService.
//
// Submit: validate (validation.h) → derive the idempotency key and shard → stamp acceptance
// time from the Clock (Redis time in dispatchd) → compute the clocks from the SlaPolicy → find
// the dispatch desk the ticket goes to if routing has not placed it within the routing grace
// (its county's, else the city's; ticket_record::PlacementField) → one atomic write
// (TicketStore::Create). A re-send of the same (channel, work-order id) returns the stored
// ticket with created=false; a re-send with different content gets ALREADY_EXISTS. Read
// responses mask the complainant's contact data (CONTACT_VIEW_FULL needs the pii role and a
// reason, and is logged).
//
// Thread-safe; all methods are asynchronous and call `done` exactly once.
#ifndef DISPATCH_SERVICES_INTAKE_INTAKE_H_
#define DISPATCH_SERVICES_INTAKE_INTAKE_H_

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "dispatch/v1/intake.pb.h"
#include "services/escalation/sla_policy.h"
#include "services/org/org_holder.h"
#include "common/ticket_store.h"
#include "services/intake/pii_log.h"
#include "services/readmodel/personal_data.h"
#include "services/readmodel/reader.h"
#include "common/work_queue.h"

namespace dispatch::intake {

// The rules of a contact view: CONTACT_VIEW_FULL needs the pii role and a reason.
absl::Status CheckView(const auth::Caller& caller, v1::ContactView view,
                       const std::string& reason);

class Intake {
 public:
  struct Options {
    absl::TimeZone zone = absl::UTCTimeZone();
    // How long routing may take before an accepted ticket goes to its dispatch desk.
    absl::Duration routing_grace = absl::Minutes(5);
    // The archive (must outlive this object): a ticket no longer in Redis (closed past the
    // retention) is read from it, by id and by work order. Null: Redis only.
    readmodel::Reader* read_model = nullptr;
    // Carries out ErasePersonalData (must outlive this object); null: FAILED_PRECONDITION.
    readmodel::Eraser* eraser = nullptr;
  };
  // `redis`, `clock` and `org` must outlive this object.
  Intake(redis::Client* redis, Clock* clock, SlaPolicy policy, const org::OrgHolder* org,
         Options options);

  // Submissions only for the caller's channels (a gateway's); reads only of tickets the caller
  // may see (access::CheckRead, NOT_FOUND otherwise); a full contact view needs the pii role and
  // a reason and is logged (PiiLog) before it is shown.
  void Submit(const v1::SubmitComplaintRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::SubmitComplaintResponse> done);
  void Get(const v1::GetTicketRequest& request, const auth::Caller& caller,
           rpc::Reply<v1::GetTicketResponse> done);
  void Lookup(const v1::LookupTicketRequest& request, const auth::Caller& caller,
              rpc::Reply<v1::GetTicketResponse> done);
  void ListPersonalDataAccess(const v1::ListPersonalDataAccessRequest& request,
                              const auth::Caller& caller,
                              rpc::Reply<v1::ListPersonalDataAccessResponse> done);
  // Validates and hands the erasure to the eraser (readmodel/personal_data.h).
  void ErasePersonalData(const v1::ErasePersonalDataRequest& request, const auth::Caller& caller,
                         rpc::Reply<v1::ErasePersonalDataResponse> done);

 private:
  struct Submission;
  void Write(std::shared_ptr<Submission> s, int attempt);
  // Reads a ticket for `caller` (null: intake itself, a re-send's answer, masked).
  void ReadBack(const std::string& ticket_id, const auth::Caller* caller, v1::ContactView view,
                const std::string& reason,
                std::function<void(absl::StatusOr<v1::Ticket>)> done);
  // ReadBack's second half: the access check and the contact view of a ticket read.
  void Present(absl::StatusOr<v1::Ticket> t, const std::optional<auth::Caller>& who,
               v1::ContactView view, const std::string& reason,
               std::function<void(absl::StatusOr<v1::Ticket>)> done);

  TicketStore store_;
  PiiLog pii_;
  Clock* const clock_;
  const SlaPolicy policy_;
  const org::OrgHolder* const org_;
  const Options options_;
  std::unique_ptr<WorkQueue> archive_work_;  // archive reads block; last: stops first
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_INTAKE_H_
