#include "services/intake/pii_log.h"

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/stream_cursor.h"

namespace dispatch::intake {
namespace {

constexpr int kChunk = 200;
constexpr int kMaxScan = 10000;

}  // namespace

void PiiLog::Record(const auth::Caller& caller, const std::vector<std::string>& tickets,
                    const std::string& reason, std::function<void(absl::Status)> done) {
  if (tickets.empty()) return done(absl::OkStatus());
  const absl::Time now = clock_->Now();
  const std::string at = std::to_string(absl::ToUnixMillis(now));
  const std::string keep_from = absl::StrCat(absl::ToUnixMillis(now - kPiiLogRetention), "-0");
  struct Pending {
    absl::Mutex mu;
    size_t left;
    absl::Status error;
    std::function<void(absl::Status)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = tickets.size();
  pending->done = std::move(done);
  for (const std::string& ticket : tickets) {
    redis_->Execute({"XADD", keys::PiiAccessLog(), "MINID", "~", keep_from, "*", "s",
                     caller.principal.subject, "u", caller.principal.unit_code, "t", ticket, "r",
                     reason, "m", caller.method, "at", at},
                    [pending](absl::StatusOr<redis::Reply> r) {
                      bool last;
                      {
                        absl::MutexLock lock(&pending->mu);
                        pending->error.Update(r.status());
                        last = --pending->left == 0;
                      }
                      if (last) pending->done(pending->error);
                    });
  }
}

absl::StatusOr<v1::ListPersonalDataAccessResponse> PiiLog::List(
    const v1::ListPersonalDataAccessRequest& req) {
  if (req.page_size() < 0 || req.page_size() > 500) {
    return absl::InvalidArgumentError("page_size: must be within [0, 500]");
  }
  const int page_size = req.page_size() == 0 ? 50 : req.page_size();
  std::string end = "+";
  if (!req.page_token().empty()) {
    uint64_t ms, seq;
    if (!ParseStreamId(req.page_token(), &ms, &seq)) {
      return absl::InvalidArgumentError("page_token: not from a previous response");
    }
    end = "(" + req.page_token();
  }
  v1::ListPersonalDataAccessResponse response;
  int scanned = 0;
  std::string last;
  while (response.accesses_size() < page_size && scanned < kMaxScan) {
    auto r = redis_->ExecuteSync(
        {"XREVRANGE", keys::PiiAccessLog(), end, "-", "COUNT", std::to_string(kChunk)});
    if (!r.ok()) return r.status();
    for (const redis::Reply& item : r->elements) {
      if (item.elements.size() != 2) continue;
      last = item.elements[0].str;
      end = "(" + last;
      ++scanned;
      std::map<std::string, std::string> f;
      const auto& fields = item.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) f[fields[i].str] = fields[i + 1].str;
      if (!req.subject().empty() && f["s"] != req.subject()) continue;
      if (!req.ticket_id().empty() && f["t"] != req.ticket_id()) continue;
      v1::PersonalDataAccess* a = response.add_accesses();
      a->set_subject(f["s"]);
      a->set_unit_code(f["u"]);
      a->set_ticket_id(f["t"]);
      a->set_reason(f["r"]);
      a->set_method(f["m"]);
      int64_t ms = 0;
      if (absl::SimpleAtoi(f["at"], &ms)) *a->mutable_at() = TimestampFromUnixMs(ms);
      if (response.accesses_size() == page_size) break;
    }
    if (static_cast<int>(r->elements.size()) < kChunk && response.accesses_size() < page_size) {
      return response;  // the log ends here
    }
  }
  response.set_next_page_token(last);
  return response;
}

}  // namespace dispatch::intake
