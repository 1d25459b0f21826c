// reads_bench: the load and the measurements of `tools/bench reads` (issue #15). Run through that
// script, which starts redis-server, PostgreSQL and dispatchd (intake, routing, escalation,
// projector with the archiver, on a scaled clock) and mints the tokens in --tokens.
//
// Phases, every call through the API (TLS, signed tokens):
//   load      --tickets complaints (100-300 characters) from the 12345 gateway at full speed,
//             spread over the service's months by the scaled clock; each ticket's fate by its
//             number: 21 % nobody acts (its clocks breach and it climbs the tiers), 29 % the
//             community's handler signs for it (or takes it), contacts the company and resolves
//             it, 50 % besides a county supervisor records a satisfied revisit (closed; archived
//             once closed longer than the retention). The projector's lag is sampled meanwhile.
//   settle    waits until the read model has caught up (ListTickets' caught_up_to).
//   reads     through the API, --reps times each: a county's newest page, a rare filter (a
//             community's breached tickets of a category nobody complained of), page 20 of
//             the county's list, ListBreaches of a county for a month, GetTicketHistory of
//             random tickets (archived ones among them). The same against --redis_target (a
//             dispatchd without the read model: today's Redis scans), fewer times.
//   lag       submissions only at --lag_rate per second: the projector's lag at that rate.
//   watch     (after the read model caught up and, for at most --watch_quiet_s, until Redis's
//             AOF rewrite and PostgreSQL's autovacuum workers set off by the lag phases are done)
//             submissions at --watch_rate per second, first with 1 watcher (the city), then
//             with --watchers spread over the organisation's units: end-to-end latency from the
//             call to each watcher's TicketAccepted, and dispatchd's and Redis's CPU and Redis
//             commands per submission.
//   memory    once every archived ticket is older than --stream_keep_s: what an archived
//             ticket still holds in Redis (its idempotency record, acceptance-index entries,
//             stream entries).
// Lag: from the submission's response to its ticket row in PostgreSQL (polled every 2 ms).
// Last line:
//   reads tickets=N list_county_p99_ms=A list_rare_p99_ms=B list_page20_p99_ms=C
//   breaches_month_p99_ms=D history_p99_ms=E projector_lag_p99_ms=F
//   redis_bytes_per_archived_ticket=G watchers=W watch_e2e_p99_ms=H
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <sys/wait.h>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "common/keys.h"
#include "common/pg/pg_client.h"
#include "common/redis/hiredis_client.h"
#include "dispatch/v1/escalation.grpc.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "dispatch/v1/routing.grpc.pb.h"
#include "google/protobuf/util/time_util.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "dispatchd with the read model");
ABSL_FLAG(std::string, redis_target, "", "dispatchd without the read model (today's reads)");
ABSL_FLAG(std::string, ca, "", "CA certificate (PEM) of the servers");
ABSL_FLAG(std::string, tokens, "", "directory of tokens: gateway, sup-<unit>, unit-<community>");
ABSL_FLAG(std::string, pg, "", "libpq conninfo of the read model (lag probes, memory phase)");
ABSL_FLAG(std::string, redis, "", "Redis address, unix:///path (memory phase, INFO)");
ABSL_FLAG(std::string, cpu_pids, "", "dispatchd=PID,redis=PID: CPU per submission in the watch phase");
ABSL_FLAG(int, tickets, 1000000, "tickets to load (load: this segment's)");
ABSL_FLAG(int, first, 0, "load: the number of this segment's first ticket");
ABSL_FLAG(int, threads, 192, "client threads of the load");
ABSL_FLAG(int, reps, 200, "timed calls per read");
ABSL_FLAG(int, warmup, 20,
          "untimed calls of each read first (the reader's pooled connections open at their first "
          "statement, and each backend reads a partition's catalog entries once)");
ABSL_FLAG(int, redis_reps, 3, "timed calls per read against --redis_target");
ABSL_FLAG(double, redis_deadline_s, 120, "deadline of a read against --redis_target");
ABSL_FLAG(std::string, lag_rates, "2000,1000",
          "submissions per second of the lag phases (the first is the summary's)");
ABSL_FLAG(bool, lag_only, false,
          "measure: only the lag phases, then stop (a change of the projector measured without "
          "the reads, watches and memory phases)");
ABSL_FLAG(int, redis_only_pid, 0, "dispatchd of --redis_target: stopped (SIGTERM) after its reads");
ABSL_FLAG(double, lag_seconds, 30, "length of the lag phase");
ABSL_FLAG(double, idle_seconds, 20,
          "measure: how long the service is watched at rest (no calls) before the reads");
ABSL_FLAG(int, watch_rate, 100, "submissions per second of the watch phases");
ABSL_FLAG(double, watch_seconds, 20, "length of each watch phase");
ABSL_FLAG(int, watchers, 200, "watchers of the second watch phase");
ABSL_FLAG(double, watch_quiet_s, 600,
          "before each watch phase, wait at most this long for Redis's AOF rewrite and "
          "PostgreSQL's autovacuum workers to finish (0: do not wait)");
ABSL_FLAG(int, watch_batch, 100,
          "the watches' max_events_per_response in the phase of H (above 1: a phase with one event "
          "a response runs before it, for comparison)");
ABSL_FLAG(double, stream_keep_s, 300, "dispatchd's read_model.stream_keep, seconds");
ABSL_FLAG(double, archive_interval_s, 10, "dispatchd's read_model.archive_interval, seconds");

namespace {

namespace v1 = dispatch::v1;
using Steady = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;

double MsSince(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

std::string ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = dispatch::ReadFile(path);
  if (!text.ok()) {
    fprintf(stderr, "reads_bench: %s\n", text.status().ToString().c_str());
    exit(2);
  }
  return *std::move(text);
}

std::string Token(const std::string& name) {
  return absl::StrCat("Bearer ", absl::StripAsciiWhitespace(ReadFile(
                                     absl::StrCat(absl::GetFlag(FLAGS_tokens), "/", name, ".token"))));
}

struct Stats {
  std::vector<double> ms;
  void Add(double v) { ms.push_back(v); }
  double Pct(double p) {
    if (ms.empty()) return -1;
    std::sort(ms.begin(), ms.end());
    size_t i = std::min(ms.size() - 1, static_cast<size_t>(p / 100.0 * ms.size()));
    return ms[i];
  }
  std::string Line() {
    return absl::StrFormat("n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f", ms.size(), Pct(50), Pct(99),
                           Pct(100));
  }
};

// One server: its channels, stubs per call site.
class Api {
 public:
  // Channels with distinct first_id are distinct connections.
  Api(const std::string& address, int channels, int first_id = 0) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(absl::GetFlag(FLAGS_ca));
    auto creds = grpc::SslCredentials(ssl);
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", first_id + i);
      args.SetMaxReceiveMessageSize(64 << 20);
      channels_.push_back(grpc::CreateCustomChannel(address, creds, args));
    }
  }
  std::shared_ptr<grpc::Channel> channel(size_t i) { return channels_[i % channels_.size()]; }

 private:
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& ch)
      : intake(v1::IntakeService::NewStub(ch)),
        routing(v1::RoutingService::NewStub(ch)),
        escalation(v1::EscalationService::NewStub(ch)) {}
  std::unique_ptr<v1::IntakeService::Stub> intake;
  std::unique_ptr<v1::RoutingService::Stub> routing;
  std::unique_ptr<v1::EscalationService::Stub> escalation;
};

void Authorize(grpc::ClientContext* ctx, const std::string& token, double deadline_s = 30) {
  ctx->AddMetadata("authorization", token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000)));
}

// The organisation's estates (deploy/org.textproto) and the community each belongs to.
struct Estate {
  const char* name;
  const char* community;
};
constexpr Estate kEstates[] = {
    {"翠苑一区", "430923100001"}, {"翠苑二区", "430923100001"}, {"滨江花园", "430923100002"},
    {"茶乡名居", "430923101001"}, {"东风新村", "430902001001"}, {"建设大厦", "430902001002"},
    {"长春花园", "430902002001"}};
constexpr const char* kUnits[] = {"430900",       "430923",       "430902",       "430923100",
                                  "430923101",    "430902001",    "430902002",    "430923100001",
                                  "430923100002", "430923101001", "430902001001", "430902001002",
                                  "430902002001"};
constexpr const char* kPhrases[] = {
    "小区电梯经常停运，物业接到报修后一直拖延，", "楼道照明损坏多日无人更换，老人夜间出行不便，",
    "物业公司未按合同约定公示收支情况，业主多次询问无果，", "地下车库积水严重，排水设施长期失修，",
    "垃圾清运不及时，夏季异味明显影响居民生活，", "绿化带长期无人养护，杂草丛生蚊虫滋生，",
    "单元门禁系统损坏，外来人员随意进出存在安全隐患，", "请有关部门督促物业尽快整改并答复。"};
constexpr v1::Category kCategories[] = {v1::CATEGORY_SERVICE_QUALITY,
                                        v1::CATEGORY_CONTRACT_PERFORMANCE,
                                        v1::CATEGORY_INFORMATION_DISCLOSURE};
