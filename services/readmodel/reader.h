// Reader: the dashboard reads answered from the read model on PostgreSQL (schema:
// migrations/*.sql, fed by the projector) — ticket lists, breaches, the projected part of a
// ticket's history, tickets no longer in Redis (archived), and how far the projection has
// caught up.
//
// Lists are keyset pages, newest first, each one indexed range read:
//   tickets   by acceptance time then ticket id, from ticket_units (one row per unit whose
//             subtree view a ticket belongs to: projector.h) or, with no unit, from tickets;
//   breaches  by detection time then event id, from breach_units or breaches.
// A position is "<microseconds>:<id>" of the last row returned; the next page starts strictly
// after it, so pages never repeat or skip a row, also while rows are added (newer rows sort
// before the first page). Positions are checked for shape and never spliced into SQL.
//
// The reader knows no callers: access checks, contact views and page tokens with their filter
// fingerprints are the services' (intake/queries.h, escalation/ledgers.h).
//
// Errors are pg::Connection's: UNAVAILABLE while PostgreSQL is down (lists then fail rather
// than fall back to scanning Redis), INTERNAL for a bug. DATA_LOSS for a stored protobuf that
// does not parse.
//
// Thread-safe and blocking: calls take one of `connections` pooled connections (waiting for
// one when all are busy); call from a work queue, never from gRPC's or the Redis client's
// threads.
#ifndef DISPATCH_SERVICES_READMODEL_READER_H_
#define DISPATCH_SERVICES_READMODEL_READER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "common/pg/pg_client.h"
#include "dispatch/v1/escalation.pb.h"
#include "dispatch/v1/intake.pb.h"

namespace dispatch::readmodel {

// A page token of a list read from the read model: "pg:<position>:<fingerprint>", the position
// a Reader returned and the fingerprint of the request's filters (the caller's), so that a
// token is used only with the filters that made it. A token of the Redis scans (no "pg:") is
// refused, and the other way round.
std::string PageToken(const std::string& position, const std::string& fingerprint);
// The position in `token` ("" for an empty token); INVALID_ARGUMENT naming page_token when it
// is not one of ours or its filters differ.
absl::StatusOr<std::string> PositionOfToken(const std::string& token,
                                            const std::string& fingerprint);

// A list request's paging: the fingerprint of its filters (everything but page_token and
// page_size) and the position its page token holds (PositionOfToken).
struct Paging {
  std::string fingerprint;
  std::string position;
};
template <typename Request>
absl::StatusOr<Paging> PagingOf(const Request& req) {
  Request filters = req;
  filters.clear_page_token();
  filters.clear_page_size();
  Paging p;
  p.fingerprint = absl::StrCat(absl::Hex(keys::StableHash64(filters.SerializeAsString())));
  absl::StatusOr<std::string> position = PositionOfToken(req.page_token(), p.fingerprint);
  if (!position.ok()) return position.status();
  p.position = *std::move(position);
  return p;
}

// A list's page_size: 0 (the list's default) to 500; INVALID_ARGUMENT naming it otherwise.
absl::Status CheckPageSize(int page_size);

class Reader {
 public:
  struct Options {
    int connections = 4;
  };
  // Connects lazily: a reader made while PostgreSQL is down answers UNAVAILABLE until it is up.
  Reader(const pg::Options& pg, Options options);

  struct TicketPage {
    std::vector<v1::Ticket> tickets;  // as stored: complainant unmasked, clocks as projected
    std::string next_position;        // empty when there are no more
  };
  // The tickets of `unit`'s subtree ("" for all) that pass the request's filters (statuses,
  // categories, supervision_tier, breached_only, accepted_from/to), after `position` (empty
  // for the first page), at most `limit`. The request's unit_code, page fields and contact
  // view are not read. INVALID_ARGUMENT for a malformed position.
  absl::StatusOr<TicketPage> ListTickets(const v1::ListTicketsRequest& filters,
                                         const std::string& unit, const std::string& position,
                                         int limit);

  struct BreachPage {
    std::vector<v1::Breach> breaches;
    std::string next_position;
  };
  // Breaches recorded against `unit` or a unit below it ("" for all), detected in [from, to).
  absl::StatusOr<BreachPage> ListBreaches(const std::string& unit, absl::Time from, absl::Time to,
                                          const std::string& position, int limit);

  struct RevisitPage {
    std::vector<v1::Revisit> revisits;
    std::string next_position;
  };
  // The revisit ledger of `unit`'s subtree (by the judged unit; "" for all), recorded in
  // [from, to), newest first.
  absl::StatusOr<RevisitPage> ListRevisits(const std::string& unit, absl::Time from,
                                           absl::Time to, const std::string& position, int limit);

  struct HistoryEvent {
    v1::TicketEvent event;
    std::string entry_id;  // its stream entry id, "<ms>-<seq>"
  };
  // A ticket's projected events in stream order, after stream entry `after` ("" from the
  // first), at most `limit`. `accepted_at` (the ticket's) narrows the months searched.
  // `after_version` (if given) gets the version of the event at `after`, or -1 when the read
  // model does not have that event.
  absl::StatusOr<std::vector<HistoryEvent>> History(const std::string& ticket_id,
                                                    absl::Time accepted_at,
                                                    const std::string& after, int limit,
                                                    int64_t* after_version = nullptr);

  // The ticket as last projected; NOT_FOUND when the read model does not have it.
  absl::StatusOr<v1::Ticket> GetTicket(const std::string& ticket_id);
  // The newest ticket of the work order (a re-send after the idempotency window is a new one).
  absl::StatusOr<v1::Ticket> LookupTicket(v1::Channel channel, const std::string& work_order_id);

  // One statement on a pooled connection, sent once more when the connection had been lost
  // (also for the other readers of the read model: services/statistics/statistics_service.h).
  absl::StatusOr<pg::Result> Query(const std::string& sql,
                                   const std::vector<pg::Param>& params = {});

  // How far the projection has caught up (projector_progress: the least of the projectors
  // that reported in the last two minutes, else the last report); nullopt before any report.
  absl::StatusOr<std::optional<absl::Time>> CaughtUpTo();

 private:
  class Lease;
  // One keyset page of a ledger table (`columns` of alias l, then the time as microseconds and
  // the event id), through its units table when `unit` is set.
  absl::StatusOr<pg::Result> LedgerPage(const std::string& columns, const std::string& table,
                                        const std::string& units_table,
                                        const std::string& time_column, const std::string& unit,
                                        absl::Time from, absl::Time to,
                                        const std::string& position, int limit);
  std::unique_ptr<pg::Connection> Acquire();
  void Release(std::unique_ptr<pg::Connection> c);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pg::Connection>> free_;
};

}  // namespace dispatch::readmodel

#endif  // DISPATCH_SERVICES_READMODEL_READER_H_
