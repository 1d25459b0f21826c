#include "services/dispatchd/server.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authenticator.h"
#include "services/auth/access_policy.h"
#include "common/rpc/unary.h"
#include "dispatch/v1/diagnostics.grpc.pb.h"
#include "services/escalation/escalation_service.h"
#include "services/escalation/extensions.h"
#include "services/escalation/revisits.h"
#include "services/routing/case_actions.h"
#include "services/escalation/timer_engine.h"
#include "common/redis_clock.h"
#include "services/escalation/sla_policy.h"
#include "services/escalation/work_calendar.h"
#include "services/intake/intake.h"
#include "services/intake/intake_service.h"
#include "services/routing/routing_service.h"
#include "services/routing/routing_worker.h"
#include "services/readmodel/archiver.h"
#include "services/readmodel/projector.h"
#include "services/statistics/fact_store.h"
#include "services/statistics/statistics_service.h"
#include "common/pg/pg_client.h"
#include "services/org/org_holder.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/log.h"
#include "common/metrics/metrics.h"
#include "services/dispatchd/gateway.h"
#include "services/dispatchd/health.h"
#include "services/dispatchd/open311.h"
#include "services/dispatchd/openapi.h"
#include "services/dispatchd/opstats.h"
#include "services/dispatchd/http_listener.h"
#include <httplib.h>

