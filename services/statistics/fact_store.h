// FactStore: keeps the statistics facts in the read model (migration 0003_statistics.sql) as the
// pure fold of rates.h says they are, incrementally, and recomputes a month from scratch to
// check them.
//
// Incremental: the projector appends every ticket a batch touched to fact_queue, in the batch's
// transaction. RunOnce takes up to `batch` queue rows queued at least `fold_delay` ago (oldest
// first, skipping rows another store holds), with every other queue row of their tickets, and,
// in one transaction:
//   - locks the tickets (transaction advisory locks, in a fixed order), so that two stores never
//     fold one ticket at once with different histories;
//   - folds each ticket's whole projected history (FoldTicket, CompanyComplaintOf);
//   - compares the facts with the stored ones and writes only the difference: ticket_facts,
//     fact_units (one row for each unit of the charged unit's path, from the organisation in
//     force) and the deltas of unit_month_totals (in key order, so concurrent stores never
//     deadlock); the company_complaints row of a ticket that names a property company;
//   - deletes the queue rows.
// A crash anywhere leaves the queue rows and the facts as they were; folding a ticket again
// changes nothing. A ticket whose events arrive while it is being folded is queued again by
// the projector's later transaction and folded again.
//
// The month close (migration 0006_month_close.sql): CloseDueMonths() closes every month whose
// close instant (00:00 on `close_day` of the next month, in `zone`, by `clock`) has passed,
// from the first month with figures on, once the fold is not behind (no change queued longer
// than fold_delay and a minute): it records the close and copies the month's totals as
// the published figures, and publishes the month's company lists (company_lists.h, as the
// evaluations recorded by then say). From then on RunOnce, writing a difference to a fact of a closed month,
// also records it as an adjustment (fact_adjustments, the deltas and the path they count in).
// A close and the folds serialise on an advisory lock (a fold holds it shared), so a fold
// either lands before the close (in the published figures) or after it (an adjustment).
//
// Recompute(month): every ticket with an event in the month (every fact's time is one of its
// ticket's events) folded from its events, the month's facts compared with the stored ones
// ticket for ticket and the stored totals with the sums of the folded facts. It writes nothing.
// Changes still queued (younger than fold_delay, or being folded) show as differences: compare
// a quiet month, or once the queue has been folded.
// For a closed month it also checks that the published figures plus the adjustments are the
// totals kept live, unit by unit.
//
// Not thread-safe: one thread calls RunOnce and Recompute on the store's connection (not
// while Start()'s thread runs; give Recompute a store of its own).
#ifndef DISPATCH_SERVICES_STATISTICS_FACT_STORE_H_
#define DISPATCH_SERVICES_STATISTICS_FACT_STORE_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/pg/pg_client.h"
#include "services/org/org_holder.h"
#include "services/statistics/rates.h"

namespace dispatch::statistics {

class FactStore {
 public:
  struct Options {
    absl::TimeZone zone;  // months are calendar months here (the service's time_zone)
    // 部分属实 counts as substantiated for the company record (DOMAIN.md §5 says 属实).
    bool partly_counts = true;
    int batch = 500;  // queue rows a transaction
    // A queued ticket is folded once its oldest queue row is this old: the events of a case's
    // first minutes (accepted, routed, assigned, signed for) fold once, not once each, and a
    // burst of intake is projected first and folded after.
    absl::Duration fold_delay = absl::Seconds(30);
    // The background loop leaves the CPU to the projector while it is behind (no progress
    // recorded for a second), unless the oldest queued change has waited this long.
    absl::Duration max_yield = absl::Minutes(10);
    // How long the background loop waits when the queue was empty.
    absl::Duration interval = absl::Seconds(2);
    // Month M is final from 00:00 on this day of month M+1 (1-28), by `clock` (the service's
    // time; Clock::Real() when null).
    int close_day = 6;
    Clock* clock = nullptr;
    // The company lists published at each close (company_lists.h).
    CreditRule credit;
  };
  // `pg` and `org` must outlive the store.
  FactStore(pg::Connection* pg, org::OrgHolder* org, Options options);
  ~FactStore();

  // Folds the tickets of up to `batch` queue rows; returns how many rows it took (0: the
  // queue was empty). UNAVAILABLE while PostgreSQL is down (nothing changed).
  absl::StatusOr<int> RunOnce();

  struct MonthCheck {
    int64_t tickets = 0;  // folded
    int64_t facts = 0;    // of the month, folded
    // One line a difference: "T... response#0: stored ... folded ...", or a total's; at most
    // `max_differences`.
    std::vector<std::string> differences;
    int64_t difference_count = 0;
  };
  absl::StatusOr<MonthCheck> Recompute(absl::CivilMonth month, int max_differences = 20);

  // Closes the months due (see above); returns how many it closed.
  absl::StatusOr<int> CloseDueMonths();
  // When month M closes: 00:00 on close_day of M+1 in the zone.
  absl::Time CloseInstant(absl::CivilMonth month) const;

  // The schema migrations (readmodel::Migrate), then RunOnce, in a background thread until
  // Stop(), pausing `interval` when the queue was empty, while ProjectorBehind() and after
  // errors (logged); CloseDueMonths before each pass.
  void Start();  // at most once
  void Stop();

  // Whether the projector is behind (it recorded no progress for a second) and no queued
  // change has waited max_yield yet: the statistics wait, the projection comes first.
  absl::StatusOr<bool> ProjectorBehind();

 private:
  // The month's company lists into company_lists, in the close's transaction `c`.
  absl::Status PublishLists(pg::Connection& c, absl::CivilMonth month);

  pg::Connection* const pg_;
  org::OrgHolder* const org_;
  const Options options_;
  Clock* const clock_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dispatch::statistics

#endif  // DISPATCH_SERVICES_STATISTICS_FACT_STORE_H_