// Nobody complains of it in this load: the rare filter matches nothing.
constexpr v1::Category kRareCategory = v1::CATEGORY_MAINTENANCE_FUND;

std::string Description(uint64_t i) {
  const size_t chars = 100 + (i * 31) % 201;  // 100-300 characters
  std::string out;
  size_t n = 0;
  for (size_t k = i % 8; n < chars; ++k) {
    const std::string p = kPhrases[k % 8];
    for (size_t b = 0; b < p.size() && n < chars;) {  // whole UTF-8 characters
      size_t len = (static_cast<unsigned char>(p[b]) >= 0xE0) ? 3 : 1;
      out.append(p, b, len);
      b += len;
      ++n;
    }
  }
  return out;
}

v1::SubmitComplaintRequest Complaint(const std::string& work_order, uint64_t i) {
  v1::SubmitComplaintRequest r;
  v1::Complaint* c = r.mutable_complaint();
  const Estate& e = kEstates[i % 7];
  c->set_channel(v1::CHANNEL_HOTLINE_12345);
  c->set_channel_work_order_id(work_order);
  c->set_category(kCategories[(i / 7) % 3]);
  c->set_title("物业服务投诉");
  c->set_description(Description(i));
  c->mutable_location()->mutable_jurisdiction()->set_community_code(e.community);
  c->mutable_location()->set_estate_name(e.name);
  c->mutable_location()->set_address(absl::StrCat((i % 30) + 1, "幢", (i % 4) + 1, "单元"));
  c->mutable_complainant()->set_name("张先生");
  c->mutable_complainant()->set_phone(absl::StrFormat("139%08d", i % 100000000));
  c->set_property_company(absl::StrCat("物业公司", i % 40));
  return r;
}

v1::TicketWrite Write(const v1::Ticket& t, const std::string& request_id) {
  v1::TicketWrite w;
  w.set_ticket_id(t.ticket_id());
  w.set_expected_version(t.version());
  w.set_request_id(request_id);
  return w;
}

// Paces callers to `rate` per second overall.
class Pacer {
 public:
  explicit Pacer(double rate) : interval_(1.0 / rate), start_(Steady::now()) {}
  void Wait() {
    uint64_t n = next_.fetch_add(1);
    auto at = start_ + std::chrono::duration_cast<Steady::duration>(
                           std::chrono::duration<double>(n * interval_));
    std::this_thread::sleep_until(at);
  }

 private:
  const double interval_;
  const Steady::time_point start_;
  std::atomic<uint64_t> next_{0};
};

// The projector's lag: the time from a submission's response until its ticket row is in
// PostgreSQL, sampled every `every` from the latest submission.
class LagProbe {
 public:
  explicit LagProbe(std::chrono::milliseconds every) : every_(every) {
    dispatch::pg::Options o;
    o.conninfo = absl::GetFlag(FLAGS_pg);
    o.application_name = "reads_bench";
    pg_ = dispatch::pg::Connection::OpenLater(o);
    thread_ = std::thread([this] { Run(); });
  }
  void Submitted(const std::string& ticket_id) {
    std::lock_guard<std::mutex> l(mu_);
    latest_ = ticket_id;
    latest_at_ = Steady::now();
  }
  Stats Stop() {
    stop_ = true;
    thread_.join();
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }
  // The probes that waited a second or more: "<submitted, s into the phase>:<lag>".
  std::string Slow() {
    std::lock_guard<std::mutex> l(mu_);
    return slow_.empty() ? " none" : slow_;
  }