namespace dispatch {
namespace {

// Echo does no work: the ceiling for tools/bench, served through the same ServeUnary path as
// every real RPC.
class DiagnosticsGrpcService final
    : public v1::DiagnosticsService::WithRawCallbackMethod_Echo<v1::DiagnosticsService::Service> {
 public:
  DiagnosticsGrpcService(const rpc::Gate* gate, rpc::Limits limits) {
    static constexpr char kMethod[] = "DiagnosticsService.Echo";
    methods_.Add<v1::EchoRequest, v1::EchoResponse>(
        rpc::Method{kMethod, gate, limits.max_request_bytes},
        [](const v1::EchoRequest& req, const auth::Caller&, auto done) {
          v1::EchoResponse r;
          r.set_payload(req.payload());
          done(std::move(r));
        });
  }
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override {
    return methods_.Serve("DiagnosticsService.Echo", ctx, request, response);
  }
  const rpc::MethodTable& methods() const { return methods_; }

 private:
  rpc::MethodTable methods_;
};

}  // namespace

struct DispatchServer::Parts {
  // The door of every RPC: authentication and the access policy's roles.
  std::unique_ptr<access::Gatekeeper> gate;
  std::unique_ptr<SlaPolicy> policy;
  // The organisation in force, shared by every service and kept fresh in the background.
  std::unique_ptr<org::OrgHolder> org;
  // The read model's reads (null without read_model.conninfo); before its users, so it goes
  // after them.
  std::unique_ptr<readmodel::Reader> reader;
  // Erasure requests of IntakeService (its own PostgreSQL connection and Redis client).
  std::unique_ptr<pg::Connection> eraser_pg;
  std::unique_ptr<redis::HiredisClient> eraser_redis;
  std::unique_ptr<readmodel::Eraser> eraser;
  std::unique_ptr<intake::Intake> intake;
  std::unique_ptr<intake::TicketQueries> queries;
  std::unique_ptr<intake::EventWatcher> watcher;
  std::vector<std::unique_ptr<grpc::Service>> services;
  // Routing: the worker that routes accepted tickets, with its own Redis client (it blocks on
  // XREADGROUP).
  std::unique_ptr<redis::HiredisClient> worker_redis;
  std::unique_ptr<routing::RoutingWorker> worker;
  std::unique_ptr<routing::RoutingActions> routing_actions;
  std::unique_ptr<routing::CaseActions> case_actions;
  // Escalation: extensions, and the timer engine with its own Redis client (long batches).
  std::unique_ptr<escalation::Extensions> extensions;
  std::unique_ptr<escalation::Revisits> revisits;
  std::unique_ptr<escalation::Ledgers> ledgers;
  std::unique_ptr<redis::HiredisClient> engine_redis;
  std::unique_ptr<escalation::TimerEngine> engine;
  // The read model's projector, with its own Redis client and PostgreSQL connection.
  std::unique_ptr<redis::HiredisClient> projector_redis;
  std::unique_ptr<pg::Connection> projector_pg;
  std::unique_ptr<readmodel::Projector> projector;
  // The archiver, beside the projector, with its own clients too.
  std::unique_ptr<redis::HiredisClient> archiver_redis;
  std::unique_ptr<pg::Connection> archiver_pg;
  std::unique_ptr<readmodel::Eraser> archiver_eraser;
  std::unique_ptr<readmodel::Archiver> archiver;
  // The statistics facts, beside the projector that queues their tickets (own connection).
  std::unique_ptr<pg::Connection> facts_pg;
  std::unique_ptr<statistics::FactStore> facts;
  // StatisticsService's reads.
  std::unique_ptr<statistics::StatisticsQueries> statistics;
  // Whether the dependencies answer: gRPC health and /readyz.
  std::unique_ptr<HealthMonitor> health;
  std::atomic<bool> stopping{false};
  // Metrics, liveness, readiness (and later the JSON gateway and the dashboard).
  std::unique_ptr<HttpListener> http;
  // Every unary RPC over HTTP/JSON, through the same door (method tables of the services).
  std::unique_ptr<Gateway> gateway;
  // The Open311 GeoReport v2 subset (through IntakeService's table) and the OpenAPI document.
  std::unique_ptr<Open311> open311;
  std::string openapi;
  // The gauges that need Redis or PostgreSQL, refreshed in the background.
  std::unique_ptr<OperatorStats> opstats;
};

namespace {

// Loads every *.textproto in `dir` as a HolidayCalendar (null when `dir` is empty) and says
// loudly when this year or the next has no file.
absl::StatusOr<std::shared_ptr<const WorkCalendar>> LoadCalendar(const std::string& dir,
                                                                Clock* clock,
                                                                absl::TimeZone zone) {
  if (dir.empty()) return std::shared_ptr<const WorkCalendar>();
  std::vector<config::v1::HolidayCalendar> years;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".textproto") continue;
    config::v1::HolidayCalendar year;
    absl::Status s = LoadTextProtoFile(entry.path().string(), &year);
    if (!s.ok()) return s;
    years.push_back(std::move(year));
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("calendar_dir: ", dir, ": ", ec.message()));
  }
  auto calendar = WorkCalendar::FromConfig(years);
  if (!calendar.ok()) return calendar.status();
  const int64_t this_year = absl::ToCivilYear(clock->Now(), zone).year();
  std::vector<int> covered = calendar->Years();
  for (int64_t y : {this_year, this_year + 1}) {
    if (std::find(covered.begin(), covered.end(), y) == covered.end()) {
      log::Warn("sla", "the working-day calendar has no file for a year: its working-day "
                       "deadlines assume plain weekdays",
                {{"year", std::to_string(y)},
                 {"file", absl::StrCat(dir, "/", y, ".textproto")}});
    }
  }
  return std::shared_ptr<const WorkCalendar>(new WorkCalendar(*std::move(calendar)));
}

// A Redis client of one connection for a background worker, whose long or blocking commands
// must not hold up the RPCs' pipelined connections.
redis::HiredisOptions WorkerRedisOptions(const redis::HiredisOptions& rpc,
                                         const std::string& name) {
  redis::HiredisOptions options;
  options.name = name;
  options.address = rpc.address;
  options.pool_size = 1;
  options.connect_timeout = rpc.connect_timeout;
  options.command_timeout = rpc.command_timeout + absl::Seconds(1);
  options.username = rpc.username;
  options.password = rpc.password;
  return options;
}

// The organisation every service uses: the file seeds Redis; the stored one wins (loaded now if
// Redis is there, else by the background refresher as soon as it is).
absl::Status StartOrganisation(const DispatchConfig& config, redis::Client* redis,
                               DispatchServer::Parts* parts) {
  if (config.org_file().empty()) {
    return absl::InvalidArgumentError(
        "org_file: required (e.g. --org=deploy/org.textproto): every service uses the "
        "organisation");
  }
  config::v1::Organisation org_config;
  absl::Status loaded = LoadTextProtoFile(config.org_file(), &org_config);
  if (!loaded.ok()) return loaded;
  auto snapshot = org::OrgSnapshot::Build(std::move(org_config));
  if (!snapshot.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.org_file(), ": ", snapshot.status().message()));
  }
  parts->org = std::make_unique<org::OrgHolder>(redis, *std::move(snapshot));
  if (absl::Status s = parts->org->Load(); !s.ok()) {
    log::Warn("org", "the organisation is not loaded from redis yet", {{"error", s.ToString()}});
  }
  parts->org->StartRefreshing(FromProto(config.org_refresh_interval()));
  return absl::OkStatus();
}

