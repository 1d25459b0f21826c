// dispatch_bench: load generator for tools/bench. Usually run through that script, which starts
// redis-server (AOF everysec) and dispatchd first.
//
//   dispatch_bench intake --target=127.0.0.1:50051 --ca=CA.pem --token_file=F [--seconds=10]
//
// Drives SubmitComplaint (every request a new work order) and, in the same run against the same
// server, DiagnosticsService.Echo with a payload of the same size: the ceiling of the server
// stack. Phases alternate (echo, intake, echo, intake, ...) so that machine noise hits both
// alike. Prints per-phase figures and, last, one line:
//   intake_vs_echo ratio=R intake_per_s=X echo_per_s=Y intake_p99_ms=Z
//
//   dispatch_bench auth --target=.. --ca=.. --token_file=.. --plain_target=127.0.0.1:50052
//
// Drives SubmitComplaint against two servers in alternating phases (plain, auth, plain, ...):
// --target over TLS with the bearer token of --token_file, and --plain_target in plaintext
// with no token (a dispatchd built without authentication: tools/experiments/no_auth.patch).
// Last line:
//   auth_vs_plain ratio=R auth_per_s=X plain_per_s=Y
//
//   dispatch_bench gateway --target=.. [--ca=..] --token_file=.. --http_target=https://HOST:PORT
//
// Drives SubmitComplaint against one dispatchd in alternating phases over its two doors: gRPC
// (--target, --connections calls in flight over --channels channels) and the HTTP/JSON gateway
// (--http_target, POST /v1/complaints with the request as protobuf JSON and Authorization:
// Bearer, --connections keep-alive connections, each a thread with its own httplib::Client).
// The client shares the server's two cores, so it does per call what a load generator (wrk,
// hey) does, not what protobuf's slow JSON library would: the body is the request's JSON made
// once by MessageToJsonString with the work-order id spliced in per call, and the answer is
// checked for "created":true without being parsed. (Parsed and printed with protobuf's JSON per
// call, the client alone cost ~85 us more per call than the server's whole gRPC work.) Same concurrency, same
// token, the same kind of complaint with a fresh work-order id per call on both; every answer
// must say created. Phase order per round is ABBA (grpc http, http grpc, ...) so that a server
// slowing as Redis fills hits both alike. Any failure (a gRPC error, an HTTP status other than
// 200, a connection error, created=false) ends the run with a message and exit status 1.
// Per phase: calls/s, p50/p99, CPU per call, and for HTTP how many answers closed the
// connection (the client reconnects, with a TLS handshake when https). Before the phases, a
// `json_codec` line: µs to parse the request and to print a real answer, protobuf's JSON
// conversion against the gateway's codec, in this process. Last line:
//   gateway_vs_grpc ratio=R http_per_s=X grpc_per_s=Y
// where X and Y are the medians of the phases' calls/s and R = X / Y.
#include <signal.h>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "common/proto_json.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "common/config.h"
#include "common/testing/sample_complaint.h"
#include "dispatch/v1/diagnostics.grpc.pb.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "dispatchd address");
ABSL_FLAG(std::string, ca, "",
          "PEM file of the CA that signed --target's certificate: TLS (empty: plaintext)");
ABSL_FLAG(std::string, token_file, "", "file holding the bearer token every call to --target sends");
ABSL_FLAG(std::string, plain_target, "",
          "auth: the dispatchd without authentication, in plaintext, with no token");
ABSL_FLAG(double, seconds, 12, "Total measured seconds, split over the phases");
ABSL_FLAG(int, rounds, 3, "Echo/intake phase pairs");
ABSL_FLAG(int, in_flight, 256, "Requests kept in flight");
ABSL_FLAG(int, channels, 2, "gRPC channels (HTTP/2 connections)");
ABSL_FLAG(std::string, http_target, "",
          "gateway: the HTTP listener, scheme://host:port (https trusts --ca)");
ABSL_FLAG(int, connections, 16,
          "gateway: calls in flight on each transport: HTTP keep-alive connections (one thread "
          "each; each holds one of dispatchd's http.threads workers, 32 by default) and gRPC "
          "calls in flight over --channels");