 private:
  void Run() {
    while (!stop_) {
      std::this_thread::sleep_for(every_);
      std::string id;
      Steady::time_point at;
      {
        std::lock_guard<std::mutex> l(mu_);
        id.swap(latest_);
        at = latest_at_;
      }
      if (id.empty()) continue;
      while (true) {
        auto r = pg_->Exec("SELECT 1 FROM tickets WHERE ticket_id = $1",
                           {dispatch::pg::Text(id)});
        if (r.ok() && r->rows() > 0) break;
        if (MsSince(at) > 600000) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      std::lock_guard<std::mutex> l(mu_);
      const double lag = MsSince(at);
      stats_.Add(lag);
      if (lag >= 1000) {  // when in the phase the projector fell behind, and by how much
        absl::StrAppendFormat(&slow_, " %.1fs:%.0fms",
                              std::chrono::duration<double>(at - start_).count(), lag);
      }
    }
  }
  const std::chrono::milliseconds every_;
  std::unique_ptr<dispatch::pg::Connection> pg_;
  std::mutex mu_;
  std::string latest_;
  Steady::time_point latest_at_;
  const Steady::time_point start_ = Steady::now();
  Stats stats_;
  std::string slow_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct LoadCounts {
  std::atomic<uint64_t> submitted{0}, failed{0}, handled{0}, resolved{0}, closed{0},
      not_handled{0}, action_failed{0};
  std::mutex mu;
  std::string first_error;
  void Error(const std::string& what, const grpc::Status& s) {
    std::lock_guard<std::mutex> l(mu);
    if (first_error.empty()) first_error = absl::StrCat(what, ": ", s.error_message());
  }
};

class Bench {
 public:
  Bench() : api_(absl::GetFlag(FLAGS_target), 4) {
    gateway_ = Token("gateway");
    city_ = Token("sup-430900");
    for (const char* county : {"430923", "430902"}) county_sup_[county] = Token(absl::StrCat("sup-", county));
    for (const Estate& e : kEstates) handler_[e.community] = Token(absl::StrCat("unit-", e.community));
  }

  // One ticket's life by its number (see the top of the file).
  void Life(Stubs& s, uint64_t i, LagProbe* probe) {
    const std::string wo = absl::StrCat("R", i);
    v1::SubmitComplaintResponse submitted;
    {
      grpc::ClientContext ctx;
      Authorize(&ctx, gateway_);
      grpc::Status st = s.intake->SubmitComplaint(&ctx, Complaint(wo, i), &submitted);
      if (!st.ok()) {
        ++counts_.failed;
        counts_.Error("submit", st);
        return;
      }
    }
    ++counts_.submitted;
    if (probe != nullptr) probe->Submitted(submitted.ticket().ticket_id());
    const uint64_t fate = (i * 7919) % 100;
    if (fate < 21) return;
    // Wait for routing, then the community's handler signs for it (or takes it).
    v1::Ticket t;
    auto until = Steady::now() + std::chrono::seconds(5);
    while (true) {
      grpc::ClientContext ctx;
      Authorize(&ctx, city_);
      v1::GetTicketRequest req;
      req.set_ticket_id(submitted.ticket().ticket_id());
      v1::GetTicketResponse resp;
      grpc::Status st = s.intake->GetTicket(&ctx, req, &resp);
      if (st.ok()) t = resp.ticket();
      if (st.ok() && t.status() != v1::TICKET_STATUS_ACCEPTED) break;
      if (Steady::now() > until) {
        ++counts_.not_handled;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto h = handler_.find(t.responsible_unit_code());
    if (h == handler_.end() || (t.status() != v1::TICKET_STATUS_ROUTED &&
                                t.status() != v1::TICKET_STATUS_ASSIGNED)) {
      ++counts_.not_handled;
      return;
    }
    const std::string& handler = h->second;
    v1::TicketActionResponse done;
    auto act = [&](const char* what, const std::string& token, auto call) {
      grpc::ClientContext ctx;
      Authorize(&ctx, token);
      done.Clear();
      grpc::Status st = call(&ctx);
      if (!st.ok()) {
        ++counts_.action_failed;
        counts_.Error(what, st);
        return false;
      }
      t = done.ticket();
      return true;
    };
    bool ok;
    if (t.status() == v1::TICKET_STATUS_ASSIGNED) {
      v1::SignForTicketRequest req;
      *req.mutable_write() = Write(t, wo + "-sign");
      ok = act("sign for", handler, [&](grpc::ClientContext* c) {
        return s.routing->SignForTicket(c, req, &done);
      });
    } else {
      v1::AssignTicketRequest req;
      *req.mutable_write() = Write(t, wo + "-take");
      req.set_handler_id(HandlerId(t.responsible_unit_code()));
      ok = act("take", handler, [&](grpc::ClientContext* c) {
        return s.routing->AssignTicket(c, req, &done);
      });
    }
    if (!ok) return;
    ++counts_.handled;
    v1::RecordContactRequest contact;
    *contact.mutable_write() = Write(t, wo + "-contact");
    contact.set_preliminary_result("已联系物业，承诺三日内整改");
    contact.set_property_company(absl::StrCat("物业公司", i % 40));
    if (!act("contact", handler, [&](grpc::ClientContext* c) {
          return s.routing->RecordContact(c, contact, &done);
        })) {
      return;
    }
    v1::ResolveTicketRequest resolve;
    *resolve.mutable_write() = Write(t, wo + "-resolve");
    resolve.set_result("物业已整改完毕");
    resolve.set_feedback_to_complainant("已电话告知投诉人整改结果");
    resolve.set_feedback_method(v1::FEEDBACK_METHOD_PHONE);
    // Six in ten complaints prove true, two in part, two not.
    resolve.set_substantiation(i % 10 < 6   ? v1::SUBSTANTIATION_SUBSTANTIATED
                               : i % 10 < 8 ? v1::SUBSTANTIATION_PARTLY_SUBSTANTIATED
                                            : v1::SUBSTANTIATION_UNSUBSTANTIATED);
    if (!act("resolve", handler, [&](grpc::ClientContext* c) {
          return s.routing->ResolveTicket(c, resolve, &done);
        })) {
      return;
    }
    ++counts_.resolved;
    if (fate < 50) return;
    v1::RecordRevisitRequest revisit;
    *revisit.mutable_write() = Write(t, wo + "-revisit");
    revisit.set_tier(v1::TIER_COUNTY);
    revisit.set_reached(true);
    revisit.set_solved(true);
    revisit.set_satisfaction(v1::SATISFACTION_SATISFIED);
    revisit.set_method(v1::REVISIT_METHOD_PHONE);
    const std::string county = t.responsible_unit_code().substr(0, 6);
    if (!act("revisit", county_sup_[county], [&](grpc::ClientContext* c) {
          return s.escalation->RecordRevisit(c, revisit, &done);
        })) {
      return;
    }
    if (t.status() == v1::TICKET_STATUS_CLOSED) ++counts_.closed;
  }

  static std::string HandlerId(const std::string& community) {
    static const std::map<std::string, std::string> ids = {
        {"430923100001", "h-cd-wgy"}, {"430923100002", "h-cx-wgy"}, {"430923101001", "h-qa-wgy"},
        {"430902001001", "h-df-wgy"}, {"430902001002", "h-js-wgy"}, {"430902002001", "h-cc-wgy"}};
    auto it = ids.find(community);
    return it == ids.end() ? "" : it->second;
  }

  // Runs `n` lives (or only submissions) on `threads` threads, paced when rate > 0.
  void Drive(uint64_t first, uint64_t n, int threads, double rate, bool submit_only,
             LagProbe* probe, bool progress) {
    std::atomic<uint64_t> next{first};
    std::unique_ptr<Pacer> pacer;
    if (rate > 0) pacer = std::make_unique<Pacer>(rate);
    std::vector<std::thread> pool;
    auto start = Steady::now();
    std::atomic<bool> done{false};
    std::thread reporter;
    if (progress) {
      reporter = std::thread([&] {
        while (!done) {
          for (int k = 0; k < 100 && !done; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          printf("  load %.0fs submitted=%lu failed=%lu handled=%lu resolved=%lu closed=%lu "
                 "not_handled=%lu action_failed=%lu\n",
                 MsSince(start) / 1000, counts_.submitted.load(), counts_.failed.load(),
                 counts_.handled.load(), counts_.resolved.load(), counts_.closed.load(),
                 counts_.not_handled.load(), counts_.action_failed.load());
          fflush(stdout);
        }
      });
    }
    for (int k = 0; k < threads; ++k) {
      pool.emplace_back([&, k] {
        Stubs s(api_.channel(k));
        while (true) {
          uint64_t i = next.fetch_add(1);
          if (i >= first + n) return;
          if (pacer) pacer->Wait();
          if (submit_only) {
            grpc::ClientContext ctx;
            Authorize(&ctx, gateway_);
            v1::SubmitComplaintResponse resp;
            grpc::Status st = s.intake->SubmitComplaint(
                &ctx, Complaint(absl::StrCat("L", i), i), &resp);
            if (st.ok()) {
              ++counts_.submitted;
              if (probe != nullptr) probe->Submitted(resp.ticket().ticket_id());
            } else {
              ++counts_.failed;
              counts_.Error("submit", st);
            }
          } else {
            Life(s, i, probe);
          }
        }
      });
    }
    for (auto& t : pool) t.join();
    done = true;
    if (reporter.joinable()) reporter.join();
  }

  LoadCounts& counts() { return counts_; }
  Api& api() { return api_; }
  const std::string& city() const { return city_; }
  const std::string& gateway() const { return gateway_; }

 private:
  Api api_;
  std::string gateway_, city_;
  std::map<std::string, std::string> county_sup_, handler_;
  LoadCounts counts_;
};

// Times `call` `reps` times (each returns false on failure), after `warmup` untimed calls.
Stats Time(int reps, const std::function<bool()>& call, int* failures, int warmup = 0) {
  for (int k = 0; k < warmup; ++k) call();
  Stats st;
  for (int k = 0; k < reps; ++k) {
    auto t0 = Steady::now();
    if (call()) {
      st.Add(MsSince(t0));
    } else {
      ++*failures;
    }
  }
  return st;
}

struct ReadResults {
  double county = -1, rare = -1, page20 = -1, breaches = -1, history = -1;
};

// The five reads against one server. `deadline_s` bounds each call.
ReadResults Reads(const char* side, Api& api, const std::string& token, int reps,
                  double deadline_s, const std::vector<std::string>& sample_ids,
                  absl::Time month_from, absl::Time month_to, int warmup) {
  Stubs s(api.channel(0));
  ReadResults out;
  int failures = 0;
  std::string last_error;
  auto list = [&](const v1::ListTicketsRequest& req, v1::ListTicketsResponse* resp) {
    grpc::ClientContext ctx;
    Authorize(&ctx, token, deadline_s);
    grpc::Status st = s.intake->ListTickets(&ctx, req, resp);
    if (!st.ok()) last_error = absl::StrCat(st.error_code(), " ", st.error_message());
    return st.ok();
  };
  v1::ListTicketsRequest county;
  county.set_unit_code("430923");
  county.set_page_size(50);
  Stats c = Time(reps, [&] { v1::ListTicketsResponse r; return list(county, &r); }, &failures,
                 warmup);
  printf("%s list_county %s\n", side, c.Line().c_str());
  out.county = c.Pct(99);

  v1::ListTicketsRequest rare;
  rare.set_unit_code("430923100002");
  rare.set_breached_only(true);
  rare.add_categories(kRareCategory);
  rare.set_page_size(50);
  Stats r = Time(reps, [&] {
    v1::ListTicketsResponse resp;
    bool ok = list(rare, &resp);
    if (ok && resp.tickets_size() != 0) printf("%s rare filter matched %d\n", side, resp.tickets_size());
    return ok;
  }, &failures, warmup);
  printf("%s list_rare %s\n", side, r.Line().c_str());
  out.rare = r.Pct(99);

  // Page 20: the token of page 19 once, then page 20 timed.
  v1::ListTicketsRequest paged = county;
  auto t0 = Steady::now();
  bool walked = true;
  for (int page = 1; page < 20 && walked; ++page) {
    v1::ListTicketsResponse resp;
    walked = list(paged, &resp) && !resp.next_page_token().empty();
    paged.set_page_token(resp.next_page_token());
  }
  printf("%s pages 1-19 in %.1f ms\n", side, MsSince(t0));
  if (walked) {
    Stats p = Time(reps, [&] { v1::ListTicketsResponse resp; return list(paged, &resp); },
                   &failures, warmup);
    printf("%s list_page20 %s\n", side, p.Line().c_str());
    out.page20 = p.Pct(99);
  }

  v1::ListBreachesRequest breaches;
  breaches.set_unit_code("430923");
  *breaches.mutable_from() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(month_from));
  *breaches.mutable_to() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(month_to));
  breaches.set_page_size(50);
  int listed = -1;
  Stats b = Time(reps, [&] {
    grpc::ClientContext ctx;
    Authorize(&ctx, token, deadline_s);
    v1::ListBreachesResponse resp;
    grpc::Status st = s.escalation->ListBreaches(&ctx, breaches, &resp);
    if (!st.ok()) last_error = absl::StrCat(st.error_code(), " ", st.error_message());
    listed = resp.breaches_size();
    return st.ok();
  }, &failures, warmup);
  printf("%s breaches_month %s (first page %d breaches)\n", side, b.Line().c_str(), listed);
  out.breaches = b.Pct(99);

  // Warm-up on tickets of the sample's end, then the timed calls from its start (the oldest
  // ticket first): no history is timed twice.
  size_t k = sample_ids.size() > static_cast<size_t>(reps + warmup) ? reps : 0;
  int events = 0;
  for (int w = 0; w < warmup && k != 0; ++w) {
    grpc::ClientContext ctx;
    Authorize(&ctx, token, deadline_s);
    v1::GetTicketHistoryRequest req;
    req.set_ticket_id(sample_ids[k++]);
    v1::GetTicketHistoryResponse resp;
    (void)s.intake->GetTicketHistory(&ctx, req, &resp);
  }
  k = 0;
  std::vector<std::pair<double, std::string>> timed;  // (ms, ticket) of each timed call
  auto history = [&](const std::string& id, int* n, double* ms) {
    grpc::ClientContext ctx;
    Authorize(&ctx, token, deadline_s);
    v1::GetTicketHistoryRequest req;
    req.set_ticket_id(id);
    v1::GetTicketHistoryResponse resp;
    const auto t0 = Steady::now();
    grpc::Status st = s.intake->GetTicketHistory(&ctx, req, &resp);
    *ms = MsSince(t0);
    if (!st.ok()) last_error = absl::StrCat(st.error_code(), " ", st.error_message());
    *n = resp.events_size();
    return st.ok();
  };
  Stats h = Time(std::min<int>(reps, sample_ids.size()), [&] {
    const std::string& id = sample_ids[k++ % sample_ids.size()];
    int n = 0;
    double ms = 0;
    const bool ok = history(id, &n, &ms);
    timed.emplace_back(ms, id);
    events += n;
    return ok;
  }, &failures);
  printf("%s history %s (%d events)\n", side, h.Line().c_str(), events);
  // Whether the slowest are slow tickets or slow moments: each again, twice.
  std::sort(timed.rbegin(), timed.rend());
  timed.resize(std::min<size_t>(timed.size(), 3));
  std::string again;
  for (const auto& [ms, id] : timed) {
    int n = 0;
    double first = 0, second = 0;
    history(id, &n, &first);
    history(id, &n, &second);
    absl::StrAppendFormat(&again, " %s (%d events) %.2f ms, again %.2f and %.2f ms;", id, n, ms,
                          first, second);
  }
  printf("%s history slowest:%s\n", side, again.c_str());
  out.history = h.Pct(99);
  if (failures > 0) printf("%s failures=%d last: %s\n", side, failures, last_error.c_str());
  fflush(stdout);
  return out;
}

// The fields of a /proc/<pid>/stat after the command name (f[0] is the state, f[1] the parent,
// f[11..14] utime, stime, cutime, cstime in clock ticks); false when the process is gone.
bool ProcStat(const std::string& path, std::vector<std::string>* f) {
  absl::StatusOr<std::string> stat = dispatch::ReadFile(path);
  if (!stat.ok() || stat->rfind(')') == std::string::npos) return false;
  *f = absl::StrSplit(stat->substr(stat->rfind(')') + 2), ' ');
  return f->size() > 14;
}

// CPU seconds of `pid` and of its children alive now (PostgreSQL's backends); exited
// children's time counts once their parent has waited for them (cutime, cstime).
double CpuSeconds(int pid) {
  std::vector<std::string> f;
  if (!ProcStat(absl::StrCat("/proc/", pid, "/stat"), &f)) return 0;
  double ticks = std::stod(f[11]) + std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14]);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !isdigit(name[0])) continue;
    std::vector<std::string> c;
    if (ProcStat(entry.path() / "stat", &c) && c[1] == std::to_string(pid)) {
      ticks += std::stod(c[11]) + std::stod(c[12]);
    }
  }
  return ticks / sysconf(_SC_CLK_TCK);
}

