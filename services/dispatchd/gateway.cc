#include "services/dispatchd/gateway.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <algorithm>
#include <future>
#include <mutex>
#include <map>

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/proto_json.h"
#include "common/text.h"
#include "common/metrics/metrics.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dispatch/v1/intake.grpc.pb.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"

namespace dispatch {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

namespace {

// One segment of a path template: a literal ("v1"), or a field ("{write.ticket_id}") with an
// optional literal suffix (":route").
struct Segment {
  std::string literal;
  std::string field;
  std::string suffix;
};

// A field found by its name in a request: the proto name (unit_code) or the JSON name
// (unitCode).
const FieldDescriptor* FieldNamed(const Descriptor* d, const std::string& name) {
  const FieldDescriptor* f = d->FindFieldByName(name);
  return f != nullptr ? f : d->FindFieldByCamelcaseName(name);
}

// The request's fields set from the path and the query, as a JSON object for protobuf's own
// JSON parser (which knows enums by name, Timestamps, int64 as strings).
class FieldJson {
 public:
  absl::Status Set(const Descriptor* d, const std::string& path, const std::string& value,
                   const char* where) {
    std::vector<std::string> parts = absl::StrSplit(path, '.');
    FieldJson* node = this;
    for (size_t i = 0; i < parts.size(); ++i) {
      const FieldDescriptor* f = FieldNamed(d, parts[i]);
      if (f == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(where, " ", path, ": ", d->full_name(),
                                                       " has no field ", parts[i]));
      }
      const bool last = i + 1 == parts.size();
      if (!last) {
        if (f->type() != FieldDescriptor::TYPE_MESSAGE || f->is_repeated()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " ", path, ": ", parts[i], " is not a message"));
        }
        node = &node->children_[f->name()];
        d = f->message_type();
        continue;
      }
      absl::StatusOr<std::string> encoded = Encode(f, value, path, where);
      if (!encoded.ok()) return encoded.status();
      Leaf& leaf = node->leaves_[f->name()];
      leaf.repeated = f->is_repeated();
      if (!leaf.repeated && !leaf.values.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " ", path, ": given more than once, but it is not repeated"));
      }
      leaf.values.push_back(*std::move(encoded));
    }
    return absl::OkStatus();
  }

  bool empty() const { return children_.empty() && leaves_.empty(); }

  std::string ToJson() const {
    std::vector<std::string> members;
    for (const auto& [name, leaf] : leaves_) {
      members.push_back(absl::StrCat(JsonQuote(name), ":",
                                     leaf.repeated ? absl::StrCat("[", absl::StrJoin(leaf.values, ","), "]")
                                                   : leaf.values.front()));
    }
    for (const auto& [name, child] : children_) {
      members.push_back(absl::StrCat(JsonQuote(name), ":", child.ToJson()));
    }
    return absl::StrCat("{", absl::StrJoin(members, ","), "}");
  }

 private:
  struct Leaf {
    bool repeated = false;
    std::vector<std::string> values;
  };
  static absl::StatusOr<std::string> Encode(const FieldDescriptor* f, const std::string& value,
                                            const std::string& path, const char* where) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_BOOL:
        if (value == "true" || value == "1") return std::string("true");
        if (value == "false" || value == "0") return std::string("false");
        return absl::InvalidArgumentError(
            absl::StrCat(where, " ", path, ": \"", value, "\" is not true or false"));
      case FieldDescriptor::TYPE_ENUM: {
        bool digits = !value.empty();
        for (char c : value) digits = digits && absl::ascii_isdigit(c);
        return digits ? value : JsonQuote(value);
      }
      case FieldDescriptor::TYPE_MESSAGE: {
        const std::string& type = f->message_type()->full_name();
        if (type == "google.protobuf.Timestamp" || type == "google.protobuf.Duration") {
          return JsonQuote(value);
        }
        return absl::InvalidArgumentError(absl::StrCat(
            where, " ", path, ": a ", type, " is set by its fields (", path, ".<field>=...)"));
      }
      default:
        // Strings, and numbers (protobuf's JSON accepts them quoted).
        return JsonQuote(value);
    }
  }
  std::map<std::string, FieldJson> children_;
  std::map<std::string, Leaf> leaves_;
};