ABSL_FLAG(std::string, http_accept_encoding, "identity",
          "gateway: the Accept-Encoding header of the HTTP calls (empty: the client library's "
          "default, which may let the server compress the answers)");
ABSL_FLAG(std::string, cpu_pids, "",
          "name=pid,... of local server processes whose CPU time per request to report per phase "
          "(read from /proc), e.g. dispatchd=123,redis=456");

namespace {

using Clock = std::chrono::steady_clock;


// A server to drive: its connections and the authorization header every call sends.
struct Target {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::string token;  // "Bearer ..." or empty
};

std::string ReadWholeFile(const std::string& path) {
  absl::StatusOr<std::string> text = dispatch::ReadFile(path);
  if (!text.ok()) {
    fprintf(stderr, "dispatch_bench: %s\n", text.status().ToString().c_str());
    exit(2);
  }
  return *std::move(text);
}

// `address` over TLS trusting `ca_file` (plaintext when empty), with the token in `token_file`.
Target Connect(const std::string& address, const std::string& ca_file,
               const std::string& token_file, int n) {
  Target t;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!ca_file.empty()) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadWholeFile(ca_file);
    creds = grpc::SslCredentials(options);
  }
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments ca;
    ca.SetInt("grpc.channel_id", i);  // distinct channels, distinct connections
    t.channels.push_back(grpc::CreateCustomChannel(address, creds, ca));
  }
  if (!token_file.empty()) {
    std::string token(absl::StripAsciiWhitespace(ReadWholeFile(token_file)));
    t.token = absl::StrCat("Bearer ", token);
  }
  return t;
}

struct PhaseResult {
  uint64_t ok = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

// Keeps `in_flight` calls going for `duration`; each completion starts the next call.
class Phase {
 public:
  // strict: the first failure (or an intake answer with created=false) ends the phase.
  Phase(bool intake, const Target& target, int in_flight, double duration_s,
        std::atomic<uint64_t>* sequence, bool strict = false)
      : intake_(intake),
        strict_(strict),
        in_flight_(in_flight),
        sequence_(sequence),
        token_(target.token) {
    for (auto& ch : target.channels) {
      intake_stubs_.push_back(dispatch::v1::IntakeService::NewStub(ch));
      echo_stubs_.push_back(dispatch::v1::DiagnosticsService::NewStub(ch));
    }
    template_ = dispatch::testing::HotlineComplaint("BENCH-0");
    echo_payload_ = template_.SerializeAsString();
    end_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(duration_s));
  }

  PhaseResult Run() {
    start_ = Clock::now();
    for (int i = 0; i < in_flight_; ++i) StartOne(i);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return active_ == 0 && started_all_; });
    result_.seconds = std::chrono::duration<double>(last_done_ - start_).count();
    return std::move(result_);
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    dispatch::v1::SubmitComplaintRequest submit;
    dispatch::v1::SubmitComplaintResponse submitted;
    dispatch::v1::EchoRequest echo;
    dispatch::v1::EchoResponse echoed;
    Clock::time_point began;
  };

  void StartOne(int slot) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++active_;
      if (slot == in_flight_ - 1) started_all_ = true;
    }
    Issue(slot);
  }

  void Issue(int slot) {
    auto* call = new Call();
    call->began = Clock::now();
    if (!token_.empty()) call->ctx.AddMetadata("authorization", token_);
    size_t stub = slot % intake_stubs_.size();
    if (intake_) {
      call->submit = template_;
      call->submit.mutable_complaint()->set_channel_work_order_id(
          absl::StrCat("BENCH-", sequence_->fetch_add(1)));
      intake_stubs_[stub]->async()->SubmitComplaint(
          &call->ctx, &call->submit, &call->submitted,
          [this, call, slot](grpc::Status s) { Done(call, slot, s); });
    } else {
      call->echo.set_payload(echo_payload_);
      echo_stubs_[stub]->async()->Echo(&call->ctx, &call->echo, &call->echoed,
                                       [this, call, slot](grpc::Status s) { Done(call, slot, s); });
    }
  }

  void Done(Call* call, int slot, const grpc::Status& s) {
    auto now = Clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - call->began).count();
    bool ok = s.ok();
    std::string error;
    if (!ok) {
      error = strict_ ? absl::StrCat("gRPC code ", static_cast<int>(s.error_code()), ": ",
                                     s.error_message())
                      : s.error_message();
    } else if (strict_ && intake_ && !call->submitted.created()) {
      ok = false;
      error = "SubmitComplaint answered created=false (a re-send?)";
    }
    delete call;
    bool again;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ok) {
        ++result_.ok;
        result_.latencies_ms.push_back(ms);
      } else {
        ++result_.failed;
        if (result_.first_error.empty()) result_.first_error = error;
        if (strict_) end_ = now;  // the calls still in flight do not start another
      }
      last_done_ = now;
      again = now < end_;
      if (!again) --active_;
    }
    if (again) {
      Issue(slot);
    } else {
      cv_.notify_all();
    }
  }

  const bool intake_;
  const bool strict_;
  const int in_flight_;
  std::atomic<uint64_t>* sequence_;
  const std::string token_;  // "Bearer ..." or empty
  std::vector<std::unique_ptr<dispatch::v1::IntakeService::Stub>> intake_stubs_;
  std::vector<std::unique_ptr<dispatch::v1::DiagnosticsService::Stub>> echo_stubs_;
  dispatch::v1::SubmitComplaintRequest template_;
  std::string echo_payload_;
  Clock::time_point start_, end_, last_done_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool started_all_ = false;
  PhaseResult result_;
};

