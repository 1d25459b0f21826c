// Ledgers: the records operators and supervisors list, read from the shard event streams (the
// events are the record) — EscalationService.ListBreaches (the breaches the timer engine
// recorded) and ListRevisits (the revisit ledger, 回访台账, by unit and month).
//
// Both are one walk (ScanEvents) over the 256 streams, newest first: entries of one type that
// pass a filter, merged over the shards by event time, then stream entry id. The page token
// holds a position in every shard, so pages never repeat or skip an entry, also while new ones
// are recorded (they are newer than the first page and not part of the walk). One request reads
// at most kMaxLedgerScan stream entries: a rare filter may get short (even empty) pages that
// still carry a token.
//
// Unit filters use the organisation's tree (parent links): a breach is in a subtree when the
// unit it is recorded against is; a revisit when the lead unit it revisited is. An unknown
// filter unit is NOT_FOUND. A month is a calendar month in the service's time zone.
// Runs on its own thread (dependent round trips); thread-safe.
#ifndef DISPATCH_SERVICES_ESCALATION_LEDGERS_H_
#define DISPATCH_SERVICES_ESCALATION_LEDGERS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/event_entry.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "common/work_queue.h"
#include "dispatch/v1/escalation.pb.h"
#include "services/org/org_holder.h"
#include "services/readmodel/reader.h"

namespace dispatch::escalation {

inline constexpr int kMaxLedgerScan = 50000;

struct EventPage {
  std::vector<EventEntry> entries;  // newest first
  std::string next_page_token;      // empty when the walk is done
};

// One page of the walk described above: events of `type` for which `keep` is true.
absl::StatusOr<EventPage> ScanEvents(redis::Client* redis, const std::string& type,
                                     const std::function<bool(const EventEntry&)>& keep,
                                     int page_size, const std::string& page_token,
                                     int max_scan = kMaxLedgerScan);

class Ledgers {
 public:
  // `redis`, `org` and `read_model` must outlive this object; months are read in `zone`. With a
  // read model, breaches and revisits are listed from it (readmodel::Reader: one index range
  // per page, tokens "pg:...", UNAVAILABLE while PostgreSQL is down, the subtree as the
  // organisation was when each was recorded; the streams are trimmed after 7 days, so the
  // ledgers cannot come from them); ListBreaches says how far it had caught up.
  Ledgers(redis::Client* redis, const org::OrgHolder* org, absl::TimeZone zone,
          readmodel::Reader* read_model = nullptr)
      : redis_(redis), org_(org), zone_(zone), read_model_(read_model), work_(2) {}

  // The unit filter is the caller's subtree (access::UnitFilter): empty means the caller's unit.
  void Breaches(const v1::ListBreachesRequest& request, const auth::Caller& caller,
                rpc::Reply<v1::ListBreachesResponse> done);
  void Revisits(const v1::ListRevisitsRequest& request, const auth::Caller& caller,
                rpc::Reply<v1::ListRevisitsResponse> done);

 private:
  absl::StatusOr<v1::ListBreachesResponse> BreachesSync(const v1::ListBreachesRequest& request);
  absl::StatusOr<v1::ListBreachesResponse> BreachesFromReadModel(
      const v1::ListBreachesRequest& request);
  absl::StatusOr<v1::ListRevisitsResponse> RevisitsFromReadModel(
      const v1::ListRevisitsRequest& request, absl::Time from, absl::Time to);
  absl::Status CheckReadModelFilter(int page_size, const std::string& unit_code);
  absl::StatusOr<v1::ListRevisitsResponse> RevisitsSync(const v1::ListRevisitsRequest& request);
  // One page of entries of `type` recorded in [from, to) whose unit (`unit_of`) is in
  // `unit_code`'s subtree (every unit when empty; NOT_FOUND for an unknown one).
  absl::StatusOr<EventPage> Walk(
      const std::string& type, const std::string& unit_code, absl::Time from, absl::Time to,
      int page_size, const std::string& page_token,
      const std::function<const std::string&(const v1::TicketEvent&)>& unit_of);
  // The subtree filter for `unit_code` (everything when empty); NOT_FOUND for an unknown unit.
  absl::StatusOr<std::function<bool(const std::string&)>> SubtreeOf(const std::string& unit_code);

  redis::Client* const redis_;
  const org::OrgHolder* const org_;
  const absl::TimeZone zone_;
  readmodel::Reader* const read_model_;
  WorkQueue work_;  // last: its thread stops before the members it uses go
};

}  // namespace dispatch::escalation

#endif  // DISPATCH_SERVICES_ESCALATION_LEDGERS_H_
