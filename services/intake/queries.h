// TicketQueries: the read side for dashboards and gateways — IntakeService.GetTicketHistory and
// ListTickets.
//
// GetTicketHistory: the ticket's events, oldest first, read from its shard's event stream
// starting at its TicketAccepted entry (ticket field `e0`) and ending at the event of its
// current version; page tokens are stream entry ids. One request reads at most
// Options::max_history_scan stream entries: an old ticket in a busy shard may get short (even
// empty) pages with a token to go on.
//
// ListTickets: newest first by index time (ties by ticket id), merged over the 256 shards'
// acceptance indexes (keys::AcceptedIndex; the index time is the acceptance time, or a few ms
// later when replicas race), each candidate read and filtered (unit subtree, tier, status,
// category, breached now, and the acceptance range on accepted_at itself, the index being read
// a minute past its end). The page token is the position (index ms, ticket id) of the last
// ticket returned plus a fingerprint of the filters. No ticket is repeated. No ticket
// stored before the first page is skipped. Tickets accepted while paging sort before the first
// page, except one whose write lands after a page covering its acceptance time was read (a
// window of about a second); the proto comment says so. One request reads at most
// Options::max_list_scan candidates: a rare filter may get short (even empty) pages with a
// token.
// Unit subtree: the ticket's responsible_jurisdiction path (ticket_record::InSubtree), as the
// organisation's parent links gave it when the ticket was routed, or one of its assisting
// units; the filter's unit must exist in the organisation and lie in the caller's subtree
// (NOT_FOUND otherwise); no filter means the caller's own unit (access::UnitFilter).
//
// Access: a history is read only by a caller that may read the ticket (access::CheckRead;
// NOT_FOUND otherwise); a list holds only tickets the caller may read. The full contact view
// in a list needs the pii role and a reason, and every ticket of the page is logged (PiiLog)
// before the page is returned.
//
// With a read model (Options::read_model): ListTickets reads it (reader.h: keyset pages by
// acceptance time, page tokens "pg:..." that the Redis path refuses and the other way round)
// and says how far it had caught up; GetTicketHistory reads the projected events from it, then
// the events after the last projected one from the ticket's shard stream (bounded as above),
// so a history always reaches the ticket's current version; a ticket gone from Redis
// (archived) has all its history there. With PostgreSQL down a live ticket's history is read
// from Redis alone.
//
// Thread-safe. ListTickets runs on the queries' own threads (it needs several dependent round
// trips); everything else is asynchronous on the Redis client's threads.
#ifndef DISPATCH_SERVICES_INTAKE_QUERIES_H_
#define DISPATCH_SERVICES_INTAKE_QUERIES_H_

#include "common/clock.h"
#include "common/redis/redis_client.h"
#include "common/rpc/unary.h"
#include "common/ticket_store.h"
#include "common/work_queue.h"
#include "dispatch/v1/intake.pb.h"
#include "services/intake/pii_log.h"
#include "services/org/org_holder.h"
#include "services/readmodel/reader.h"

namespace dispatch::intake {

class TicketQueries {
 public:
  // Every request's work is bounded, whatever the data.
  struct Options {
    // Most stream entries one GetTicketHistory request reads.
    int max_history_scan = 20000;
    // Most tickets one ListTickets request reads.
    int max_list_scan = 5000;
    int threads = 2;
    // The read model (must outlive this object). Set: lists come from it (UNAVAILABLE while
    // PostgreSQL is down) and histories from it plus the live streams' unprojected tail.
    // Null: everything is read from Redis as described above.
    readmodel::Reader* read_model = nullptr;
  };
  // All must outlive this object.
  TicketQueries(redis::Client* redis, Clock* clock, const org::OrgHolder* org,
                Options options);

  void History(const v1::GetTicketHistoryRequest& request, const auth::Caller& caller,
               rpc::Reply<v1::GetTicketHistoryResponse> done);
  void List(const v1::ListTicketsRequest& request, const auth::Caller& caller,
            rpc::Reply<v1::ListTicketsResponse> done);

 private:
  absl::StatusOr<v1::ListTicketsResponse> ListSync(const v1::ListTicketsRequest& request,
                                                   const auth::Caller& caller);
  absl::StatusOr<v1::ListTicketsResponse> ListFromReadModel(
      const v1::ListTicketsRequest& request, const auth::Caller& caller, const std::string& unit,
      const std::string& fingerprint, int page_size);
  // Logs the full views of a page before it is shown (blocking).
  absl::Status LogFullViews(const auth::Caller& caller, const v1::ListTicketsResponse& page,
                            const std::string& reason);

  redis::Client* const redis_;
  TicketStore store_;
  Clock* const clock_;
  const org::OrgHolder* const org_;
  const Options options_;
  PiiLog pii_;
  WorkQueue work_;  // last: its threads stop before the members they use go
};

}  // namespace dispatch::intake

#endif  // DISPATCH_SERVICES_INTAKE_QUERIES_H_