// Sets `request`'s fields named by the path's variables and, when `query` is given, by the query
// parameters; they win over what the body set.
absl::Status MergeUrlFields(const std::vector<std::pair<std::string, std::string>>& vars,
                            const httplib::Params* query, Message* request) {
  const Descriptor* type = request->GetDescriptor();
  FieldJson fields;
  for (const auto& [path, value] : vars) {
    if (absl::Status s = fields.Set(type, path, value, "path field"); !s.ok()) return s;
  }
  if (query != nullptr) {
    for (const auto& [key, value] : *query) {
      if (absl::Status s = fields.Set(type, key, value, "query parameter"); !s.ok()) return s;
    }
  }
  if (fields.empty()) return absl::OkStatus();
  std::unique_ptr<Message> from_url(request->New());
  absl::Status parsed = json::ParseJson(fields.ToJson(), from_url.get());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "path or query: not valid for ", type->full_name(), ": ", std::string(parsed.message())));
  }
  request->MergeFrom(*from_url);
  return absl::OkStatus();
}

std::vector<Segment> ParseTemplate(const std::string& pattern) {
  std::vector<Segment> out;
  for (absl::string_view part : absl::StrSplit(pattern, '/', absl::SkipEmpty())) {
    Segment s;
    if (absl::StartsWith(part, "{")) {
      const size_t close = part.find('}');
      s.field = std::string(part.substr(1, close - 1));
      s.suffix = std::string(part.substr(close + 1));
    } else {
      s.literal = std::string(part);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

struct Gateway::Route {
  std::string verb;     // "GET"
  std::string pattern;  // "/v1/tickets/{ticket_id}"
  std::string label;    // "GET /v1/tickets/{ticket_id}"
  std::vector<Segment> segments;
  bool body_all = false;
  const rpc::MethodTable::Entry* entry = nullptr;  // null for the watch
  bool watch = false;
  prometheus::Histogram* duration = nullptr;

  // The path's variables when `path` matches, as (field path, value).
  bool Match(const std::vector<std::string>& parts,
             std::vector<std::pair<std::string, std::string>>* vars) const {
    if (parts.size() != segments.size()) return false;
    vars->clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      const Segment& s = segments[i];
      if (s.field.empty()) {
        if (parts[i] != s.literal) return false;
        continue;
      }
      if (!absl::EndsWith(parts[i], s.suffix) || parts[i].size() == s.suffix.size()) return false;
      std::string value = parts[i].substr(0, parts[i].size() - s.suffix.size());
      if (!s.suffix.empty() && value.find(':') != std::string::npos) return false;
      vars->emplace_back(s.field, std::move(value));
    }
    return true;
  }
};

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kFailedPrecondition: return 400;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default: return 500;
  }
}

std::string ErrorJson(const absl::Status& status) {
  return absl::StrCat("{\"code\":", static_cast<int>(status.code()), ",\"status\":\"",
                      absl::StatusCodeToString(status.code()), "\",\"message\":", JsonQuote(status.message()),
                      "}");
}

void WriteError(const absl::Status& status, httplib::Response& res) {
  res.status = HttpStatusOf(status.code());
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  res.set_content(ErrorJson(status), "application/json");
}