// Waits until the read model has caught up with a submission made now; returns the seconds.
// Waits until the fact store has folded every change queued before the call (the clocks keep
// queueing more); returns the seconds it took and sets `*queued` to what was waiting.
double FactsSettle(dispatch::pg::Connection* pg, int64_t* queued) {
  auto start = Steady::now();
  auto t0 = pg->Exec("SELECT now()::text");
  const std::string since = t0.ok() ? t0->Get(0, 0) : "infinity";
  *queued = -1;
  for (;;) {
    auto r = pg->Exec("SELECT count(*) FROM fact_queue WHERE queued_at <= $1::timestamptz",
                      {dispatch::pg::Text(since)});
    const int64_t left = r.ok() ? r->GetInt(0, 0) : -1;
    if (*queued < 0) *queued = left;
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return MsSince(start) / 1000;
}

double Settle(Bench& bench) {
  Stubs s(bench.api().channel(0));
  auto start = Steady::now();
  int64_t marker_ms = 0;
  {
    grpc::ClientContext ctx;
    Authorize(&ctx, bench.gateway());
    v1::SubmitComplaintResponse resp;
    grpc::Status st = s.intake->SubmitComplaint(
        &ctx, Complaint(absl::StrCat("MARK-", absl::ToUnixMicros(absl::Now())), 0), &resp);
    if (!st.ok()) {
      fprintf(stderr, "marker: %s\n", st.error_message().c_str());
      exit(1);
    }
    marker_ms = TimeUtil::TimestampToMilliseconds(resp.ticket().accepted_at());
  }
  while (true) {
    grpc::ClientContext ctx;
    Authorize(&ctx, bench.city());
    v1::ListTicketsRequest req;
    req.set_unit_code("430923");
    req.set_page_size(1);
    v1::ListTicketsResponse resp;
    grpc::Status st = s.intake->ListTickets(&ctx, req, &resp);
    if (st.ok() && TimeUtil::TimestampToMilliseconds(resp.read_model().caught_up_to()) >= marker_ms) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return MsSince(start) / 1000;
}

std::string CpuLine(const std::map<std::string, int>& pids, const std::map<std::string, double>& before,
                    uint64_t per) {
  std::string out;
  for (const auto& [name, pid] : pids) {
    absl::StrAppendFormat(&out, " %s=%.0f", name,
                          (CpuSeconds(pid) - before.at(name)) * 1e6 / std::max<uint64_t>(per, 1));
  }
  return out;
}
std::map<std::string, double> CpuNow(const std::map<std::string, int>& pids) {
  std::map<std::string, double> out;
  for (const auto& [name, pid] : pids) out[name] = CpuSeconds(pid);
  return out;
}

int64_t RedisInfo(dispatch::redis::Client* redis, const std::string& section,
                  const std::string& field);

// What else ran on the machine during a phase: every process's CPU, sampled every 250 ms so that
// a short-lived one (an autovacuum worker, Redis's rewrite child) is seen; Stop() names the
// busiest with their command lines (a process that started during the phase counts from 0),
// then how long tasks waited for a CPU and for I/O (the kernel's pressure stall information, as
// a share of the phase) and the most dirty or in-writeback page cache seen.
class Busiest {
 public:
  Busiest() : cpu0_(Stall("cpu")), io0_(Stall("io")), thread_([this] { Run(); }) {}
  ~Busiest() { Halt(); }
  std::string Stop(int n) {
    Halt();
    std::vector<std::pair<double, std::string>> by;
    for (const auto& [pid, p] : seen_) {
      if (p.last > p.first) by.push_back({p.last - p.first, absl::StrCat(p.name, " (", pid, ")")});
    }
    std::sort(by.rbegin(), by.rend());
    std::string out;
    for (int i = 0; i < n && i < static_cast<int>(by.size()); ++i) {
      absl::StrAppendFormat(&out, " %s %.1f s;", by[i].second, by[i].first);
    }
    const double us = std::chrono::duration<double, std::micro>(Steady::now() - start_).count();
    absl::StrAppendFormat(&out, " stalled (some task waiting): cpu %.1f%% io %.1f%% of the time; "
                          "dirty+writeback at most %d MB;",
                          (Stall("cpu") - cpu0_) * 100 / us, (Stall("io") - io0_) * 100 / us,
                          dirty_kb_ / 1024);
    return out;
  }

 private:
  struct Seen {
    double first = 0, last = 0;
    std::string name;
  };
  // /proc/pressure/<what>: the "some" line's total, microseconds (0 where PSI is off).
  static double Stall(const char* what) {
    absl::StatusOr<std::string> text = dispatch::ReadFile(absl::StrCat("/proc/pressure/", what));
    if (!text.ok()) return 0;
    const size_t at = text->find("total=");
    return at == std::string::npos ? 0 : std::strtod(text->c_str() + at + 6, nullptr);
  }
  static int64_t DirtyKb() {
    absl::StatusOr<std::string> text = dispatch::ReadFile("/proc/meminfo");
    if (!text.ok()) return 0;
    int64_t kb = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      if (absl::ConsumePrefix(&line, "Dirty:") || absl::ConsumePrefix(&line, "Writeback:")) {
        kb += std::strtoll(std::string(line).c_str(), nullptr, 10);
      }
    }
    return kb;
  }
  void Halt() {
    if (!thread_.joinable()) return;
    stop_.Notify();
    thread_.join();
  }
  void Run() {
    bool initial = true;
    do {
      for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename();
        if (pid.empty() || !isdigit(pid[0])) continue;
        std::vector<std::string> f;
        if (!ProcStat(entry.path() / "stat", &f)) continue;
        const double s = (std::stod(f[11]) + std::stod(f[12])) / sysconf(_SC_CLK_TCK);
        auto [it, fresh] = seen_.try_emplace(pid);
        if (fresh) {
          it->second.first = initial ? s : 0;
          absl::StatusOr<std::string> cmd = dispatch::ReadFile(entry.path() / "cmdline");
          std::string name = cmd.ok() ? *cmd : "";
          std::replace(name.begin(), name.end(), '\0', ' ');
          it->second.name = std::string(absl::StripAsciiWhitespace(name.substr(0, 60)));
        }
        it->second.last = s;
      }
      dirty_kb_ = std::max(dirty_kb_, DirtyKb());
      initial = false;
    } while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(250)));
  }
  std::map<std::string, Seen> seen_;
  const Steady::time_point start_ = Steady::now();
  const double cpu0_, io0_;
  int64_t dirty_kb_ = 0;
  absl::Notification stop_;
  std::thread thread_;
};