absl::Status StartRouting(const DispatchConfig& config, redis::Client* redis, Clock* clock,
                          absl::TimeZone zone, const redis::HiredisOptions& worker_redis,
                          DispatchServer::Parts* parts) {
  parts->routing_actions = std::make_unique<routing::RoutingActions>(
      redis, clock, parts->org.get(), zone, parts->policy.get());
  if (config.routing_worker_disabled()) return absl::OkStatus();
  parts->worker_redis = std::make_unique<redis::HiredisClient>(worker_redis);
  routing::RoutingWorker::Options worker_options;
  worker_options.consumer = config.routing_consumer();
  worker_options.zone = zone;
  parts->worker = std::make_unique<routing::RoutingWorker>(
      parts->worker_redis.get(), clock, parts->org.get(), parts->policy.get(), worker_options);
  parts->worker->Start();
  return absl::OkStatus();
}

absl::Status StartEscalation(const DispatchConfig& config, redis::Client* redis, Clock* clock,
                             absl::TimeZone zone, const redis::HiredisOptions& worker_redis,
                             DispatchServer::Parts* parts) {
  parts->extensions = std::make_unique<escalation::Extensions>(redis, clock, parts->org.get());
  auto options = escalation::TimerEngine::OptionsFromConfig(config.escalation());
  if (!options.ok()) return options.status();
  parts->revisits = std::make_unique<escalation::Revisits>(redis, clock, parts->policy.get(),
                                                           *options, parts->org.get());
  parts->ledgers =
      std::make_unique<escalation::Ledgers>(redis, parts->org.get(), zone, parts->reader.get());
  const double scale = config.time_scale();  // 1 unless scaled (ParseConfig's default)
  if (scale != 1.0) {
    // The engine computes "now" inside its script from Redis TIME, with the same epoch.
    auto* redis_clock = dynamic_cast<RedisClock*>(clock);
    if (redis_clock == nullptr || redis_clock->scale() != scale) {
      return absl::InvalidArgumentError("time_scale: needs the scaled Redis clock (dispatchd)");
    }
    options->scale = scale;
    options->epoch = redis_clock->epoch();
  }
  if (config.escalation().worker_disabled()) return absl::OkStatus();
  parts->engine_redis = std::make_unique<redis::HiredisClient>(worker_redis);
  parts->engine = std::make_unique<escalation::TimerEngine>(parts->engine_redis.get(), clock,
                                                            *options);
  parts->engine->Start();
  return absl::OkStatus();
}

// The HTTP listener's operator routes: /metrics, /livez, /readyz. None needs a token (as gRPC
// health does not): they tell nothing about tickets or people.
void InstallOperatorRoutes(httplib::Server& server, DispatchServer::Parts* parts) {
  server.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::Scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"alive\"}", "application/json");
  });
  server.Get("/readyz", [parts](const httplib::Request&, httplib::Response& res) {
    const bool ready = !parts->stopping.load() && parts->health != nullptr && parts->health->ready();
    res.status = ready ? 200 : 503;
    std::string body = parts->health != nullptr ? parts->health->Describe() : "{}";
    if (parts->stopping.load()) body = "{\"status\":\"NOT_SERVING\",\"stopping\":true}";
    res.set_content(body, "application/json");
  });
}

