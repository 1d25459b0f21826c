// dispatchd: the complaint-dispatch server. Parses flags, loads the config, wires the real
// Redis client and clock into DispatchServer, and serves until SIGTERM or SIGINT, then shuts
// down gracefully (in-flight RPCs finish). All logic lives in the libraries.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/config.h"
#include "common/log.h"
#include "common/redis/hiredis_client.h"
#include "common/redis_clock.h"
#include "services/dispatchd/server.h"
#include "tools/devpki/dev_pki.h"

ABSL_FLAG(std::string, config, "", "Text-format DispatchConfig file (deploy/dispatchd.textproto)");
ABSL_FLAG(std::string, listen, "", "gRPC listen address; overrides listen_address");
ABSL_FLAG(double, time_scale, 0,
          "Service time runs this many times faster (600: a real second is ten minutes), "
          "from Redis TIME; overrides time_scale");
ABSL_FLAG(std::string, redis, "",
          "Redis address, tcp://host:port or unix:///path; overrides redis_address");
ABSL_FLAG(std::string, services, "",
          "Comma-separated subset of intake,routing,escalation,projector; overrides services "
          "(default intake,routing,escalation)");
ABSL_FLAG(std::string, read_model, "",
          "The read model's PostgreSQL, a libpq connection string without a password (e.g. "
          "\"host=/run/postgresql dbname=dispatch\"); overrides read_model.conninfo");
ABSL_FLAG(std::string, pii_key_file, "",
          "The secret of the complainant's keyed hash (at least 32 bytes); overrides "
          "read_model.pii_key_file");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP listen address (metrics, health, JSON gateway, dashboard), e.g. "
          "127.0.0.1:8080; overrides http.listen_address");
ABSL_FLAG(bool, http_plaintext_on_loopback, false,
          "Serve the HTTP listener without TLS (only on a loopback address); sets "
          "http.plaintext_on_loopback");
ABSL_FLAG(std::string, access_log, "",
          "File of the access log (a JSON line per call); overrides logging.access_log");
ABSL_FLAG(std::string, audit_log, "",
          "File of the audit log (a JSON line per write, acceptance and refusal); overrides "
          "logging.audit_log");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the dashboard's built files (build/web/dist); overrides http.web_root");
ABSL_FLAG(std::string, org, "", "Organisation file (deploy/org.textproto); overrides org_file");
ABSL_FLAG(std::string, calendar_dir, "",
          "Working-day calendars directory (deploy/calendar); overrides calendar_dir");
ABSL_FLAG(std::string, dev_pki, "",
          "Development: make (once) a local CA, server certificate and token-signing key in this "
          "directory and use them for what the config leaves unset of tls and auth "
          "(tools/run: var/pki)");