// PostgreSQL's background work since `before` (checkpoints, buffers written by backends,
// autovacuum and autoanalyze runs); empty `before` just takes the counters.
std::string PgBackground(dispatch::pg::Connection* pg, std::vector<int64_t>* before) {
  auto r = pg->Exec(
      "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend, "
      "(SELECT coalesce(sum(autovacuum_count), 0) FROM pg_stat_all_tables), "
      "(SELECT coalesce(sum(autoanalyze_count), 0) FROM pg_stat_all_tables) FROM pg_stat_bgwriter",
      {});
  if (!r.ok() || r->rows() < 1) return " (no pg_stat_bgwriter)";
  std::vector<int64_t> now;
  for (int c = 0; c < 6; ++c) now.push_back(std::stoll(r->Get(0, c)));
  std::string out;
  if (before->size() == now.size()) {
    absl::StrAppendFormat(&out,
                          " checkpoints timed=%d requested=%d buffers_checkpoint=%d "
                          "buffers_backend=%d autovacuum=%d autoanalyze=%d",
                          now[0] - (*before)[0], now[1] - (*before)[1], now[2] - (*before)[2],
                          now[3] - (*before)[3], now[4] - (*before)[4], now[5] - (*before)[5]);
  }
  *before = now;
  return out;
}

// Rows the projection and the fact store wrote since `before`, per submission, for each read
// model table that changed (inserted, updated and of those HOT, deleted): where the write
// amplification of a submission is. Empty `before` just takes the counters.
std::string PgRows(dispatch::pg::Connection* pg, std::map<std::string, std::vector<int64_t>>* before,
                   uint64_t submissions) {
  auto r = pg->Exec(
      "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables "
      "WHERE relname NOT LIKE 'ticket\\_events\\_%' OR relname = 'ticket_events' ORDER BY relname",
      {});
  if (!r.ok()) return " (no pg_stat_user_tables)";
  std::map<std::string, std::vector<int64_t>> now;
  for (int row = 0; row < r->rows(); ++row) {
    for (int c = 1; c < 5; ++c) now[r->Get(row, 0)].push_back(std::stoll(r->Get(row, c)));
  }
  // The event partitions, summed.
  auto e = pg->Exec(
      "SELECT coalesce(sum(n_tup_ins), 0), 0, 0, 0 FROM pg_stat_user_tables "
      "WHERE relname LIKE 'ticket\\_events\\_%'",
      {});
  if (e.ok() && e->rows() == 1) now["ticket_events"] = {std::stoll(e->Get(0, 0)), 0, 0, 0};
  std::string out;
  if (!before->empty()) {
    const double n = std::max<uint64_t>(submissions, 1);
    for (const auto& [table, v] : now) {
      auto it = before->find(table);
      if (it == before->end()) continue;
      const std::vector<int64_t>& b = it->second;
      if (v[0] - b[0] < n / 200 && v[1] - b[1] < n / 200 && v[3] - b[3] < n / 200) continue;
      absl::StrAppendFormat(&out, " %s ins=%.2f upd=%.2f hot=%.2f del=%.2f", table,
                            (v[0] - b[0]) / n, (v[1] - b[1]) / n, (v[2] - b[2]) / n,
                            (v[3] - b[3]) / n);
    }
  }
  *before = now;
  return out;
}

