#include "services/readmodel/archiver.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/sleep_unless_stopped.h"
#include "common/thread_name.h"
#include "dispatch/v1/types.pb.h"
#include "services/readmodel/lua_scripts.h"
#include "services/readmodel/migrations.h"
#include "services/readmodel/sql.h"

namespace dispatch::readmodel {
namespace {

const redis::Script& ArchiveScript() {
  static const redis::Script* const script = new redis::Script(kArchiveLua);
  return *script;
}
const redis::Script& TrimScript() {
  static const redis::Script* const script = new redis::Script(kTrimLua);
  return *script;
}

}  // namespace

Archiver::Archiver(redis::Client* redis, pg::Connection* pg, Options options)
    : redis_(redis),
      pg_(pg),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {}

Archiver::~Archiver() { Stop(); }

absl::StatusOr<Archiver::Pass> Archiver::RunOnce() {
  if (!migrated_) {
    // The projector migrates too; whichever starts first does it (Migrate is idempotent).
    if (absl::StatusOr<int> v = Migrate(*pg_); !v.ok()) return v.status();
    migrated_ = true;
  }
  absl::StatusOr<Pass> archived = Archive();
  if (!archived.ok()) return archived;
  absl::StatusOr<Pass> trimmed = Trim();
  if (!trimmed.ok()) return trimmed;
  Pass p = *archived;
  p.events_trimmed = trimmed->events_trimmed;
  p.index_trimmed = trimmed->index_trimmed;
  p.complaints_moved = trimmed->complaints_moved;
  p.index_walked = trimmed->index_walked;
  p.idempotency_pruned = trimmed->idempotency_pruned;
  if (options_.eraser != nullptr) {
    absl::StatusOr<int> erased = options_.eraser->RunOnce();
    if (!erased.ok()) return erased.status();
    p.pii_erased = *erased;
  }
  return p;
}

absl::StatusOr<Archiver::Pass> Archiver::Archive() {
  Pass pass;
  const absl::Time now = clock_->Now();
  // Keyset over (closed_at, ticket_id) within the pass, so a deferred ticket is not taken again.
  std::string after_closed, after_id;
  for (;;) {
    std::string sql = absl::StrCat(
        "SELECT t.ticket_id, t.version, t.channel, t.channel_work_order_id, ",
        sql::MicrosOf("t.accepted_at"), ", t.closed_at::text FROM tickets t "
        "WHERE t.archived_at IS NULL AND t.closed_at IS NOT NULL AND t.closed_at < $1 "
        "  AND ($2::timestamptz IS NULL OR (t.closed_at, t.ticket_id) > ($2::timestamptz, $3)) "
        // The archive holds the ticket's last event, not only its snapshot.
        "  AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.ticket_id "
        "    AND e.version = t.version AND e.occurred_at >= t.accepted_at - interval '5 minutes') "
        "ORDER BY t.closed_at, t.ticket_id LIMIT $4");
    absl::StatusOr<pg::Result> r =
        pg_->Exec(sql, {sql::Ts(now - options_.retention),
                        after_closed.empty() ? pg::Null() : pg::Text(after_closed),
                        pg::Text(after_id), pg::Int(options_.batch)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) break;
    const int rows = r->rows();
    std::vector<absl::StatusOr<redis::Reply>> results(rows, absl::UnknownError(""));
    {
      absl::BlockingCounter pending(rows);
      absl::Mutex mu;
      for (int i = 0; i < rows; ++i) {
        const std::string id = r->Get(i, 0);
        const int shard = keys::ShardOfTicketId(id).value_or(0);
        const std::string work_order = r->Get(i, 3);
        const std::string idem =
            work_order.empty()
                ? keys::IdempotencyRecord(shard, "")
                : keys::IdempotencyRecord(
                      shard, keys::IdempotencyKey(static_cast<int>(r->GetInt(i, 2)), work_order, ""));
        const absl::Time idem_end =
            sql::TimeOfMicros(r->GetInt(i, 4)) + options_.idempotency_retention;
        redis_->Eval(ArchiveScript(),
                     {keys::Ticket(shard, id), keys::Timers(shard), keys::WriteRecord(shard, id),
                      keys::LegacyComplaint(shard, id), idem, keys::AcceptedIndex(shard)},
                     {id, r->Get(i, 1), std::to_string(v1::TICKET_STATUS_CLOSED),
                      std::to_string(absl::ToUnixMillis(idem_end)),
                      std::to_string(absl::ToUnixMillis(now))},
                     [&, i](absl::StatusOr<redis::Reply> reply) {
                       {
                         absl::MutexLock lock(&mu);
                         results[i] = std::move(reply);
                       }
                       pending.DecrementCount();
                     });
      }
      pending.Wait();
    }
    std::vector<std::string> gone;
    for (int i = 0; i < rows; ++i) {
      if (!results[i].ok()) return results[i].status();
      if (results[i]->integer >= 0) {
        gone.push_back(r->Get(i, 0));
        pass.archived += results[i]->integer == 1 ? 1 : 0;
      } else {
        ++pass.deferred;
      }
    }
    if (!gone.empty()) {
      absl::StatusOr<pg::Result> marked = pg_->Exec(
          "UPDATE tickets SET archived_at = $1 WHERE ticket_id = ANY($2::text[])",
          {sql::Ts(now), sql::TextArray(gone)});
      if (!marked.ok()) return marked.status();
    }
    after_closed = r->Get(rows - 1, 5);
    after_id = r->Get(rows - 1, 0);
    if (rows < options_.batch) break;
  }
  return pass;
}

absl::StatusOr<Archiver::Pass> Archiver::Trim() {
  Pass pass;
  const absl::Time now = clock_->Now();
  std::vector<absl::StatusOr<redis::Reply>> results(keys::kShardCount, absl::UnknownError(""));
  {
    absl::BlockingCounter pending(keys::kShardCount);
    absl::Mutex mu;
    for (int shard = 0; shard < keys::kShardCount; ++shard) {
      redis_->Eval(TrimScript(),
                   {keys::Events(shard), keys::AcceptedIndex(shard), keys::TrimCursor(shard)},
                   {std::to_string(absl::ToInt64Milliseconds(options_.stream_keep)),
                    keys::ShardTag(shard) + ":", std::to_string(options_.max_index_walk),
                    std::to_string(absl::ToUnixMillis(now))},
                   [&, shard](absl::StatusOr<redis::Reply> reply) {
                     {
                       absl::MutexLock lock(&mu);
                       results[shard] = std::move(reply);
                     }
                     pending.DecrementCount();
                   });
    }
    pending.Wait();
  }
  for (const auto& r : results) {
    if (!r.ok()) return r.status();
    if (r->elements.size() != 6) return absl::InternalError("trim.lua: unexpected reply");
    pass.events_trimmed += r->elements[0].integer;
    pass.index_trimmed += r->elements[1].integer;
    pass.complaints_moved += static_cast<int>(r->elements[2].integer);
    pass.index_walked += r->elements[4].integer;
    pass.idempotency_pruned += r->elements[5].integer;
  }
  return pass;
}

void Archiver::Start() {
  thread_ = std::thread([this] {
    NameThisThread("archiver");
    while (!stop_.load()) {
      absl::StatusOr<Pass> p = RunOnce();
      if (!p.ok()) {
        log::Warn("archiver", "archiving pass failed, retrying",
                  {{"error", p.status().ToString()},
                   {"retry_in", absl::FormatDuration(options_.interval)}});
      } else if (p->archived > 0 || p->events_trimmed > 0) {
        log::Info("archiver", "tickets left Redis, stream entries trimmed",
                  {{"tickets_archived", std::to_string(p->archived)},
                   {"entries_trimmed", std::to_string(p->events_trimmed)}});
      }
      SleepUnlessStopped(stop_, options_.interval);
    }
  });
}

void Archiver::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace dispatch::readmodel