// CPU seconds (user + system) of a process, from /proc/<pid>/stat; the client's own from
// getrusage.
double ProcessCpuSeconds(const std::string& pid) {
  FILE* f = fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  std::vector<std::string> fields = absl::StrSplit(p + 2, ' ');
  unsigned long long utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

double SelfCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct CpuWatch {
  std::vector<std::pair<std::string, std::string>> processes;  // name, pid

  std::vector<double> Sample() const {
    std::vector<double> s;
    for (const auto& [name, pid] : processes) s.push_back(ProcessCpuSeconds(pid));
    s.push_back(SelfCpuSeconds());
    return s;
  }
  // " cpu_us_per_req dispatchd=61 redis=45 client=33"
  std::string PerRequest(const std::vector<double>& before, const std::vector<double>& after,
                         uint64_t requests) const {
    if (requests == 0) return "";
    std::string out = " cpu_us_per_req";
    for (size_t i = 0; i <= processes.size(); ++i) {
      const std::string& name = i < processes.size() ? processes[i].first : "client";
      absl::StrAppend(&out, " ", name, "=",
                      static_cast<int>((after[i] - before[i]) * 1e6 / requests));
    }
    return out;
  }
};

// The processes of --cpu_pids.
CpuWatch CpuWatchFromFlag() {
  CpuWatch cpu;
  for (absl::string_view entry :
       absl::StrSplit(absl::GetFlag(FLAGS_cpu_pids), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, '=');
    cpu.processes.push_back(kv);
  }
  return cpu;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void Add(PhaseResult& total, PhaseResult& p) {
  total.ok += p.ok;
  total.failed += p.failed;
  total.seconds += p.seconds;
  total.latencies_ms.insert(total.latencies_ms.end(), p.latencies_ms.begin(),
                            p.latencies_ms.end());
}

// gateway: one keep-alive HTTP connection per thread, made once and kept over the phases (as the
// gRPC channels are).
std::vector<std::unique_ptr<httplib::Client>> HttpClients(const std::string& target,
                                                          const std::string& ca_file, int n) {
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<httplib::Client>(target);
    if (!c->is_valid()) {
      fprintf(stderr, "dispatch_bench: --http_target=%s: not a valid http:// or https:// address\n",
              target.c_str());
      exit(2);
    }
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(30, 0);
    c->set_write_timeout(30, 0);
    if (!ca_file.empty()) {
      c->set_ca_cert_path(ca_file);
      c->enable_server_certificate_verification(true);
    }
    clients.push_back(std::move(c));
  }
  return clients;
}

struct HttpPhaseResult {
  PhaseResult result;
  uint64_t closed = 0;  // answers with Connection: close (the next call reconnects)
};

// SubmitComplaint over HTTP/JSON on every client at once, each call after the previous one on its
// connection, for `duration_s` or until the first failure (which ends the phase).
HttpPhaseResult RunHttpPhase(std::vector<std::unique_ptr<httplib::Client>>& clients,
                             const httplib::Headers& headers, double duration_s,
                             std::atomic<uint64_t>* sequence) {
  const dispatch::v1::SubmitComplaintRequest request_template =
      dispatch::testing::HotlineComplaint("BENCH-0");
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(duration_s));
  std::atomic<bool> stop{false};
  std::mutex mu;
  HttpPhaseResult total;
  Clock::time_point last_done = start;
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      std::vector<double> latencies;
      uint64_t ok = 0, closed = 0;
      std::string error;
      Clock::time_point done = start;
      // The request's JSON once, split where the work-order id goes.
      dispatch::v1::SubmitComplaintRequest marked = request_template;
      marked.mutable_complaint()->set_channel_work_order_id("@@WORK_ORDER@@");
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(marked, &json);
      const size_t at = json.find("@@WORK_ORDER@@");
      const std::string head = json.substr(0, at), tail = json.substr(at + 14);
      while (!stop.load(std::memory_order_relaxed) && Clock::now() < end) {
        const Clock::time_point began = Clock::now();
        const std::string body =
            absl::StrCat(head, "BENCH-", sequence->fetch_add(1), tail);
        httplib::Result res = c->Post("/v1/complaints", headers, body, "application/json");
        if (!res && (res.error() == httplib::Error::Write || res.error() == httplib::Error::Read)) {
          // The server closed the keep-alive connection while it was idle (between phases): send
          // again on a new one, as an integrator would (SubmitComplaint is idempotent).
          ++closed;
          res = c->Post("/v1/complaints", headers, body, "application/json");
        }
        if (!res) {
          error = absl::StrCat("POST /v1/complaints: ", httplib::to_string(res.error()));
          break;
        }
        if (res->status != 200) {
          error = absl::StrCat("POST /v1/complaints: HTTP ", res->status, " ",
                               res->body.substr(0, 400));
          break;
        }
        if (res->body.find("\"created\":true") == std::string::npos) {
          error = absl::StrCat("SubmitComplaint answered created=false (a re-send?): ",
                               res->body.substr(0, 400));
          break;
        }
        if (res->get_header_value("Connection") == "close") ++closed;
        done = Clock::now();
        latencies.push_back(std::chrono::duration<double, std::milli>(done - began).count());
        ++ok;
      }
      if (!error.empty()) stop.store(true);
      std::lock_guard<std::mutex> lock(mu);
      total.result.ok += ok;
      total.closed += closed;
      total.result.latencies_ms.insert(total.result.latencies_ms.end(), latencies.begin(),
                                       latencies.end());
      if (!error.empty()) {
        ++total.result.failed;
        if (total.result.first_error.empty()) total.result.first_error = error;
      }
      last_done = std::max(last_done, done);
    });
  }
  for (auto& t : threads) t.join();
  total.result.seconds = std::chrono::duration<double>(last_done - start).count();
  return total;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string JoinRates(const std::vector<double>& v) {
  std::string out;
  for (double x : v) absl::StrAppend(&out, out.empty() ? "" : ",", static_cast<int64_t>(x + 0.5));
  return out;
}