rpc::Credentials CredentialsOf(const httplib::Request& req) {
  rpc::Credentials c;
  c.transport = "http";
  c.authorization = req.get_header_value("Authorization");
  if (req.ssl != nullptr && SSL_get_verify_result(req.ssl) == X509_V_OK) {
    if (X509* cert = SSL_get1_peer_certificate(req.ssl); cert != nullptr) {
      char cn[256] = {0};
      if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                    sizeof cn) > 0) {
        c.peer_common_name = cn;
      }
      X509_free(cert);
    }
  }
  return c;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(
    const std::vector<const rpc::MethodTable*>& tables, Options options) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->options_ = options;
  static auto& durations = metrics::HistogramFamily(
      "dispatch_http_request_duration_seconds",
      "Time to answer an HTTP gateway call, by route template (seconds).");
  for (const rpc::MethodTable* table : tables) {
    for (const rpc::MethodTable::Entry* entry : table->entries()) {
      const std::string name = entry->method.name;  // "IntakeService.SubmitComplaint"
      const size_t dot = name.find('.');
      const google::protobuf::ServiceDescriptor* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
              absl::StrCat("dispatch.v1.", name.substr(0, dot)));
      const google::protobuf::MethodDescriptor* method =
          service != nullptr ? service->FindMethodByName(name.substr(dot + 1)) : nullptr;
      if (method == nullptr || !method->options().HasExtension(google::api::http)) {
        return absl::InternalError(
            absl::StrCat(name, ": no google.api.http rule in its proto; every RPC needs a route"));
      }
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      auto route = std::make_unique<Route>();
      switch (rule.pattern_case()) {
        case google::api::HttpRule::kGet: route->verb = "GET"; route->pattern = rule.get(); break;
        case google::api::HttpRule::kPost: route->verb = "POST"; route->pattern = rule.post(); break;
        case google::api::HttpRule::kPut: route->verb = "PUT"; route->pattern = rule.put(); break;
        case google::api::HttpRule::kDelete:
          route->verb = "DELETE";
          route->pattern = rule.delete_();
          break;
        case google::api::HttpRule::kPatch: route->verb = "PATCH"; route->pattern = rule.patch(); break;
        default:
          return absl::InternalError(absl::StrCat(name, ": its google.api.http rule has no verb"));
      }
      route->label = absl::StrCat(route->verb, " ", route->pattern);
      route->segments = ParseTemplate(route->pattern);
      route->body_all = rule.body() == "*";
      route->entry = entry;
      route->duration = &durations.Add({{"route", route->label}}, metrics::LatencyBuckets());
      g->routes_.push_back(std::move(route));
    }
  }
  if (options.watcher != nullptr) {
    const auto* method = google::protobuf::DescriptorPool::generated_pool()
                             ->FindServiceByName("dispatch.v1.IntakeService")
                             ->FindMethodByName("WatchTicketEvents");
    const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
    auto route = std::make_unique<Route>();
    route->verb = "GET";
    route->pattern = rule.get();
    route->label = absl::StrCat("GET ", rule.get());
    route->segments = ParseTemplate(route->pattern);
    route->duration = &durations.Add({{"route", route->label}}, metrics::LatencyBuckets());
    route->watch = true;
    g->routes_.push_back(std::move(route));
  }
  return g;
}

Gateway::~Gateway() = default;

void Gateway::Install(httplib::Server& server) {
  for (const char* verb : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    const std::string v = verb;
    auto handler = [this, v](const httplib::Request& req, httplib::Response& res) {
      Handle(v, req, res);
    };
    const char* pattern = "/v1/.*";
    if (v == "GET") server.Get(pattern, handler);
    if (v == "POST") server.Post(pattern, handler);
    if (v == "PUT") server.Put(pattern, handler);
    if (v == "DELETE") server.Delete(pattern, handler);
    if (v == "PATCH") server.Patch(pattern, handler);
  }
}

void RecordHttpCall(const std::string& route, const httplib::Request& req,
                    const httplib::Response& res, double seconds, absl::string_view grpc_code) {
  static auto& requests = metrics::CounterFamily(
      "dispatch_http_requests_total",
      "HTTP calls answered (the gateway, its event stream, Open311), by route template and HTTP "
      "status.");
  const std::string status = std::to_string(res.status);
  requests.Add({{"route", route}, {"code", status}}).Increment();
  if (!log::AccessEnabled()) return;
  std::string duration = absl::StrFormat("%.3f", seconds * 1000);
  std::string request_id = req.get_header_value("X-Request-Id");
  if (grpc_code.empty()) {
    log::Access({{"transport", "http"}, {"route", route}, {"http_status", status},
                 {"duration_ms", std::move(duration)}, {"peer", req.remote_addr},
                 {"request_id", std::move(request_id)}});
  } else {
    log::Access({{"transport", "http"}, {"route", route}, {"http_status", status},
                 {"code", std::string(grpc_code)}, {"duration_ms", std::move(duration)},
                 {"peer", req.remote_addr}, {"request_id", std::move(request_id)}});
  }
}

