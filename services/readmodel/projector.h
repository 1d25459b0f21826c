// Projector: feeds the read model on PostgreSQL (schema: migrations/*.sql) from the Redis event
// streams, with its own consumer group ("projector") on every shard's stream.
//
// Each batch read is applied in one PostgreSQL transaction and acknowledged only after it
// commits (a read of many entries in transactions of `batch`; the next transaction's tickets are
// read from Redis while one commits), so a crash (of the projector, Redis or PostgreSQL) leaves the batch pending and it
// is applied again. Applying twice changes nothing:
//   - an event row is keyed by its stream position (event_id "<shard>-<entry id>") and its
//     time, and inserted only if absent; so are the ledger rows (breaches, returns, revisits;
//     extensions by their id, a decision only fills in what the request left open);
//   - the ticket row is the ticket as Redis holds it when the batch is applied, written only
//     when its version is newer than the row's, and its unit memberships are rewritten with
//     it. A ticket no longer in Redis keeps its row (the archive). A row whose personal data
//     was erased (personal_data.h) stays erased when a newer, unerased snapshot arrives.
// A rebuild is the same process from the start of the streams into empty tables (a new group
// at "0"), so it gives the same tables as the live projection for everything still in Redis.
// An entry that cannot be decoded is logged and acknowledged (it would fail every time).
//
// Progress: after a read of new entries that left no stream with more to give, and once what
// it read is applied, the projector records in projector_progress that it has caught up to the
// time the read started (reads report it, readmodel::Reader::CaughtUpTo). Idle, it does so
// every time its blocking read returns empty (about twice a second).
//
// Statistics: every ticket a batch touched is appended to fact_queue in the batch's transaction
// (services/statistics/fact_store.h folds it again).
//
// Unit memberships (ticket_units, breach_units): the lead unit and its path as stored with the
// ticket; each assisting unit and its ancestors, and before routing the units its location
// resolves to (community, county) with their ancestors, from the organisation in force.
//
// Not thread-safe: one thread calls RunOnce() (or Start() runs it in the background). Uses its
// own Redis client (it blocks on XREADGROUP) and its own PostgreSQL connection.
#ifndef DISPATCH_SERVICES_READMODEL_PROJECTOR_H_
#define DISPATCH_SERVICES_READMODEL_PROJECTOR_H_

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/pg/pg_client.h"
#include "common/redis/redis_client.h"
#include "services/org/org_holder.h"

namespace dispatch::readmodel {

class Projector {
 public:
  struct Options {
    // Stable per process: a restarted projector applies what it had taken first.
    std::string consumer = "projector-1";
    // Entries applied in one transaction. A read takes up to batch/8 entries of each stream
    // and applies them in transactions of at most `batch`.
    int batch = 500;
    // Entries another projector took and left unacknowledged this long are taken over.
    absl::Duration claim_min_idle = absl::Seconds(60);
    // The clock progress is recorded by (projector_progress); Clock::Real() when null.
    Clock* clock = nullptr;
    // The key of the complainant's keyed hash (personal_data.h); empty: no hash is stored.
    std::string pii_secret;
    // The background loop starts a read of the streams at most this often while it keeps up
    // (a read that did not fill: it drained them). A read of the 256 streams costs Redis about
    // as much for one entry as for hundreds (a blocking read registers on every stream), and
    // each drained read records the progress in PostgreSQL: at a few hundred events a second,
    // reading per event was most of the projection's cost. Adds up to this much lag.
    absl::Duration read_interval = absl::Milliseconds(50);
  };

  // Everything passed must outlive the projector.
  Projector(redis::Client* redis, pg::Connection* pg, org::OrgHolder* org, Options options);
  ~Projector();

  // Applies the schema migrations and creates the consumer groups (idempotent).
  absl::Status Prepare();

  // Applies what is waiting: first this consumer's unacknowledged entries, then new ones,
  // waiting up to `block` when there are none. Returns how many entries it applied. On an
  // error (UNAVAILABLE when Redis or PostgreSQL is down) nothing of the batch is acknowledged.
  absl::StatusOr<int> RunOnce(absl::Duration block);

  // Takes over (XAUTOCLAIM) entries other projectors left for claim_min_idle.
  absl::StatusOr<int> ClaimAbandoned();

  // Prepare (until it succeeds), then RunOnce, in a background thread until Stop(); errors are
  // logged and retried after a pause, so it catches up by itself when PostgreSQL returns.
  void Start();  // at most once
  void Stop();

 private:
  struct Item;
  class Snapshots;
  class Acks;
  absl::StatusOr<int> ReadAndApply(const std::string& from_id, absl::Duration block, int* read);
  absl::Status Apply(std::vector<Item>& items, Snapshots& snapshots);
  absl::Status EnsurePartition(absl::Time at);

  redis::Client* const redis_;
  pg::Connection* const pg_;
  org::OrgHolder* const org_;
  const Options options_;
  Clock* const clock_;
  bool pending_checked_ = false;
  bool drained_ = false;  // the last read of new entries took all there were
  std::set<std::string> partitions_;  // months whose event partition exists, "2026_11"
  // Where the current pass's time went (real time, for the slow-pass log line).
  struct PassTimes {
    absl::Duration snapshots, transaction, acks;
  } pass_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dispatch::readmodel

#endif  // DISPATCH_SERVICES_READMODEL_PROJECTOR_H_