// gateway: what the JSON mapping of one call costs, protobuf's conversion against the gateway's
// codec (common/proto_json.h), on the bench's request and a real answer: µs a conversion, median
// of 5 batches of 2,000, in this process.
void CompareJsonCodecs(const std::string& answer_json) {
  dispatch::v1::SubmitComplaintRequest request = dispatch::testing::HotlineComplaint("BENCH-JSON");
  std::string request_json;
  (void)google::protobuf::util::MessageToJsonString(request, &request_json);
  dispatch::v1::SubmitComplaintResponse answer;
  if (!google::protobuf::util::JsonStringToMessage(answer_json, &answer).ok()) {
    printf("json_codec skipped: the answer did not parse\n");
    return;
  }
  auto time_us = [](const std::function<void()>& convert) {
    constexpr int kBatch = 2000;
    std::vector<double> batches;
    for (int b = 0; b < 5; ++b) {
      const Clock::time_point t0 = Clock::now();
      for (int i = 0; i < kBatch; ++i) convert();
      batches.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / kBatch);
    }
    return Median(batches);
  };
  dispatch::v1::SubmitComplaintRequest parsed;
  google::protobuf::util::JsonParseOptions ignore_unknown;
  ignore_unknown.ignore_unknown_fields = true;
  dispatch::json::ParseOptions codec_ignore_unknown;
  codec_ignore_unknown.ignore_unknown_fields = true;
  const double parse_protobuf = time_us(
      [&] { (void)google::protobuf::util::JsonStringToMessage(request_json, &parsed, ignore_unknown); });
  const double parse_codec =
      time_us([&] { (void)dispatch::json::ParseJson(request_json, &parsed, codec_ignore_unknown); });
  const double print_protobuf = time_us([&] {
    std::string out;
    (void)google::protobuf::util::MessageToJsonString(answer, &out);
  });
  const double print_codec = time_us([&] {
    std::string out;
    (void)dispatch::json::AppendJson(answer, &out);
  });
  printf("json_codec request_bytes=%zu answer_bytes=%zu parse_us protobuf=%.2f codec=%.2f "
         "print_us protobuf=%.2f codec=%.2f\n",
         request_json.size(), answer_json.size(), parse_protobuf, parse_codec, print_protobuf,
         print_codec);
  fflush(stdout);
}