void Gateway::Handle(const std::string& verb, const httplib::Request& req,
                     httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> parts = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> vars;
  for (const auto& r : routes_) {
    if (r->verb == verb && r->Match(parts, &vars)) {
      route = r.get();
      break;
    }
  }
  auto answer = [&](const absl::Status& status, const std::string& json) {
    if (status.ok()) {
      res.status = 200;
      res.set_content(json, "application/json");
    } else {
      WriteError(status, res);
    }
    res.set_header("Cache-Control", "no-store");
    const double seconds = rpc::internal::SecondsSince(start);
    if (route != nullptr) route->duration->Observe(seconds);
    RecordHttpCall(route != nullptr ? route->label : "unmatched", req, res, seconds,
                   absl::StatusCodeToString(status.code()));
  };
  TimeHeaders(res);
  if (route == nullptr) {
    answer(absl::NotFoundError(absl::StrCat(verb, " ", req.path, ": no such route")), "");
    return;
  }
  if (route->watch) {
    // Recorded when the stream is set up or refused (its events are counted by the watch).
    Watch(*route, req, res);
    RecordHttpCall(route->label, req, res, rpc::internal::SecondsSince(start));
    return;
  }
  const Descriptor* type = route->entry->request_type;
  rpc::MethodTable::Decode decode = [&](Message* request) -> absl::Status {
    if (route->body_all) {
      json::ParseOptions options;
      options.ignore_unknown_fields = true;
      absl::Status parsed = json::ParseJson(req.body.empty() ? "{}" : req.body, request, options);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("body: not a valid ", type->full_name(), " in JSON: ",
                         std::string(parsed.message())));
      }
    }
    return MergeUrlFields(vars, route->body_all ? nullptr : &req.params, request);
  };
  using Result = absl::StatusOr<std::unique_ptr<Message>>;
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  route->entry->invoke(CredentialsOf(req), decode,
                       [promise](Result result) { promise->set_value(std::move(result)); });
  if (future.wait_for(std::chrono::seconds(deadline_seconds_)) != std::future_status::ready) {
    answer(absl::DeadlineExceededError(absl::StrCat(route->label, ": no answer within ",
                                                    deadline_seconds_, " s")),
           "");
    return;
  }
  Result result = future.get();
  if (!result.ok()) {
    answer(result.status(), "");
    return;
  }
  std::string body;
  if (absl::Status printed = json::AppendJson(**result, &body); !printed.ok()) {
    answer(absl::InternalError(absl::StrCat("response: ", printed.message())), "");
    return;
  }
  answer(absl::OkStatus(), body);
}

void Gateway::TimeHeaders(httplib::Response& res) const {
  if (options_.clock == nullptr) return;
  res.set_header("X-Dispatch-Service-Time",
                 absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", options_.clock->Now(), absl::UTCTimeZone()));
  res.set_header("X-Dispatch-Time-Scale", absl::StrCat(options_.time_scale));
}

// One watch's server-sent events: the watch writes responses into it (under its lock, without
// blocking); the HTTP worker that holds the connection takes them out and writes them.
class SseSink : public intake::WatchSink {
 public:
  explicit SseSink(std::shared_ptr<std::atomic<int>> streams) : streams_(std::move(streams)) {}
  ~SseSink() override { streams_->fetch_sub(1); }

  void StartWrite(const grpc::ByteBuffer& response) override {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    v1::WatchTicketEventsResponse r;
    std::string frame;
    if (r.ParseFromString(bytes)) {
      frame = absl::StrCat("id: ", r.cursor().token(), "\nevent: ticket\ndata: ");
      if (absl::Status printed = json::AppendJson(r, &frame); printed.ok()) {
        frame.append("\n\n");
      } else {
        // Nothing a client could read: say so here (the next frame's id still resumes after it).
        log::Error("gateway", "an event could not be written as JSON; left out of the stream",
                   {{"cursor", r.cursor().token()}, {"error", std::string(printed.message())}});
        frame.clear();
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    frames_.push_back(std::move(frame));
    cv_.notify_all();
  }
  void Finish(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    final_ = status;
    cv_.notify_all();
  }
  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  // The server stops: the stream ends now (the client resumes elsewhere from its last id).
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

  // On the HTTP worker: writes what is due, or a ping after 15 s of nothing; looks every second
  // whether the client is still there. False closes.
  bool Pump(httplib::DataSink& sink) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      // Not `cancelled_`: a cut-off watch's Finish follows its Cancel (and a pending frame
      // wakes us anyway); waking on it would spin holding the lock Finish needs.
      const bool woke = cv_.wait_for(lock, std::chrono::seconds(1), [this] {
        return !frames_.empty() || finished_ || stopped_;
      });
      if (stopped_) return false;  // Closed() ends the watch
      if (!frames_.empty()) {
        std::string frame = std::move(frames_.front());
        frames_.pop_front();
        if (cancelled_) {
          lock.unlock();
          Written(false);  // the watch finishes; its status comes next
          lock.lock();
          continue;
        }
        lock.unlock();
        const bool ok = sink.write(frame.data(), frame.size());
        last_write_ = std::chrono::steady_clock::now();
        Written(ok);
        return ok;
      }
      if (finished_) {
        const grpc::Status status = final_;
        ended_ = true;
        lock.unlock();
        if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
          const std::string frame = absl::StrCat(
              "event: error\ndata: ",
              ErrorJson(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                     status.error_message())),
              "\n\n");
          sink.write(frame.data(), frame.size());
        }
        sink.done();
        return true;
      }
      if (woke || cancelled_) continue;  // the end follows
      lock.unlock();
      if (sink.is_writable && !sink.is_writable()) {
        ClientGone();  // the watch finishes; Pump ends it at the next turn
        lock.lock();
        continue;
      }
      if (std::chrono::steady_clock::now() - last_write_ >= std::chrono::seconds(15)) {
        last_write_ = std::chrono::steady_clock::now();
        if (!sink.write(": ping\n\n", 8)) {
          ClientGone();
          return false;
        }
        return true;
      }
      lock.lock();
    }
  }

  // The connection is over (httplib's releaser): the watch ends if it has not, then its slot
  // is freed.
  void Closed() {
    bool pending, ended;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending = !frames_.empty();
      frames_.clear();
      ended = ended_;
    }
    if (!ended) {
      if (pending) {
        Written(false);
      } else {
        ClientGone();
      }
    }
    Done();
  }

 private:
  std::shared_ptr<std::atomic<int>> streams_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> frames_;
  bool finished_ = false;
  bool cancelled_ = false;
  bool ended_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  grpc::Status final_;
};

