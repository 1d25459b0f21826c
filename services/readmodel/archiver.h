// Archiver: keeps Redis to live work (issue #15). A ticket closed for longer than the retention
// leaves Redis once the archive (the read model) holds it; the event streams are trimmed below
// what every consumer and every live ticket still needs. Reads of archived tickets come from
// the read model (intake.h, queries.h).
//
// A pass (RunOnce):
//   1. Tickets closed before now - retention, not yet archived, whose last event the archive
//      holds (ticket_events at the ticket row's version), oldest closure first: each is removed
//      from Redis by one script (lua/archive.lua: its hash, timer, write records and moved
//      complaint) only if Redis still holds that version and it is still closed (a reopened
//      ticket stays); then marked archived_at. Its idempotency record moves into a bucket hash
//      (keys::ArchivedIdempotency: 130 bytes or less instead of 162) until acceptance +
//      idempotency_retention (a gateway may re-send a work order that long); step 2 prunes it
//      after that (one bucket per shard per pass).
//   2. Every shard's stream is trimmed (lua/trim.lua) below the least of: now - stream_keep,
//      each consumer group's first pending entry and the entry after its last delivered one.
//      A live ticket's complaint is copied out of its TicketAccepted entry before that entry
//      can go; the walk of the acceptance index that finds them resumes where the last pass
//      left it, so a pass costs the tickets accepted since, not every open ticket again.
//   3. The eraser's pass (personal_data.h): pending erasure requests, the personal-data
//      retention.
// Redis memory then follows the open tickets, the retention window and the idempotency
// window, not the years of history.
//
// Safe to run in several processes at once (each step is atomic and idempotent). Not
// thread-safe: one thread calls RunOnce() (or Start() runs it every `interval`). Uses its own
// Redis client and PostgreSQL connection.
#ifndef DISPATCH_SERVICES_READMODEL_ARCHIVER_H_
#define DISPATCH_SERVICES_READMODEL_ARCHIVER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/pg/pg_client.h"
#include "common/redis/redis_client.h"
#include "services/readmodel/personal_data.h"

namespace dispatch::readmodel {

class Archiver {
 public:
  struct Options {
    absl::Duration retention = absl::Hours(24 * 30);
    absl::Duration idempotency_retention = absl::Hours(24 * 90);
    // Stream entries younger than this are never trimmed (a watch resumes from its cursor); by
    // Redis's clock, the clock of entry ids (not `clock`).
    absl::Duration stream_keep = absl::Hours(24 * 7);
    // Tickets archived per PostgreSQL query; acceptance-index entries one trim walks.
    int batch = 500;
    int max_index_walk = 2000;
    absl::Duration interval = absl::Minutes(1);
    Clock* clock = nullptr;  // Clock::Real() when null
    // Finishes erasure requests and the personal-data retention every pass (may be null).
    Eraser* eraser = nullptr;
  };
  struct Pass {
    int archived = 0;
    int deferred = 0;  // changed in Redis since the archive's copy: a later pass
    int64_t events_trimmed = 0;
    int64_t index_trimmed = 0;
    int complaints_moved = 0;
    int64_t index_walked = 0;  // acceptance-index entries the trim looked at
    int64_t idempotency_pruned = 0;  // archived idempotency records past their end, removed
    int pii_erased = 0;
  };

  // Everything passed must outlive the archiver. The first pass applies the schema migrations
  // if the projector has not yet.
  Archiver(redis::Client* redis, pg::Connection* pg, Options options);
  ~Archiver();

  absl::StatusOr<Pass> RunOnce();
  // Archives only (step 1) / trims only (step 2).
  absl::StatusOr<Pass> Archive();
  absl::StatusOr<Pass> Trim();

  void Start();  // at most once
  void Stop();

 private:
  redis::Client* const redis_;
  pg::Connection* const pg_;
  const Options options_;
  Clock* const clock_;
  bool migrated_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dispatch::readmodel

#endif  // DISPATCH_SERVICES_READMODEL_ARCHIVER_H_
