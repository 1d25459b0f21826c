// The read model's schema: versioned migration files (services/readmodel/migrations/
// NNNN_name.sql, embedded into the binary at build time) and the step that applies them.
//
// Migrate() brings a database to the newest schema this binary knows, and is safe to run from
// every replica at every start:
//   - one replica migrates at a time (a session advisory lock; the others wait, then find
//     nothing left to do);
//   - `schema_migrations` records each applied version with its name and a checksum of its
//     text; a recorded migration whose text differs from the embedded one is
//     FAILED_PRECONDITION naming it (a released migration is never edited: add a new one);
//   - each missing migration runs in its own transaction together with its record, so a
//     failure leaves the database at the previous version, nothing half-applied;
//   - versions recorded that this binary does not know (a newer replica migrated first) are
//     left alone: migrations only add, so an older binary keeps working on a newer schema.
// Returns the newest version applied (this binary's or the database's, whichever is higher).
// Errors from PostgreSQL as common/pg/pg_client.h says (UNAVAILABLE when it cannot be reached).
#ifndef DISPATCH_SERVICES_READMODEL_MIGRATIONS_H_
#define DISPATCH_SERVICES_READMODEL_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/pg/pg_client.h"

namespace dispatch::readmodel {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The embedded migrations, in version order (1, 2, ...).
const std::vector<Migration>& Migrations();

// Applies `migrations` (default: the embedded ones) that `conn`'s database lacks.
absl::StatusOr<int> Migrate(pg::Connection& conn);
absl::StatusOr<int> Migrate(pg::Connection& conn, const std::vector<Migration>& migrations);

// The statement that creates the ticket_events partition of a UTC calendar month
// ("ticket_events_2026_11") if it does not exist. The projector runs it before a month's first
// event; a second projector racing it may get 42P07 (already exists), which is fine.
std::string EventPartitionDdl(absl::CivilMonth utc_month);

}  // namespace dispatch::readmodel

#endif  // DISPATCH_SERVICES_READMODEL_MIGRATIONS_H_