void Gateway::Shutdown() {
  std::vector<std::shared_ptr<SseSink>> open;
  {
    std::lock_guard<std::mutex> lock(sinks_mu_);
    shut_down_ = true;
    for (auto& weak : sinks_) {
      if (auto sink = weak.lock()) open.push_back(std::move(sink));
    }
    sinks_.clear();
  }
  for (auto& sink : open) sink->Stop();
}

void Gateway::Watch(const Route& route, const httplib::Request& req, httplib::Response& res) {
  auto fail = [&](const absl::Status& status) { WriteError(status, res); };
  static constexpr char kMethod[] = "IntakeService.WatchTicketEvents";
  absl::StatusOr<std::shared_ptr<const auth::Caller>> caller =
      options_.gate->Admit(CredentialsOf(req), kMethod);
  if (!caller.ok()) {
    fail(caller.status());
    return;
  }
  v1::WatchTicketEventsRequest request;
  if (absl::Status s = MergeUrlFields({}, &req.params, &request); !s.ok()) {
    fail(s);
    return;
  }
  if (request.resume_after().token().empty() && req.has_header("Last-Event-ID")) {
    request.mutable_resume_after()->set_token(req.get_header_value("Last-Event-ID"));
  }
  if (request.ByteSizeLong() > options_.max_request_bytes) {
    fail(rpc::TooLarge(request.ByteSizeLong(), options_.max_request_bytes,
                       "limits.max_request_bytes"));
    return;
  }
  if (streams_->fetch_add(1) >= options_.max_streams) {
    streams_->fetch_sub(1);
    fail(absl::ResourceExhaustedError(absl::StrCat(
        "this server already holds ", options_.max_streams,
        " event streams (half of http.threads); retry later or use gRPC")));
    return;
  }
  auto sse = std::make_shared<SseSink>(streams_);  // gives the stream's slot back when gone
  {
    std::lock_guard<std::mutex> lock(sinks_mu_);
    if (shut_down_) {
      fail(absl::UnavailableError("the server is stopping"));
      return;
    }
    sinks_.erase(std::remove_if(sinks_.begin(), sinks_.end(),
                                [](const auto& w) { return w.expired(); }),
                 sinks_.end());
    sinks_.push_back(sse);
  }
  if (absl::Status s = options_.watcher->Open(**caller, request, sse); !s.ok()) {
    fail(s);
    return;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [sse](size_t, httplib::DataSink& sink) { return sse->Pump(sink); },
      [sse](bool) { sse->Closed(); });
}

}  // namespace dispatch
