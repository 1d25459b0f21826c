#include "services/org/org_holder.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/thread_name.h"

namespace dispatch::org {
namespace {

// One hash tag, so the compare-and-set script stays in one Redis Cluster slot.
constexpr char kCurrent[] = "{org}:current";
constexpr char kVersion[] = "{org}:version";
std::string VersionKey(const std::string& v) { return absl::StrCat("{org}:v:", v); }

// KEYS[1] {org}:current  KEYS[2] {org}:v:<new version>  KEYS[3] {org}:version
// ARGV[1] expected version ("" to store only if none is stored)  ARGV[2] new version
// ARGV[3] serialized new organisation
// Returns {"ok"} | {"stale"} | {"used"}.
const redis::Script& UpdateScript() {
  static const redis::Script* const script = new redis::Script(R"lua(#!lua
local current = redis.call('GET', KEYS[3])
if ARGV[1] == '' then
  if current then return {'stale'} end
elseif current ~= ARGV[1] then
  return {'stale'}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'used'} end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[2])
return {'ok'}
)lua");
  return *script;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const OrgSnapshot>> OrgSnapshot::Build(
    config::v1::Organisation config) {
  auto model = OrgModel::FromConfig(config);
  if (!model.ok()) return model.status();
  auto matrix = DepartmentMatrix::FromConfig(config.department_matrix());
  if (!matrix.ok()) return matrix.status();
  return std::shared_ptr<const OrgSnapshot>(
      new OrgSnapshot{std::move(config), *std::move(model), *std::move(matrix)});
}

OrgHolder::~OrgHolder() {
  stop_.Notify();
  if (refresher_.joinable()) refresher_.join();
}

void OrgHolder::StartRefreshing(absl::Duration interval) {
  refresher_ = std::thread([this, interval] {
    NameThisThread("org-refresh");
    bool loaded = false;
    std::string last_error;
    do {
      absl::Status s = loaded ? Refresh() : Load();
      if (s.ok()) {
        loaded = true;
        last_error.clear();
      } else if (s.ToString() != last_error) {  // said once, not every second
        last_error = s.ToString();
        if (loaded) {  // the snapshot in force stays
          log::Warn("org", "cannot refresh the organisation", {{"error", last_error}});
        } else {
          log::Error("org", "cannot load the organisation", {{"error", last_error}});
        }
      }
    } while (!stop_.WaitForNotificationWithTimeout(interval));
  });
}

std::shared_ptr<const OrgSnapshot> OrgHolder::Get() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status OrgHolder::Adopt(const std::string& serialized,
                              const std::shared_ptr<const OrgSnapshot>& seen) {
  config::v1::Organisation stored;
  if (!stored.ParseFromString(serialized)) {
    return absl::DataLossError("org:current: stored organisation is corrupt");
  }
  if (stored.version() == seen->config.version()) return absl::OkStatus();
  auto snapshot = OrgSnapshot::Build(std::move(stored));
  if (!snapshot.ok()) {
    return absl::DataLossError(
        absl::StrCat("org:current: stored organisation is invalid: ", snapshot.status().message()));
  }
  absl::MutexLock lock(&mu_);
  // Only over the snapshot this read started from: an Update that landed meanwhile is newer
  // than what was read (the next refresh reconciles with Redis either way).
  if (current_ == seen) current_ = *std::move(snapshot);
  return absl::OkStatus();
}

absl::Status OrgHolder::Load() {
  std::shared_ptr<const OrgSnapshot> seen = Get();
  auto stored = redis_->ExecuteSync({"GET", kCurrent});
  if (!stored.ok()) return stored.status();
  if (!stored->is_nil()) return Adopt(stored->str, seen);
  std::shared_ptr<const OrgSnapshot> initial = Get();
  auto r = redis_->EvalSync(UpdateScript(),
                            {kCurrent, VersionKey(initial->config.version()), kVersion},
                            {"", initial->config.version(), initial->config.SerializeAsString()});
  if (!r.ok()) return r.status();
  return Refresh();  // another replica may have seeded it first
}

absl::Status OrgHolder::Refresh() {
  std::shared_ptr<const OrgSnapshot> seen = Get();
  auto version = redis_->ExecuteSync({"GET", kVersion});
  if (!version.ok()) return version.status();
  if (version->is_nil() || version->str == seen->config.version()) return absl::OkStatus();
  auto stored = redis_->ExecuteSync({"GET", kCurrent});
  if (!stored.ok()) return stored.status();
  if (stored->is_nil()) return absl::OkStatus();
  return Adopt(stored->str, seen);
}

absl::StatusOr<std::shared_ptr<const OrgSnapshot>> OrgHolder::Update(
    config::v1::Organisation next, const std::string& expected_version) {
  if (expected_version.empty()) return absl::InvalidArgumentError("expected_version: required");
  if (next.version().empty()) {
    return absl::InvalidArgumentError("organisation.version: required, a new label");
  }
  auto snapshot = OrgSnapshot::Build(next);
  if (!snapshot.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("organisation.", snapshot.status().message()));
  }
  // Read the stored version, then compare-and-set against it in the script.
  absl::Status refreshed = Refresh();
  if (!refreshed.ok()) return refreshed;
  std::string current = Get()->config.version();
  if (current != expected_version) {
    return absl::AbortedError(absl::StrCat("expected_version: the organisation in force is \"",
                                           current, "\", not \"", expected_version, "\""));
  }
  auto r = redis_->EvalSync(UpdateScript(), {kCurrent, VersionKey(next.version()), kVersion},
                            {expected_version, next.version(), next.SerializeAsString()});
  if (!r.ok()) return r.status();
  const std::string& what = r->elements.empty() ? "" : r->elements[0].str;
  if (what == "used") {
    return absl::AlreadyExistsError(absl::StrCat(
        "organisation.version: \"", next.version(), "\" was used before; give the change a new label"));
  }
  if (what != "ok") return absl::AbortedError("expected_version: changed concurrently; retry");
  absl::MutexLock lock(&mu_);
  current_ = *snapshot;
  return *snapshot;
}

}  // namespace dispatch::org