// dispatch_bench gateway: SubmitComplaint over gRPC and over the HTTP/JSON gateway of the same
// dispatchd, in alternating phases.
int RunGateway(const CpuWatch& cpu) {
  const std::string http_target = absl::GetFlag(FLAGS_http_target);
  const std::string ca = absl::GetFlag(FLAGS_ca);
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  if (http_target.empty() || token_file.empty()) {
    fprintf(stderr, "gateway needs --http_target and --token_file\n");
    return 2;
  }
  const bool https = absl::StartsWith(http_target, "https://");
  if (https && ca.empty()) {
    fprintf(stderr, "gateway: an https --http_target needs --ca\n");
    return 2;
  }
  const int connections = absl::GetFlag(FLAGS_connections);
  const int n_channels = absl::GetFlag(FLAGS_channels);
  if (connections < 1 || n_channels < 1) {
    fprintf(stderr, "gateway: --connections and --channels must be at least 1\n");
    return 2;
  }
  const Target grpc_target = Connect(absl::GetFlag(FLAGS_target), ca, token_file, n_channels);
  std::vector<std::unique_ptr<httplib::Client>> http_clients =
      HttpClients(http_target, https ? ca : "", connections);
  httplib::Headers headers = {{"Authorization", grpc_target.token}};
  const std::string accept_encoding = absl::GetFlag(FLAGS_http_accept_encoding);
  if (!accept_encoding.empty()) headers.emplace("Accept-Encoding", accept_encoding);
  std::atomic<uint64_t> sequence{static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count())};
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const double phase_s = absl::GetFlag(FLAGS_seconds) / (2.0 * rounds);

  auto stopped = [](const char* what, const std::string& error) {
    printf("stopped: %s: %s\n", what, error.c_str());
    fflush(stdout);
    fprintf(stderr, "dispatch_bench gateway: stopped: %s: %s\n", what, error.c_str());
    return 1;
  };
  // Warm-up: connections, TLS handshakes, the token cache, script load, allocator.
  {
    PhaseResult w = Phase(true, grpc_target, connections, 1.0, &sequence, /*strict=*/true).Run();
    if (w.failed > 0) return stopped("grpc warm-up", w.first_error);
    HttpPhaseResult h = RunHttpPhase(http_clients, headers, 1.0, &sequence);
    if (h.result.failed > 0) return stopped("http warm-up", h.result.first_error);
  }

  {
    dispatch::v1::SubmitComplaintRequest one = dispatch::testing::HotlineComplaint(
        absl::StrCat("BENCH-JSON-", sequence.fetch_add(1)));
    std::string one_json;
    (void)google::protobuf::util::MessageToJsonString(one, &one_json);
    httplib::Result res = http_clients[0]->Post("/v1/complaints", headers, one_json, "application/json");
    if (!res || res->status != 200) return stopped("json codec sample", res ? res->body : "no answer");
    CompareJsonCodecs(res->body);
  }

  PhaseResult grpc_total, http_total;
  std::vector<double> grpc_rates, http_rates;
  uint64_t http_closed = 0;
  for (int r = 0; r < rounds; ++r) {
    // ABBA: even rounds gRPC first, odd rounds HTTP first.
    for (int i = 0; i < 2; ++i) {
      const bool http = (i == 1) == (r % 2 == 0);
      const char* name = http ? "http" : "grpc";
      std::vector<double> before = cpu.Sample();
      PhaseResult p;
      uint64_t closed = 0;
      if (http) {
        HttpPhaseResult h = RunHttpPhase(http_clients, headers, phase_s, &sequence);
        p = std::move(h.result);
        closed = h.closed;
      } else {
        p = Phase(true, grpc_target, connections, phase_s, &sequence, /*strict=*/true).Run();
      }
      std::vector<double> after = cpu.Sample();
      const double per_s = p.seconds > 0 ? p.ok / p.seconds : 0;
      printf("round %d %-4s ok=%lu failed=%lu per_s=%.0f p50_ms=%.2f p99_ms=%.2f%s", r, name,
             static_cast<unsigned long>(p.ok), static_cast<unsigned long>(p.failed), per_s,
             Percentile(p.latencies_ms, 0.5), Percentile(p.latencies_ms, 0.99),
             cpu.PerRequest(before, after, p.ok).c_str());
      if (http) printf(" connection_closes=%lu", static_cast<unsigned long>(closed));
      printf("\n");
      fflush(stdout);
      if (p.failed > 0) {
        return stopped(absl::StrCat(name, " round ", r).c_str(), p.first_error);
      }
      (http ? http_rates : grpc_rates).push_back(per_s);
      if (http) http_closed += closed;
      Add(http ? http_total : grpc_total, p);
    }
  }
  const double http_per_s = Median(http_rates);
  const double grpc_per_s = Median(grpc_rates);
  printf("connections=%d grpc_channels=%d phases=%dx%.1fs per transport (ABBA) http=%s "
         "accept_encoding=%s failed=0\n",
         connections, n_channels, rounds, phase_s, https ? "https" : "http",
         accept_encoding.empty() ? "(library default)" : accept_encoding.c_str());
  printf("grpc per_s_median=%.0f per_s_phases=%s p50_ms=%.2f p99_ms=%.2f\n", grpc_per_s,
         JoinRates(grpc_rates).c_str(), Percentile(grpc_total.latencies_ms, 0.5),
         Percentile(grpc_total.latencies_ms, 0.99));
  printf("http per_s_median=%.0f per_s_phases=%s p50_ms=%.2f p99_ms=%.2f connection_closes=%lu\n",
         http_per_s, JoinRates(http_rates).c_str(), Percentile(http_total.latencies_ms, 0.5),
         Percentile(http_total.latencies_ms, 0.99), static_cast<unsigned long>(http_closed));
  printf("gateway_vs_grpc ratio=%.2f http_per_s=%.0f grpc_per_s=%.0f\n",
         grpc_per_s > 0 ? http_per_s / grpc_per_s : 0, http_per_s, grpc_per_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A keep-alive connection the server closed while idle (between phases) must be an error the
  // HTTP client reconnects after, not a signal that kills the bench.
  signal(SIGPIPE, SIG_IGN);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string mode = args.size() == 2 ? args[1] : "";
  if (mode != "intake" && mode != "auth" && mode != "gateway") {
    fprintf(stderr,
            "usage: dispatch_bench intake [--target=HOST:PORT --ca=F --token_file=F] "
            "[--seconds=S]\n"
            "       dispatch_bench auth --target=.. --ca=.. --token_file=.. "
            "--plain_target=HOST:PORT\n"
            "       dispatch_bench gateway --target=.. [--ca=..] --token_file=.. "
            "--http_target=http[s]://HOST:PORT [--connections=16]\n");
    return 2;
  }
  if (mode == "gateway") return RunGateway(CpuWatchFromFlag());
  const bool auth = mode == "auth";
  if (auth && (absl::GetFlag(FLAGS_plain_target).empty() || absl::GetFlag(FLAGS_ca).empty() ||
               absl::GetFlag(FLAGS_token_file).empty())) {
    fprintf(stderr, "auth needs --plain_target, --ca and --token_file\n");
    return 2;
  }
  const int n_channels = absl::GetFlag(FLAGS_channels);
  const Target main_target = Connect(absl::GetFlag(FLAGS_target), absl::GetFlag(FLAGS_ca),
                                     absl::GetFlag(FLAGS_token_file), n_channels);
  // auth: phase A is the plaintext server without authentication, phase B the real one.
  // intake: phase A is Echo, phase B SubmitComplaint, both on --target.
  const Target other_target =
      auth ? Connect(absl::GetFlag(FLAGS_plain_target), "", "", n_channels) : main_target;
  std::atomic<uint64_t> sequence{static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count())};
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const double phase_s = absl::GetFlag(FLAGS_seconds) / (2.0 * rounds);
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  // Phase A (first of each pair) and B: which RPC, against which server.
  const bool a_intake = auth;
  const char* a_name = auth ? "plain" : "echo";
  const char* b_name = auth ? "auth" : "intake";

  // Warm-up: connections, TLS handshakes, token cache, script load, allocator.
  Phase(true, main_target, in_flight, 0.5, &sequence).Run();
  Phase(a_intake, other_target, in_flight, 0.5, &sequence).Run();

  const CpuWatch cpu = CpuWatchFromFlag();

  PhaseResult a_total, b_total;
  for (int r = 0; r < rounds; ++r) {
    for (bool b : {false, true}) {
      std::vector<double> before = cpu.Sample();
      PhaseResult p = Phase(b || a_intake, b ? main_target : other_target, in_flight, phase_s,
                            &sequence)
                          .Run();
      std::vector<double> after = cpu.Sample();
      printf("round %d %-6s ok=%lu failed=%lu per_s=%.0f p50_ms=%.2f p99_ms=%.2f%s%s%s\n", r,
             b ? b_name : a_name, static_cast<unsigned long>(p.ok),
             static_cast<unsigned long>(p.failed), p.ok / p.seconds,
             Percentile(p.latencies_ms, 0.5), Percentile(p.latencies_ms, 0.99),
             cpu.PerRequest(before, after, p.ok).c_str(),
             p.first_error.empty() ? "" : " first_error=", p.first_error.c_str());
      Add(b ? b_total : a_total, p);
    }
  }
  double b_per_s = b_total.ok / b_total.seconds;
  double a_per_s = a_total.ok / a_total.seconds;
  printf("in_flight=%d channels=%d phases=%dx%.1fs failed_%s=%lu failed_%s=%lu\n", in_flight,
         n_channels, rounds, phase_s, b_name, static_cast<unsigned long>(b_total.failed), a_name,
         static_cast<unsigned long>(a_total.failed));
  if (auth) {
    printf("auth_p99_ms=%.1f plain_p99_ms=%.1f\n", Percentile(b_total.latencies_ms, 0.99),
           Percentile(a_total.latencies_ms, 0.99));
    printf("auth_vs_plain ratio=%.2f auth_per_s=%.0f plain_per_s=%.0f\n", b_per_s / a_per_s,
           b_per_s, a_per_s);
  } else {
    printf("intake_vs_echo ratio=%.2f intake_per_s=%.0f echo_per_s=%.0f intake_p99_ms=%.1f\n",
           b_per_s / a_per_s, b_per_s, a_per_s, Percentile(b_total.latencies_ms, 0.99));
  }
  return b_total.failed == 0 && a_total.failed == 0 ? 0 : 1;
}