// The listener's credentials: TLS from the configured files (client certificates verified
// against tls.client_ca_file when one is presented), or plaintext only on a loopback address
// and only when configured so.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const DispatchConfig& config) {
  const config::v1::TlsOptions& tls = config.tls();
  if (tls.plaintext_on_loopback()) {
    if (!IsLoopbackAddress(config.listen_address())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls.plaintext_on_loopback: listen_address ", config.listen_address(),
          " is not a loopback address; plaintext is served only on 127.0.0.1, [::1] or "
          "localhost"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file().empty() || tls.key_file().empty()) {
    return absl::InvalidArgumentError(
        "tls.cert_file, tls.key_file: required (every listener serves TLS; tools/run makes "
        "development ones with --dev_pki)");
  }
  auto read = [](const std::string& path, const char* field) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", text.status().message()));
    }
    return text;
  };
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  absl::StatusOr<std::string> cert = read(tls.cert_file(), "tls.cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = read(tls.key_file(), "tls.key_file");
  if (!key.ok()) return key.status();
  pair.cert_chain = *std::move(cert);
  pair.private_key = *std::move(key);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file().empty()) {
    absl::StatusOr<std::string> ca = read(tls.client_ca_file(), "tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    // People send tokens and no certificate; a certificate that is sent must verify.
    options.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  } else {
    options.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DispatchServer>> DispatchServer::Start(const DispatchConfig& config,
                                                                      redis::Client* redis,
                                                                      Clock* clock) {
  std::unique_ptr<DispatchServer> s(new DispatchServer());
  s->parts_ = std::make_unique<Parts>();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(config.time_zone(), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("time_zone: unknown \"", config.time_zone(), "\""));
  }
  auto rpc_redis = RedisOptions(config);
  if (!rpc_redis.ok()) return rpc_redis.status();
  const redis::HiredisOptions worker_redis = WorkerRedisOptions(*rpc_redis, "worker");
  // A worker's own client, by its name in the metrics.
  auto named = [&worker_redis](const char* name) {
    redis::HiredisOptions o = worker_redis;
    o.name = name;
    return o;
  };
  auto calendar = LoadCalendar(config.calendar_dir(), clock, zone);
  if (!calendar.ok()) return calendar.status();
  auto policy = SlaPolicy::FromConfig(config.sla(), *calendar, zone);
  if (!policy.ok()) return policy.status();
  s->parts_->policy = std::make_unique<SlaPolicy>(*std::move(policy));
  const SlaPolicy& sla = *s->parts_->policy;
  if (absl::Status started = StartOrganisation(config, redis, s->parts_.get()); !started.ok()) {
    return started;
  }
  org::OrgHolder* org = s->parts_->org.get();
  // Tokens are judged by the real time, whatever the service time (a scaled demo).
  auto authenticator = auth::Authenticator::Create(config.auth(), Clock::Real());
  if (!authenticator.ok()) return authenticator.status();
  s->parts_->gate = std::make_unique<access::Gatekeeper>(*std::move(authenticator));
  const rpc::Gate* gate = s->parts_->gate.get();
  auto credentials = ListenerCredentials(config);
  if (!credentials.ok()) return credentials.status();
  const config::v1::Limits& limits_config = config.limits();
  const rpc::Limits limits{static_cast<size_t>(limits_config.max_request_bytes()),
                           static_cast<size_t>(limits_config.max_organisation_bytes())};

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), *credentials, &s->port_);
  // gRPC refuses anything larger than the largest method limit; ServeUnary applies each
  // method's own (rpc::Limits).
  builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_organisation_bytes));
  // Keepalive pings find connections whose peer vanished (a watch that would otherwise hold
  // its slot and Redis connection for ever).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(FromProto(limits_config.keepalive_time()))));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(FromProto(limits_config.keepalive_timeout()))));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // A watch that has nothing to send sends no data; gRPC would stop pinging such a connection
  // after two pings and never notice its peer vanish.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // The per-method limits bound one request; this bounds what all calls hold together.
  grpc::ResourceQuota quota("dispatchd");
  quota.Resize(static_cast<size_t>(limits_config.memory_quota_bytes()));
  builder.SetResourceQuota(quota);

  std::vector<const rpc::MethodTable*> tables;
  auto add = [&](std::unique_ptr<grpc::Service> service, const std::string& name) {
    builder.RegisterService(service.get());
    s->parts_->services.push_back(std::move(service));
    s->service_names_.push_back(name);
  };
  const config::v1::ReadModelOptions& rm = config.read_model();
  pg::Options pg_options;
  pg_options.conninfo = rm.conninfo();
  pg_options.statement_timeout = FromProto(rm.statement_timeout());
  if (!rm.conninfo().empty()) {
    pg::Options reader_options = pg_options;
    reader_options.application_name = "dispatchd-reader";
    readmodel::Reader::Options options;
    options.connections = rm.reader_connections();
    s->parts_->reader = std::make_unique<readmodel::Reader>(reader_options, options);
  }
  absl::StatusOr<std::string> pii_secret = readmodel::LoadPiiKey(rm.pii_key_file());
  if (!pii_secret.ok()) return pii_secret.status();
  readmodel::Eraser::Options eraser_options;
  eraser_options.secret = *pii_secret;
  eraser_options.retention = FromProto(rm.pii_retention());
  eraser_options.clock = clock;
  for (const std::string& name : config.services()) {
    if (name == "intake") {
      intake::Intake::Options intake_options;
      intake_options.zone = zone;
      intake_options.routing_grace = FromProto(config.routing_grace());
      intake_options.read_model = s->parts_->reader.get();
      if (!rm.conninfo().empty()) {
        pg::Options eraser_pg = pg_options;
        eraser_pg.application_name = "dispatchd-eraser";
        s->parts_->eraser_pg = pg::Connection::OpenLater(eraser_pg);
        s->parts_->eraser_redis = std::make_unique<redis::HiredisClient>(named("eraser"));
        s->parts_->eraser = std::make_unique<readmodel::Eraser>(
            s->parts_->eraser_redis.get(), s->parts_->eraser_pg.get(), eraser_options);
        intake_options.eraser = s->parts_->eraser.get();
      }
      s->parts_->intake =
          std::make_unique<intake::Intake>(redis, clock, sla, org, intake_options);
      intake::TicketQueries::Options query_options;
      query_options.read_model = s->parts_->reader.get();
      s->parts_->queries =
          std::make_unique<intake::TicketQueries>(redis, clock, org, query_options);
      intake::EventWatcher::Options watch_options;
      watch_options.max_watches = limits_config.max_watches();
      watch_options.write_timeout = FromProto(limits_config.watch_write_timeout());
      s->parts_->watcher = std::make_unique<intake::EventWatcher>(
          [watch_redis = named("watch")]() -> std::unique_ptr<redis::Client> {
            return std::make_unique<redis::HiredisClient>(watch_redis);
          },
          org, watch_options);
      auto service = std::make_unique<intake::IntakeGrpcService>(
          s->parts_->intake.get(), s->parts_->queries.get(), s->parts_->watcher.get(), gate,
          limits);
      tables.push_back(&service->methods());
      add(std::move(service), v1::IntakeService::service_full_name());
    } else if (name == "routing") {
      absl::Status started =
          StartRouting(config, redis, clock, zone, named("routing"), s->parts_.get());
      if (!started.ok()) return started;
      s->parts_->case_actions = std::make_unique<routing::CaseActions>(redis, clock, &sla, org);
      auto service = std::make_unique<routing::RoutingGrpcService>(
          s->parts_->routing_actions.get(), s->parts_->case_actions.get(), gate, limits);
      tables.push_back(&service->methods());
      add(std::move(service), v1::RoutingService::service_full_name());
    } else if (name == "projector") {
      // Serves no RPC: feeds the read model in the background, and catches up by itself when
      // PostgreSQL comes back.
      pg::Options projector_pg = pg_options;
      projector_pg.application_name = "dispatchd-projector";
      s->parts_->projector_redis = std::make_unique<redis::HiredisClient>(named("projector"));
      s->parts_->projector_pg = pg::Connection::OpenLater(projector_pg);
      readmodel::Projector::Options projector_options;
      projector_options.consumer = rm.projector_consumer();
      projector_options.batch = rm.projector_batch();
      projector_options.clock = clock;
      projector_options.pii_secret = *pii_secret;
      s->parts_->projector = std::make_unique<readmodel::Projector>(
          s->parts_->projector_redis.get(), s->parts_->projector_pg.get(), org,
          projector_options);
      s->parts_->projector->Start();
      pg::Options archiver_pg = pg_options;
      archiver_pg.application_name = "dispatchd-archiver";
      s->parts_->archiver_redis = std::make_unique<redis::HiredisClient>(named("archiver"));
      s->parts_->archiver_pg = pg::Connection::OpenLater(archiver_pg);
      readmodel::Archiver::Options archiver_options;
      archiver_options.retention = FromProto(rm.retention());
      archiver_options.idempotency_retention = FromProto(rm.idempotency_retention());
      archiver_options.stream_keep = FromProto(rm.stream_keep());
      archiver_options.interval = FromProto(rm.archive_interval());
      archiver_options.clock = clock;
      s->parts_->archiver_eraser = std::make_unique<readmodel::Eraser>(
          s->parts_->archiver_redis.get(), s->parts_->archiver_pg.get(), eraser_options);
      archiver_options.eraser = s->parts_->archiver_eraser.get();
      s->parts_->archiver = std::make_unique<readmodel::Archiver>(
          s->parts_->archiver_redis.get(), s->parts_->archiver_pg.get(), archiver_options);
      s->parts_->archiver->Start();
      pg::Options facts_pg = pg_options;
      facts_pg.application_name = "dispatchd-facts";
      s->parts_->facts_pg = pg::Connection::OpenLater(facts_pg);
      statistics::FactStore::Options fact_options;
      fact_options.zone = zone;
      fact_options.partly_counts = !config.statistics().partly_substantiated_not_counted();
      fact_options.interval = FromProto(config.statistics().fold_interval());
      fact_options.fold_delay = FromProto(config.statistics().fold_delay());
      fact_options.close_day = config.statistics().close_day();
      fact_options.clock = clock;
      fact_options.credit = {config.statistics().black_below_score(),
                             config.statistics().black_years(), config.statistics().red_min_score()};
      s->parts_->facts = std::make_unique<statistics::FactStore>(s->parts_->facts_pg.get(), org,
                                                                 fact_options);
      s->parts_->facts->Start();
    } else if (name == "statistics") {
      const config::v1::StatisticsOptions& st = config.statistics();
      statistics::StatisticsQueries::Options options;
      options.zone = zone;
      options.weights = {st.response_weight(), st.resolution_weight(), st.satisfaction_weight()};
      options.exit.window_months = st.company_window_months();
      options.exit.exit_min_distinct = st.exit_min_distinct_complainants();
      options.exit.satisfaction_below_percent = st.exit_satisfaction_below_percent();
      options.credit = {st.black_below_score(), st.black_years(), st.red_min_score()};
      options.clock = clock;
      s->parts_->statistics = std::make_unique<statistics::StatisticsQueries>(
          s->parts_->reader.get(), org, options);
      auto service = std::make_unique<statistics::StatisticsGrpcService>(
          s->parts_->statistics.get(), gate, limits);
      tables.push_back(&service->methods());
      add(std::move(service), v1::StatisticsService::service_full_name());
    } else if (name == "escalation") {
      absl::Status started =
          StartEscalation(config, redis, clock, zone, named("timers"), s->parts_.get());
      if (!started.ok()) return started;
      auto service = std::make_unique<escalation::EscalationGrpcService>(
          s->parts_->extensions.get(), s->parts_->revisits.get(), s->parts_->ledgers.get(), gate,
          limits);
      tables.push_back(&service->methods());
      add(std::move(service), v1::EscalationService::service_full_name());
    }
  }
  {
    auto diagnostics = std::make_unique<DiagnosticsGrpcService>(gate, limits);
    tables.push_back(&diagnostics->methods());
    add(std::move(diagnostics), v1::DiagnosticsService::service_full_name());
  }

  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen_address: cannot listen on ", config.listen_address()));
  }
  // Health follows the dependencies (NOT_SERVING while Redis, or PostgreSQL for the services
  // that need it, does not answer), probed on connections of the monitor's own.
  std::vector<HealthMonitor::Service> monitored;
  for (const auto& n : s->service_names_) {
    monitored.push_back({n, n == v1::StatisticsService::service_full_name()});
  }
  redis::HiredisOptions probe_redis = named("health");
  probe_redis.connect_timeout = absl::Milliseconds(500);
  probe_redis.command_timeout = absl::Milliseconds(500);
  std::unique_ptr<pg::Connection> probe_pg;
  if (!rm.conninfo().empty()) {
    pg::Options probe_options = pg_options;
    probe_options.application_name = "dispatchd-health";
    probe_options.connect_timeout = absl::Seconds(1);
    probe_options.statement_timeout = absl::Seconds(1);
    probe_pg = pg::Connection::OpenLater(probe_options);
  }
  HealthMonitor::Options health_options;
  health_options.interval = FromProto(config.health_interval());
  s->parts_->health = std::make_unique<HealthMonitor>(
      std::make_unique<redis::HiredisClient>(probe_redis), std::move(probe_pg),
      s->server_->GetHealthCheckService(), std::move(monitored), health_options);
  s->parts_->health->Start();
  if (!config.http().listen_address().empty()) {
    // Only where there is a /metrics to read them from.
    s->parts_->opstats = std::make_unique<OperatorStats>(
        std::make_unique<redis::HiredisClient>(named("opstats")), s->parts_->reader.get(),
        s->parts_->policy.get(), clock, OperatorStats::Options());
    s->parts_->opstats->Start();
    Gateway::Options gateway_options;
    gateway_options.watcher = s->parts_->watcher.get();
    gateway_options.gate = gate;
    gateway_options.max_request_bytes = limits.max_request_bytes;
    gateway_options.max_streams = std::max(1, config.http().threads() / 2);
    gateway_options.clock = clock;
    gateway_options.time_scale = config.time_scale();
    auto gateway = Gateway::Create(tables, gateway_options);
    if (!gateway.ok()) return gateway.status();
    s->parts_->gateway = *std::move(gateway);
    const rpc::MethodTable* intake_table = nullptr;
    for (const rpc::MethodTable* t : tables) {
      if (t->Find("IntakeService.SubmitComplaint") != nullptr) intake_table = t;
    }
    auto open311 = Open311::Create(intake_table);
    if (!open311.ok()) return open311.status();
    s->parts_->open311 = *std::move(open311);
    s->parts_->openapi = OpenApiDocument(tables, s->parts_->watcher != nullptr);
    Parts* parts = s->parts_.get();
    const std::string web_root = config.http().web_root();
    auto http = HttpListener::Start(config, [parts, web_root](httplib::Server& server) {
      InstallOperatorRoutes(server, parts);
      parts->gateway->Install(server);
      parts->open311->Install(server);
      // What the gateway serves, for integrators' tools (no secrets in it: served without a
      // token, like the protos it is made from).
      server.Get("/openapi.json", [parts](const httplib::Request&, httplib::Response& res) {
        res.set_content(parts->openapi, "application/json");
      });
      if (!web_root.empty()) {
        server.set_mount_point("/", web_root);
        // The dashboard has no inline script or style; hashed names never change.
        server.set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
          res.set_header("Content-Security-Policy", "default-src 'self'");
          res.set_header("Referrer-Policy", "no-referrer");
          static const std::regex hashed(R"(-[A-Za-z0-9]{8,}\.(js|css)$)");
          res.set_header("Cache-Control", std::regex_search(req.path, hashed)
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
        });
      }
      server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
    });
    if (!http.ok()) return http.status();
    s->parts_->http = *std::move(http);
  }
  return s;
}

int DispatchServer::http_port() const {
  return parts_ != nullptr && parts_->http != nullptr ? parts_->http->port() : 0;
}

void DispatchServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  parts_->stopping.store(true);  // /readyz answers 503 from now on
  if (parts_->opstats) parts_->opstats->Stop();
  if (parts_->health) parts_->health->Stop();
  server_->GetHealthCheckService()->Shutdown();  // everything reads NOT_SERVING
  // Let the calls in flight finish (up to the grace period), then stop at once: gRPC's own
  // deadline-bounded shutdown would also wait that long for idle client connections to close.
  const absl::Time deadline = absl::Now() + grace;
  while (rpc::UnaryCallsInFlight().load() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  server_->Shutdown(std::chrono::system_clock::now());
  if (parts_->gateway) parts_->gateway->Shutdown();
  if (parts_->http) parts_->http->Stop();
  if (parts_->worker) parts_->worker->Stop();
  if (parts_->engine) parts_->engine->Stop();
  if (parts_->projector) parts_->projector->Stop();
  if (parts_->archiver) parts_->archiver->Stop();
  if (parts_->facts) parts_->facts->Stop();
}

DispatchServer::~DispatchServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
}

}  // namespace dispatch