ABSL_FLAG(int, shutdown_grace_s, 10, "Seconds in-flight RPCs get to finish after SIGTERM");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("dispatchd --config=FILE [--listen=ADDR] [--redis=ADDR] "
                               "[--services=intake,routing,escalation,projector] "
                               "[--read_model=CONNINFO]");
  absl::ParseCommandLine(argc, argv);
  // gRPC locks absl mutexes on every call; cycle detection is a debugging aid, not for serving.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread; main() waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // reopen the access and audit logs (rotation)
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  dispatch::ConfigOverrides overrides;
  if (!absl::GetFlag(FLAGS_listen).empty()) overrides.listen_address = absl::GetFlag(FLAGS_listen);
  if (!absl::GetFlag(FLAGS_redis).empty()) overrides.redis_address = absl::GetFlag(FLAGS_redis);
  if (!absl::GetFlag(FLAGS_org).empty()) overrides.org_file = absl::GetFlag(FLAGS_org);
  if (!absl::GetFlag(FLAGS_http_listen).empty()) {
    overrides.http_listen_address = absl::GetFlag(FLAGS_http_listen);
  }
  if (!absl::GetFlag(FLAGS_web_root).empty()) overrides.web_root = absl::GetFlag(FLAGS_web_root);
  if (absl::GetFlag(FLAGS_http_plaintext_on_loopback)) overrides.http_plaintext_on_loopback = true;
  if (!absl::GetFlag(FLAGS_access_log).empty()) overrides.access_log = absl::GetFlag(FLAGS_access_log);
  if (!absl::GetFlag(FLAGS_audit_log).empty()) overrides.audit_log = absl::GetFlag(FLAGS_audit_log);
  if (!absl::GetFlag(FLAGS_read_model).empty()) {
    overrides.read_model = absl::GetFlag(FLAGS_read_model);
  }
  if (!absl::GetFlag(FLAGS_pii_key_file).empty()) {
    overrides.pii_key_file = absl::GetFlag(FLAGS_pii_key_file);
  }
  if (absl::GetFlag(FLAGS_time_scale) != 0) overrides.time_scale = absl::GetFlag(FLAGS_time_scale);
  if (!absl::GetFlag(FLAGS_calendar_dir).empty()) {
    overrides.calendar_dir = absl::GetFlag(FLAGS_calendar_dir);
  }
  if (!absl::GetFlag(FLAGS_services).empty()) {
    overrides.services = absl::StrSplit(absl::GetFlag(FLAGS_services), ',', absl::SkipEmpty());
  }
  auto config = dispatch::LoadConfig(absl::GetFlag(FLAGS_config), overrides);
  if (!config.ok()) {
    fprintf(stderr, "dispatchd: config: %s\n", config.status().ToString().c_str());
    return 2;
  }
  if (const std::string pki = absl::GetFlag(FLAGS_dev_pki); !pki.empty()) {
    if (absl::Status s = dispatch::devpki::Ensure(pki); !s.ok()) {
      fprintf(stderr, "dispatchd: --dev_pki: %s\n", s.ToString().c_str());
      return 2;
    }
    dispatch::devpki::Configure(pki, &*config);
    fprintf(stderr, "dispatchd: development TLS and token keys from %s\n", pki.c_str());
  }
  if (absl::Status s = dispatch::log::OpenFiles(config->logging().access_log(),
                                                config->logging().audit_log());
      !s.ok()) {
    fprintf(stderr, "dispatchd: %s\n", s.ToString().c_str());
    return 2;
  }
  auto redis_options = dispatch::RedisOptions(*config);
  if (!redis_options.ok()) {
    fprintf(stderr, "dispatchd: %s\n", redis_options.status().ToString().c_str());
    return 2;
  }
  dispatch::redis::HiredisClient redis(*redis_options);

  // One source of time: Redis TIME (scaled from an epoch shared through Redis with a time
  // scale), for acceptance stamps and every action as for the timer engine, so that replicas
  // on hosts with skewed clocks agree.
  auto created = dispatch::RedisClock::Create(&redis, config->time_scale());
  if (!created.ok()) {
    fprintf(stderr, "dispatchd: --time_scale needs Redis at start: %s\n",
            created.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<dispatch::RedisClock> clock = *std::move(created);
  if (config->time_scale() != 1) {
    fprintf(stderr, "dispatchd: time runs %gx (service time %s)\n", config->time_scale(),
            absl::FormatTime(clock->Now()).c_str());
  }
  auto server = dispatch::DispatchServer::Start(*config, &redis, clock.get());
  if (!server.ok()) {
    fprintf(stderr, "dispatchd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::string http;
  if ((*server)->http_port() != 0) {
    http = absl::StrCat(", http on ", config->http().listen_address(), " (http port ",
                        (*server)->http_port(), ")");
  }
  printf("dispatchd: serving %s on %s (port %d), redis %s%s\n",
         absl::StrJoin((*server)->service_names(), ", ").c_str(),
         config->listen_address().c_str(), (*server)->port(),
         redis_options->address.ToString().c_str(), http.c_str());
  fflush(stdout);

  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    dispatch::log::Reopen();
  }
  // Further SIGTERM/SIGINT stay blocked: a supervisor or a terminal often sends more than one,
  // and shutdown is bounded by the grace period anyway.
  printf("dispatchd: signal %d, shutting down (grace %ds)\n", sig,
         absl::GetFlag(FLAGS_shutdown_grace_s));
  fflush(stdout);
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_s)));
  server->reset();
  printf("dispatchd: stopped\n");
  return 0;
}
