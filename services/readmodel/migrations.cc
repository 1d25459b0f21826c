#include "services/readmodel/migrations.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/keys.h"
#include "services/readmodel/embedded_migrations.h"

namespace dispatch::readmodel {
namespace {

// The advisory lock key of schema migrations (any constant the service uses for nothing else).
constexpr int64_t kMigrationLock = 0x64697370;  // "disp"

std::string Checksum(const std::string& sql) { return keys::Fingerprint(sql); }

absl::StatusOr<int> MigrateLocked(pg::Connection& conn, const std::vector<Migration>& migrations) {
  if (absl::Status s = conn.Exec(
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "  version integer PRIMARY KEY,"
                           "  name text NOT NULL,"
                           "  checksum text NOT NULL,"
                           "  applied_at timestamptz NOT NULL DEFAULT now())")
                           .status();
      !s.ok()) {
    return s;
  }
  absl::StatusOr<pg::Result> applied =
      conn.Exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  if (!applied.ok()) return applied.status();
  std::map<int, std::pair<std::string, std::string>> recorded;  // version -> name, checksum
  int newest = 0;
  for (int r = 0; r < applied->rows(); ++r) {
    const int v = static_cast<int>(applied->GetInt(r, 0));
    recorded[v] = {applied->Get(r, 1), applied->Get(r, 2)};
    newest = std::max(newest, v);
  }
  for (const Migration& m : migrations) {
    const std::string sum = Checksum(m.sql);
    if (auto it = recorded.find(m.version); it != recorded.end()) {
      if (it->second.second != sum) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schema migration ", m.version, " (", m.name, ") was applied with a different text "
            "(checksum ", it->second.second, ", this binary's ", sum,
            "); a released migration is never edited: add a new one"));
      }
      continue;
    }
    absl::Status s = conn.Transaction([&](pg::Connection& c) -> absl::Status {
      if (absl::Status e = c.ExecScript(m.sql); !e.ok()) return e;
      return c.Exec("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    {pg::Int(m.version), pg::Text(m.name), pg::Text(sum)})
          .status();
    });
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("schema migration ", m.version, " (", m.name,
                                                 "): ", s.message()));
    }
    newest = std::max(newest, m.version);
  }
  return newest;
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const auto* const all = [] {
    auto* v = new std::vector<Migration>;
    for (const EmbeddedMigration& m : kEmbeddedMigrations) v->push_back({m.version, m.name, m.sql});
    return v;
  }();
  return *all;
}

absl::StatusOr<int> Migrate(pg::Connection& conn) { return Migrate(conn, Migrations()); }

std::string EventPartitionDdl(absl::CivilMonth month) {
  const std::string name = absl::FormatCivilTime(month);  // "2026-11"
  return absl::StrCat("CREATE TABLE IF NOT EXISTS ticket_events_", name.substr(0, 4), "_",
                      name.substr(5), " PARTITION OF ticket_events FOR VALUES FROM ('", name,
                      "-01 00:00:00+00') TO ('", absl::FormatCivilTime(month + 1),
                      "-01 00:00:00+00')");
}

absl::StatusOr<int> Migrate(pg::Connection& conn, const std::vector<Migration>& migrations) {
  if (absl::Status s = conn.Exec("SELECT pg_advisory_lock($1)", {pg::Int(kMigrationLock)}).status();
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int> result = MigrateLocked(conn, migrations);
  (void)conn.Exec("SELECT pg_advisory_unlock($1)", {pg::Int(kMigrationLock)});
  return result;
}

}  // namespace dispatch::readmodel