// Waits (at most --watch_quiet_s) until neither Redis's AOF rewrite nor a PostgreSQL autovacuum
// worker runs: the watch phases measure a steady 100 submissions/s, not the maintenance that the
// lag phases' 90,000 submissions set off. Returns what it waited for and how long.
std::string Quiet(dispatch::redis::Client* redis, dispatch::pg::Connection* pg) {
  const auto start = Steady::now();
  std::set<std::string> waited;
  while (MsSince(start) < absl::GetFlag(FLAGS_watch_quiet_s) * 1000) {
    bool busy = false;
    if (RedisInfo(redis, "persistence", "aof_rewrite_in_progress") > 0) {
      waited.insert("redis aof rewrite");
      busy = true;
    }
    auto r = pg->Exec(
        "SELECT coalesce(string_agg(query, '; '), '') FROM pg_stat_activity "
        "WHERE backend_type = 'autovacuum worker'",
        {});
    if (r.ok() && r->rows() > 0 && !r->Get(0, 0).empty()) {
      for (absl::string_view q : absl::StrSplit(r->Get(0, 0), "; ")) waited.insert(std::string(q));
      busy = true;
    }
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return absl::StrFormat("quiet after %.0f s (waited for: %s)", MsSince(start) / 1000,
                         waited.empty() ? "nothing" : absl::StrJoin(waited, ", "));
}

// Redis's slow log since the last call (commands over 2 ms, Lua scripts as EVALSHA): how many,
// their total, and the slowest by command (the first argument of a script call is its sha).
std::string SlowLog(dispatch::redis::Client* redis) {
  auto got = redis->ExecuteSync({"SLOWLOG", "GET", "1024"});
  (void)redis->ExecuteSync({"SLOWLOG", "RESET"});
  (void)redis->ExecuteSync({"CONFIG", "SET", "slowlog-log-slower-than", "2000"});
  (void)redis->ExecuteSync({"CONFIG", "SET", "slowlog-max-len", "1024"});
  if (!got.ok()) return " (no slow log)";
  std::map<std::string, std::pair<int, int64_t>> by;  // command: count, max us
  int64_t total = 0;
  for (const auto& e : got->elements) {
    if (e.elements.size() < 4) continue;
    const int64_t us = e.elements[2].integer;
    std::string what;
    for (size_t i = 0; i < e.elements[3].elements.size() && i < 3; ++i) {
      absl::StrAppend(&what, i ? " " : "", e.elements[3].elements[i].str.substr(0, 12));
    }
    auto& b = by[what];
    ++b.first;
    b.second = std::max(b.second, us);
    total += us;
  }
  std::string out = absl::StrFormat(" %d over 2 ms, %.0f ms in all:", got->elements.size(), total / 1e3);
  for (const auto& [what, b] : by) absl::StrAppendFormat(&out, " [%s] x%d max %.1f ms;", what, b.first, b.second / 1e3);
  // Stalls outside commands too (AOF writes waiting for fsync, forks, expiry cycles): Redis's
  // latency monitor, events over 5 ms since the last call.
  auto latest = redis->ExecuteSync({"LATENCY", "LATEST"});
  (void)redis->ExecuteSync({"LATENCY", "RESET"});
  (void)redis->ExecuteSync({"CONFIG", "SET", "latency-monitor-threshold", "5"});
  out += " latency monitor:";
  if (latest.ok()) {
    for (const auto& e : latest->elements) {
      if (e.elements.size() < 4) continue;
      absl::StrAppendFormat(&out, " %s latest %d ms max %d ms;", e.elements[0].str,
                            e.elements[2].integer, e.elements[3].integer);
    }
  }
  const int64_t delayed = RedisInfo(redis, "persistence", "aof_delayed_fsync");
  absl::StrAppendFormat(&out, " aof_delayed_fsync=%d (since start) aof_rewrites=%d",
                        delayed, RedisInfo(redis, "persistence", "aof_rewrites"));
  return out;
}

int64_t RedisInfo(dispatch::redis::Client* redis, const std::string& section,
                  const std::string& field) {
  auto r = redis->ExecuteSync({"INFO", section});
  if (!r.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(r->str, "\r\n")) {
    if (absl::ConsumePrefix(&line, field + ":")) {
      int64_t v = 0;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return -1;
}

// Calls per Redis command (INFO commandstats).
// Per command: calls and microseconds spent (INFO commandstats; a script's commands count
// inside it as well as EVALSHA).
struct CommandUse {
  int64_t calls = 0;
  int64_t usec = 0;
};
std::map<std::string, CommandUse> CommandCalls(dispatch::redis::Client* redis) {
  std::map<std::string, CommandUse> out;
  auto r = redis->ExecuteSync({"INFO", "commandstats"});
  if (!r.ok()) return out;
  auto field = [](absl::string_view line, absl::string_view name, int64_t* v) {
    size_t at = line.find(name);
    if (at == absl::string_view::npos) return false;
    absl::string_view rest = line.substr(at + name.size());
    return absl::SimpleAtoi(rest.substr(0, rest.find(',')), v);
  };
  for (absl::string_view line : absl::StrSplit(r->str, "\r\n")) {
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    CommandUse u;
    if (field(line, "calls=", &u.calls) && field(line, "usec=", &u.usec)) {
      out[std::string(line.substr(0, colon))] = u;
    }
  }
  return out;
}
// The commands called most since `before`, per `per`, then those Redis spent most time on
// (microseconds per `per`).
std::string TopCommands(dispatch::redis::Client* redis, const std::map<std::string, CommandUse>& before,
                        uint64_t per) {
  std::vector<std::pair<int64_t, std::string>> calls, usec;
  for (const auto& [name, u] : CommandCalls(redis)) {
    auto it = before.find(name);
    const CommandUse b = it == before.end() ? CommandUse() : it->second;
    calls.emplace_back(u.calls - b.calls, name);
    usec.emplace_back(u.usec - b.usec, name);
  }
  std::sort(calls.rbegin(), calls.rend());
  std::sort(usec.rbegin(), usec.rend());
  const double n = static_cast<double>(std::max<uint64_t>(per, 1));
  std::string out;
  for (size_t i = 0; i < calls.size() && i < 6; ++i) {
    absl::StrAppendFormat(&out, " %s=%.1f", calls[i].second, calls[i].first / n);
  }
  out += "; redis time (us):";
  for (size_t i = 0; i < usec.size() && i < 6; ++i) {
    absl::StrAppendFormat(&out, " %s=%.0f", usec[i].second, usec[i].first / n);
  }
  return out;
}

// One WatchTicketEvents call read by a reactor: `on_event` for every response (on gRPC's
// threads), until Cancel().
class WatchClient : public grpc::ClientReadReactor<v1::WatchTicketEventsResponse> {
 public:
  WatchClient(v1::IntakeService::Stub* stub, const std::string& token,
              const v1::WatchTicketEventsRequest& req,
              std::function<void(const v1::WatchTicketEventsResponse&)> on_event)
      : req_(req), on_event_(std::move(on_event)) {
    ctx_.AddMetadata("authorization", token);
    stub->async()->WatchTicketEvents(&ctx_, &req_, this);
    StartRead(&resp_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    on_event_(resp_);
    StartRead(&resp_);
  }
  void OnDone(const grpc::Status& st) override {
    if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) {
      fprintf(stderr, "watch %s: %s\n", req_.unit_code().c_str(), st.error_message().c_str());
    }
    done_.Notify();
  }
  void Cancel() { ctx_.TryCancel(); }
  void Wait() { done_.WaitForNotification(); }

 private:
  grpc::ClientContext ctx_;
  v1::WatchTicketEventsRequest req_;
  v1::WatchTicketEventsResponse resp_;
  std::function<void(const v1::WatchTicketEventsResponse&)> on_event_;
  absl::Notification done_;
};

// Watch phase: `watchers` streams (spread over the units) asking for up to `batch` events a
// response, submissions at `rate`; returns the end-to-end p99 over every delivery of a
// TicketAccepted.
double WatchPhase(Bench& bench, dispatch::redis::Client* redis, dispatch::pg::Connection* pg,
                  int watchers, int batch, int rate, double seconds, uint64_t first,
                  std::map<std::string, int> pids) {
  pids["bench_client"] = getpid();  // the watchers and the submitter share the two cores
  std::mutex mu;
  std::unordered_map<std::string, Steady::time_point> sent;
  Stats e2e;
  std::atomic<uint64_t> delivered{0}, other_events{0}, responses{0};
  Stats submit_ms;  // the SubmitComplaint calls themselves
  // Each watch a reactor on gRPC's callback threads (not a thread blocked in Read per watch:
  // 200 of those cost the machine the dispatchd under test shares).
  std::vector<std::unique_ptr<Stubs>> stubs;
  std::vector<std::unique_ptr<WatchClient>> readers;
  std::atomic<int> open{0};
  auto on_event = [&](const v1::WatchTicketEventsResponse& resp) {
    auto now = Steady::now();
    ++responses;
    auto one = [&](const v1::TicketEvent& event) {
      if (!event.has_accepted()) {
        ++other_events;
        return;
      }
      std::lock_guard<std::mutex> l(mu);
      auto it = sent.find(event.accepted().channel_work_order_id());
      if (it == sent.end()) return;
      ++delivered;
      e2e.Add(std::chrono::duration<double, std::milli>(now - it->second).count());
    };
    if (resp.has_event()) one(resp.event());
    for (const v1::TicketEvent& event : resp.events()) one(event);
  };
  for (int w = 0; w < watchers; ++w) {
    const std::string unit = watchers == 1 ? "430900" : kUnits[w % 13];
    stubs.push_back(std::make_unique<Stubs>(bench.api().channel(w)));
    v1::WatchTicketEventsRequest req;
    req.set_unit_code(unit);
    req.set_max_events_per_response(batch);
    readers.push_back(std::make_unique<WatchClient>(stubs.back()->intake.get(), bench.city(), req, on_event));
    ++open;
  }
  while (open < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // every watch has joined the hub
  printf("watch: %d watches open; the read model caught up in %.1f s; %s\n", watchers, Settle(bench),
         Quiet(redis, pg).c_str());
  fflush(stdout);

  std::map<std::string, double> cpu0;
  for (const auto& [name, pid] : pids) cpu0[name] = CpuSeconds(pid);
  SlowLog(redis);
  Busiest busiest;
  std::vector<int64_t> pg0;
  PgBackground(pg, &pg0);
  const int64_t rewrites0 = RedisInfo(redis, "persistence", "aof_rewrites");
  const int64_t cmds0 = RedisInfo(redis, "stats", "total_commands_processed");
  const auto calls0 = CommandCalls(redis);
  const uint64_t n = static_cast<uint64_t>(rate * seconds);
  Pacer pacer(rate);
  std::vector<std::thread> pool;
  std::atomic<uint64_t> next{0}, ok{0};
  // The gateway has connections of its own: a hotline gateway does not share one with the
  // dashboards (on a shared HTTP/2 connection its calls would queue behind their streams).
  Api gateway(absl::GetFlag(FLAGS_target), 2, 1000);
  for (int k = 0; k < 16; ++k) {
    pool.emplace_back([&, k] {
      Stubs s(gateway.channel(k));
      while (true) {
        uint64_t i = next.fetch_add(1);
        if (i >= n) return;
        pacer.Wait();
        const std::string wo = absl::StrCat("W", watchers, "-", first + i);
        {
          std::lock_guard<std::mutex> l(mu);
          sent[wo] = Steady::now();
        }
        grpc::ClientContext ctx;
        Authorize(&ctx, bench.gateway());
        v1::SubmitComplaintResponse resp;
        const auto t0 = Steady::now();
        if (s.intake->SubmitComplaint(&ctx, Complaint(wo, first + i), &resp).ok()) ++ok;
        std::lock_guard<std::mutex> l(mu);
        submit_ms.Add(MsSince(t0));
      }
    });
  }
  for (auto& t : pool) t.join();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the last deliveries
  std::map<std::string, double> cpu;
  for (const auto& [name, pid] : pids) cpu[name] = CpuSeconds(pid) - cpu0[name];
  const int64_t cmds = RedisInfo(redis, "stats", "total_commands_processed") - cmds0;
  const std::string top = TopCommands(redis, calls0, ok);
  const std::string slow = SlowLog(redis);
  const std::string busy = busiest.Stop(6);
  const std::string pg_work = PgBackground(pg, &pg0);
  const int64_t rewrites = RedisInfo(redis, "persistence", "aof_rewrites") - rewrites0;
  for (auto& r : readers) r->Cancel();
  for (auto& r : readers) r->Wait();
  std::string cpu_line;
  for (const auto& [name, s] : cpu) {
    absl::StrAppendFormat(&cpu_line, " %s_cpu_us_per_submission=%.0f", name, s * 1e6 / std::max<uint64_t>(ok, 1));
  }
  const double p99 = e2e.Pct(99);
  printf("watch watchers=%d submissions=%lu deliveries=%lu (%.1f per submission) other_events=%lu "
         "responses=%lu (%.2f events each, at most %d) e2e %s redis_commands_per_submission=%.1f%s; "
         "most called per submission:%s\n",
         watchers, ok.load(), delivered.load(), static_cast<double>(delivered) / std::max<uint64_t>(ok, 1),
         other_events.load(), responses.load(),
         static_cast<double>(delivered + other_events) / std::max<uint64_t>(responses, 1),
         batch, e2e.Line().c_str(), static_cast<double>(cmds) / std::max<uint64_t>(ok, 1),
         cpu_line.c_str(), top.c_str());
  printf("watch watchers=%d submit %s; redis slow log:%s\n", watchers, submit_ms.Line().c_str(),
         slow.c_str());
  printf("watch watchers=%d background: busiest processes:%s postgres:%s; redis aof_rewrites=%ld\n",
         watchers, busy.c_str(), pg_work.c_str(), static_cast<long>(rewrites));
  fflush(stdout);
  return p99;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  argc = static_cast<int>(rest.size());
  argv = rest.data();
  Bench bench;
  const int n = absl::GetFlag(FLAGS_tickets);
  std::map<std::string, int> pids;
  for (absl::string_view kv : absl::StrSplit(absl::GetFlag(FLAGS_cpu_pids), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
    pids[p.first] = std::stoi(p.second);
  }
  auto address = dispatch::redis::ParseAddress(absl::GetFlag(FLAGS_redis));
  if (!address.ok()) {
    fprintf(stderr, "reads_bench: --redis: %s\n", address.status().ToString().c_str());
    return 2;
  }
  dispatch::redis::HiredisOptions ro;
  ro.address = *address;
  ro.command_timeout = absl::Seconds(60);
  dispatch::redis::HiredisClient redis(ro);
  dispatch::pg::Options po;
  po.conninfo = absl::GetFlag(FLAGS_pg);
  po.statement_timeout = absl::Seconds(120);
  po.application_name = "reads_bench";
  auto pg = dispatch::pg::Connection::Open(po);
  if (!pg.ok()) {
    fprintf(stderr, "reads_bench: --pg: %s\n", pg.status().ToString().c_str());
    return 2;
  }

  if (argc < 2 || (std::string(argv[1]) != "load" && std::string(argv[1]) != "measure")) {
    fprintf(stderr, "usage: reads_bench load|measure [flags]\n");
    return 2;
  }
  if (std::string(argv[1]) == "load") {
    printf("== load: %d tickets, %d client threads\n", n, absl::GetFlag(FLAGS_threads));
    fflush(stdout);
    auto load_start = Steady::now();
    Stats full_lag;
    {
      LagProbe probe(std::chrono::milliseconds(500));
      bench.Drive(absl::GetFlag(FLAGS_first), n, absl::GetFlag(FLAGS_threads), 0, false, &probe,
                  true);
      full_lag = probe.Stop();
    }
    const double load_s = MsSince(load_start) / 1000;
    auto& c = bench.counts();
    printf("load tickets=%lu in %.0f s (%.0f per s) failed=%lu handled=%lu resolved=%lu closed=%lu "
           "not_handled=%lu action_failed=%lu%s%s\n",
           c.submitted.load(), load_s, c.submitted / load_s, c.failed.load(), c.handled.load(),
           c.resolved.load(), c.closed.load(), c.not_handled.load(), c.action_failed.load(),
           c.first_error.empty() ? "" : " first_error: ", c.first_error.c_str());
    printf("lag at full speed (during the load, time scaled) %s\n", full_lag.Line().c_str());
    return 0;
  }
  auto& c = bench.counts();
  auto load_end = Steady::now();  // measure starts when the load has ended

  printf("settle: the read model caught up %.1f s after the load ended\n", Settle(bench));
  {
    // The statistics facts (services/statistics/fact_store.h) follow the projection; after an
    // upgrade to migration 0003 every ticket of a saved load is queued once.
    int64_t queued = 0;
    const double s = FactsSettle(pg->get(), &queued);
    printf("facts: the fact store folded %ld queued tickets in %.1f s (%.0f per s)\n",
           static_cast<long>(queued), s, queued > 0 && s > 0 ? queued / s : 0.0);
    fflush(stdout);
  }

  // What was loaded, from the read model.
  auto facts = (*pg)->Exec(
      "SELECT count(*), count(*) FILTER (WHERE breached), count(*) FILTER (WHERE status = 6), "
      "count(*) FILTER (WHERE archived_at IS NOT NULL), min(accepted_at), max(accepted_at), "
      "(SELECT count(*) FROM ticket_events), (SELECT count(*) FROM breaches) FROM tickets");
  if (!facts.ok()) {
    fprintf(stderr, "facts: %s\n", facts.status().ToString().c_str());
    return 1;
  }
  printf("read model: tickets=%s breached=%s closed=%s archived=%s accepted %s .. %s events=%s "
         "breaches=%s\n",
         facts->Get(0, 0).c_str(), facts->Get(0, 1).c_str(), facts->Get(0, 2).c_str(), facts->Get(0, 3).c_str(), facts->Get(0, 4).c_str(),
         facts->Get(0, 5).c_str(), facts->Get(0, 6).c_str(), facts->Get(0, 7).c_str());
  absl::Time first_at, last_at;
  std::string err;
  absl::ParseTime("%Y-%m-%d %H:%M:%E*S%Ez", facts->Get(0, 4), &first_at, &err);
  absl::ParseTime("%Y-%m-%d %H:%M:%E*S%Ez", facts->Get(0, 5), &last_at, &err);
  // The first whole month (Asia/Shanghai) of the load, else its first 30 days.
  absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  absl::CivilMonth m = absl::CivilMonth(absl::ToCivilSecond(first_at, shanghai)) + 1;
  absl::Time month_from = absl::FromCivil(m, shanghai), month_to = absl::FromCivil(m + 1, shanghai);
  if (month_to > last_at) {
    month_from = first_at;
    month_to = first_at + absl::Hours(24 * 30);
  }
  printf("month of ListBreaches: %s .. %s\n", absl::FormatTime(month_from, shanghai).c_str(),
         absl::FormatTime(month_to, shanghai).c_str());
  // History sample: random tickets, the oldest among them.
  std::vector<std::string> sample;
  {
    auto r = (*pg)->Exec("(SELECT ticket_id FROM tickets ORDER BY accepted_at LIMIT 1) UNION ALL "
                         "(SELECT ticket_id FROM tickets TABLESAMPLE SYSTEM (1) LIMIT $1)",
                         {dispatch::pg::Int(absl::GetFlag(FLAGS_reps) + absl::GetFlag(FLAGS_warmup))});
    if (r.ok()) {
      for (int i = 0; i < r->rows(); ++i) sample.push_back(r->Get(i, 0));
    }
    std::shuffle(sample.begin() + 1, sample.end(), std::mt19937(42));
  }

  // At rest: what the service costs with nobody calling it (clocks, projector, archiver).
  if (const double idle = absl::GetFlag(FLAGS_idle_seconds); idle > 0 && !pids.empty()) {
    auto cpu0 = CpuNow(pids);
    const auto calls0 = CommandCalls(&redis);
    absl::SleepFor(absl::Seconds(idle));
    std::string cpu_line;
    for (const auto& [name, pid] : pids) {
      absl::StrAppendFormat(&cpu_line, " %s=%.1f%%", name, (CpuSeconds(pid) - cpu0[name]) * 100 / idle);
    }
    printf("at rest %.0f s: cpu of a core%s; redis calls per second:%s\n", idle, cpu_line.c_str(),
           TopCommands(&redis, calls0, static_cast<uint64_t>(idle)).c_str());
    fflush(stdout);
  }

  // Reads.
  const bool lag_only = absl::GetFlag(FLAGS_lag_only);
  ReadResults rm;
  if (!lag_only) {
    printf("== reads through the API (%d each)\n", absl::GetFlag(FLAGS_reps));
    rm = Reads("read_model", bench.api(), bench.city(), absl::GetFlag(FLAGS_reps), 30, sample,
               month_from, month_to, absl::GetFlag(FLAGS_warmup));
  }
  if (!lag_only && !absl::GetFlag(FLAGS_redis_target).empty()) {
    printf("== today's reads: Redis scans (a dispatchd without the read model; %d each, deadline "
           "%.0f s; tickets archived are no longer in Redis)\n",
           absl::GetFlag(FLAGS_redis_reps), absl::GetFlag(FLAGS_redis_deadline_s));
    fflush(stdout);
    Api redis_api(absl::GetFlag(FLAGS_redis_target), 1);
    std::vector<std::string> live;
    auto r = (*pg)->Exec("SELECT ticket_id FROM tickets WHERE archived_at IS NULL "
                         "ORDER BY accepted_at LIMIT 1");
    if (r.ok() && r->rows() > 0) live.push_back(r->Get(0, 0));
    if (!live.empty()) {
      Reads("redis", redis_api, bench.city(), absl::GetFlag(FLAGS_redis_reps),
            absl::GetFlag(FLAGS_redis_deadline_s), live, month_from, month_to, 0);
    }
  }

  if (const int pid = absl::GetFlag(FLAGS_redis_only_pid); pid > 0) {
    kill(pid, SIGTERM);  // its timer engine and workers would run beside the next phases
    waitpid(pid, nullptr, WNOHANG);
  }

  // The projector's lag at steady rates.
  Stats lag;
  bool first_rate = true;
  for (absl::string_view rate_text : absl::StrSplit(absl::GetFlag(FLAGS_lag_rates), ',')) {
    int rate = 0;
    if (!absl::SimpleAtoi(rate_text, &rate) || rate <= 0) continue;
    printf("== lag: submissions at %d/s for %.0f s; the read model caught up in %.1f s before\n",
           rate, absl::GetFlag(FLAGS_lag_seconds), Settle(bench));
    fflush(stdout);
    LagProbe probe(std::chrono::milliseconds(100));
    const uint64_t before = c.submitted;
    std::map<std::string, int> lag_pids = pids;
    lag_pids["bench_client"] = getpid();  // the load generator shares the two cores
    auto cpu0 = CpuNow(lag_pids);
    const auto calls0 = CommandCalls(&redis);
    Busiest busiest;
    std::vector<int64_t> pg0;
    PgBackground(pg->get(), &pg0);
    std::map<std::string, std::vector<int64_t>> rows0;
    PgRows(pg->get(), &rows0, 0);
    auto t0 = Steady::now();
    bench.Drive(2000000000ull + c.submitted, static_cast<uint64_t>(rate * absl::GetFlag(FLAGS_lag_seconds)),
                64, rate, true, &probe, false);
    const double seconds = MsSince(t0) / 1000;
    Stats measured = probe.Stop();
    const double drain = Settle(bench);
    printf("lag phase %d/s: %lu submissions in %.1f s (%.0f per s); projector lag %s; caught up "
           "%.1f s after the last; cpu_us_per_submission%s; redis calls per submission:%s\n",
           rate, c.submitted - before, seconds, (c.submitted - before) / seconds,
           measured.Line().c_str(), drain, CpuLine(lag_pids, cpu0, c.submitted - before).c_str(),
           TopCommands(&redis, calls0, c.submitted - before).c_str());
    printf("lag phase %d/s probes of a second or more:%s\n", rate, probe.Slow().c_str());
    printf("lag phase %d/s background (until caught up): busiest processes:%s postgres:%s\n", rate,
           busiest.Stop(6).c_str(), PgBackground(pg->get(), &pg0).c_str());
    // The statistics are flushed by the backends about once a second.
    absl::SleepFor(absl::Milliseconds(1500));
    printf("lag phase %d/s rows per submission (until caught up):%s\n", rate,
           PgRows(pg->get(), &rows0, c.submitted - before).c_str());
    fflush(stdout);
    int64_t queued = 0;
    const double folded = FactsSettle(pg->get(), &queued);
    printf("lag phase %d/s facts: the fact store folded the %ld tickets queued by then %.1f s "
           "after the read model caught up (statistics.fold_delay 30 s)\n",
           rate, static_cast<long>(queued), folded);
    fflush(stdout);
    if (first_rate) lag = measured;
    first_rate = false;
  }

  if (lag_only) {
    printf("lag_only projector_lag_p99_ms=%.0f (the first phase's)\n", lag.Pct(99));
    return c.failed > 0 ? 1 : 0;
  }

  // Watches.
  // H is the last phase: dashboards ask for batches (max_events_per_response); the phase before
  // it, the same watchers with one event a response, shows what batching changes.
  const int watchers = absl::GetFlag(FLAGS_watchers), batch = absl::GetFlag(FLAGS_watch_batch);
  printf("== watch: %d submissions/s for %.0f s: 1 watcher, then %d with one event a response, "
         "then %d with up to %d events a response\n",
         absl::GetFlag(FLAGS_watch_rate), absl::GetFlag(FLAGS_watch_seconds), watchers, watchers, batch);
  fflush(stdout);
  WatchPhase(bench, &redis, pg->get(), 1, batch, absl::GetFlag(FLAGS_watch_rate),
             absl::GetFlag(FLAGS_watch_seconds), 0, pids);
  if (batch > 1) {
    WatchPhase(bench, &redis, pg->get(), watchers, 1, absl::GetFlag(FLAGS_watch_rate),
               absl::GetFlag(FLAGS_watch_seconds), 1000000, pids);
  }
  double watch_p99 = WatchPhase(bench, &redis, pg->get(), watchers, batch, absl::GetFlag(FLAGS_watch_rate),
                                absl::GetFlag(FLAGS_watch_seconds), 2000000, pids);

  // Memory: what archived tickets still hold, once every archived ticket's entries are older
  // than stream_keep and the archiver has run again.
  const double wait_s = absl::GetFlag(FLAGS_stream_keep_s) + 3 * absl::GetFlag(FLAGS_archive_interval_s) -
                        std::chrono::duration<double>(Steady::now() - load_end).count();
  if (wait_s > 0) {
    printf("== memory: waiting %.0f s (stream_keep after the load, and archiver passes)\n", wait_s);
    fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
  }
  auto counts = (*pg)->Exec("SELECT count(*) FILTER (WHERE archived_at IS NOT NULL), "
                            "count(*) FILTER (WHERE archived_at IS NULL) FROM tickets");
  const int64_t archived = counts.ok() ? counts->GetInt(0, 0) : 0;
  const int64_t live = counts.ok() ? counts->GetInt(0, 1) : 0;
  double bytes_per_archived = -1;
  if (archived > 0) {
    auto picked = (*pg)->Exec(
        "SELECT ticket_id, channel, channel_work_order_id FROM tickets "
        "WHERE archived_at IS NOT NULL ORDER BY random() LIMIT 20000");
    int64_t leftovers = 0;
    std::vector<std::vector<std::string>> checks;
    for (int i = 0; picked.ok() && i < picked->rows(); ++i) {
      const std::string id = picked->Get(i, 0);
      const int shard = *dispatch::keys::ShardOfTicketId(id);
      checks.push_back({"EXISTS", dispatch::keys::Ticket(shard, id),
                        dispatch::keys::WriteRecord(shard, id),
                        dispatch::keys::LegacyComplaint(shard, id),
                        dispatch::keys::IdempotencyRecord(
                            shard, dispatch::keys::IdempotencyKey(
                                       static_cast<int>(picked->GetInt(i, 1)), picked->Get(i, 2), ""))});
      checks.push_back({"ZSCORE", dispatch::keys::Timers(shard), id});
    }
    for (auto& r : redis.ExecuteAllSync(checks)) {
      if (r.ok() && ((r->type == dispatch::redis::Reply::Type::kInteger && r->integer > 0) ||
                     r->type == dispatch::redis::Reply::Type::kString)) {
        ++leftovers;
      }
    }
    // The archived tickets' idempotency records: the bucket hashes, whole.
    int64_t idem_records = 0, idem_bytes = 0;
    for (int shard = 0; shard < dispatch::keys::kShardCount; ++shard) {
      std::vector<std::vector<std::string>> cmds;
      for (int b = 0; b < 256; ++b) {
        const std::string bucket = absl::StrFormat("%s:idem:a%02x", dispatch::keys::ShardTag(shard), b);
        cmds.push_back({"HLEN", bucket});
        cmds.push_back({"MEMORY", "USAGE", bucket, "SAMPLES", "0"});
      }
      auto replies = redis.ExecuteAllSync(cmds);
      for (size_t k = 0; k + 1 < replies.size(); k += 2) {
        if (replies[k].ok()) idem_records += replies[k]->integer;
        if (replies[k + 1].ok()) idem_bytes += replies[k + 1]->integer;
      }
    }
    // Acceptance index and stream entries: what archived tickets still have there.
    int64_t index_entries = 0, index_bytes = 0, stream_entries = 0, stream_bytes = 0;
    int64_t sampled = 0, sampled_archived = 0;
    std::vector<std::string> oldest_ids;
    for (int shard = 0; shard < dispatch::keys::kShardCount; ++shard) {
      auto replies = redis.ExecuteAllSync(
          {{"XLEN", dispatch::keys::AcceptedIndex(shard)},
           {"MEMORY", "USAGE", dispatch::keys::AcceptedIndex(shard), "SAMPLES", "0"},
           {"XLEN", dispatch::keys::Events(shard)},
           {"MEMORY", "USAGE", dispatch::keys::Events(shard), "SAMPLES", "0"},
           {"XRANGE", dispatch::keys::Events(shard), "-", "+", "COUNT", "20"}});
      if (replies[0].ok()) index_entries += replies[0]->integer;
      if (replies[1].ok()) index_bytes += replies[1]->integer;
      if (replies[2].ok()) stream_entries += replies[2]->integer;
      if (replies[3].ok()) stream_bytes += replies[3]->integer;
      if (replies[4].ok()) {
        for (const auto& entry : replies[4]->elements) {
          const auto& fields = entry.elements.size() > 1 ? entry.elements[1].elements
                                                         : std::vector<dispatch::redis::Reply>{};
          for (size_t f = 0; f + 1 < fields.size(); f += 2) {
            if (fields[f].str == "ticket") oldest_ids.push_back(fields[f + 1].str);
          }
        }
      }
    }
    for (const std::string& id : oldest_ids) {
      auto r = (*pg)->Exec("SELECT archived_at IS NOT NULL FROM tickets WHERE ticket_id = $1",
                           {dispatch::pg::Text(id)});
      ++sampled;
      if (r.ok() && r->rows() > 0 && r->Get(0, 0) == "t") ++sampled_archived;
    }
    // Index entries beyond the tickets still in Redis belong to tickets gone from it.
    const int64_t index_gone = std::max<int64_t>(0, index_entries - live);
    const double index_per_entry = index_entries > 0 ? static_cast<double>(index_bytes) / index_entries : 0;
    const double stream_archived_bytes =
        sampled > 0 ? static_cast<double>(stream_bytes) * sampled_archived / sampled : 0;
    bytes_per_archived =
        (idem_bytes + index_gone * index_per_entry + stream_archived_bytes) / archived;
    printf("memory: archived=%ld live=%ld; of %d archived tickets sampled: %ld keys or timers "
           "left; idempotency buckets %ld records %ld bytes (%.0f a record); acceptance index "
           "%ld entries (%ld beyond the live tickets, %.0f bytes each); streams %ld entries %ld "
           "bytes, of their %ld oldest entries %ld of archived tickets\n",
           archived, live, picked.ok() ? picked->rows() : 0, leftovers, idem_records, idem_bytes,
           idem_records > 0 ? static_cast<double>(idem_bytes) / idem_records : 0.0, index_entries,
           index_gone, index_per_entry, stream_entries, stream_bytes, sampled, sampled_archived);
    printf("redis: used_memory=%ld bytes, %.0f per live ticket if everything were theirs\n",
           RedisInfo(&redis, "memory", "used_memory"),
           static_cast<double>(RedisInfo(&redis, "memory", "used_memory")) / std::max<int64_t>(live, 1));
  }

  printf("reads tickets=%s list_county_p99_ms=%.2f list_rare_p99_ms=%.2f list_page20_p99_ms=%.2f "
         "breaches_month_p99_ms=%.2f history_p99_ms=%.2f projector_lag_p99_ms=%.0f "
         "redis_bytes_per_archived_ticket=%.0f watchers=%d watch_e2e_p99_ms=%.1f\n",
         facts->Get(0, 0).c_str(), rm.county, rm.rare, rm.page20, rm.breaches, rm.history,
         lag.Pct(99), bytes_per_archived, watchers, watch_p99);
  return 0;
}
