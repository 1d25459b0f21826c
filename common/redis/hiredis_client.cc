#include "common/redis/hiredis_client.h"

#include <chrono>

#include "common/metrics/metrics.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>

#include <errno.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/thread_name.h"

namespace dispatch::redis {

std::string Address::ToString() const {
  return kind == Kind::kUnix ? absl::StrCat("unix://", path) : absl::StrCat("tcp://", host, ":", port);
}

absl::StatusOr<Address> ParseAddress(absl::string_view spec) {
  Address a;
  if (absl::ConsumePrefix(&spec, "unix://")) {
    if (spec.empty()) return absl::InvalidArgumentError("redis address: unix:// needs a path");
    a.kind = Address::Kind::kUnix;
    a.path = std::string(spec);
    return a;
  }
  absl::ConsumePrefix(&spec, "tcp://");
  size_t colon = spec.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(spec.substr(colon + 1), &a.port) || a.port <= 0 || a.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "redis address \"", spec, "\": want tcp://host:port or unix:///path"));
  }
  a.host = std::string(spec.substr(0, colon));
  return a;
}

namespace {

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    case REDIS_REPLY_ERROR:  // only nested in arrays; top-level errors become statuses
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    default:
      break;  // nil
  }
  return out;
}

}  // namespace

class HiredisClient::Connection {
 public:
  explicit Connection(const HiredisOptions& options)
      : options_(options), thread_([this] {
          NameThisThread("redis-io");
          Run();
        }) {}

  ~Connection() {
    RequestStop();
    Join();
    if (ctx_ != nullptr) redisFree(ctx_);
  }

  // The I/O thread sends what is queued, then exits; later commands fail at once.
  void RequestStop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  void Enqueue(Command command, Callback done) {
    absl::Status refused;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        refused = absl::UnavailableError("redis client is shutting down");
      } else if (queue_.size() >= static_cast<size_t>(options_.max_queue)) {
        refused = absl::UnavailableError(absl::StrCat(
            "redis client overloaded: ", queue_.size(), " commands already waiting for ",
            options_.address.ToString()));
      } else {
        queue_.push_back({std::move(command), std::move(done)});
        cv_.notify_one();
        return;
      }
    }
    done(std::move(refused));
  }

 private:
  struct Pending {
    Command command;
    Callback done;
  };

  void Run() {
    std::vector<Pending> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      RunBatch(batch);
      batch.clear();
    }
  }

  // Sends the whole batch, then reads every reply in order.
  void RunBatch(std::vector<Pending>& batch) {
    if (roundtrip_ == nullptr) InitMetrics();
    const auto start = std::chrono::steady_clock::now();
    if (ctx_ != nullptr && ClosedWhileIdle()) {
      redisFree(ctx_);
      ctx_ = nullptr;
    }
    if (ctx_ == nullptr) {
      absl::Status s = Connect();
      if (!s.ok()) {
        io_errors_->Increment(static_cast<double>(batch.size()));
        for (auto& p : batch) p.done(s);
        return;
      }
    }
    // Encode the batch (RESP) into one reused buffer and write it straight to the socket:
    // hiredis's own output buffer would be grown and freed for every batch.
    out_.clear();
    for (auto& p : batch) AppendResp(*p.command, &out_);
    size_t off = 0;
    while (off < out_.size()) {
      ssize_t n = write(ctx_->fd, out_.data() + off, out_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        FailFrom(batch, 0, "write", n < 0 ? strerror(errno) : "connection closed");
        return;
      }
      off += static_cast<size_t>(n);
    }
    if (out_.capacity() > kMaxKeptBuffer) std::string().swap(out_);
    for (size_t i = 0; i < batch.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        FailFrom(batch, i, "read", ctx_->errstr);
        return;
      }
      auto* r = static_cast<redisReply*>(raw);
      if (r->type == REDIS_REPLY_ERROR) {
        error_replies_->Increment();
        absl::Status s = StatusFromErrorReply(absl::string_view(r->str, r->len));
        freeReplyObject(r);
        batch[i].done(std::move(s));
      } else {
        Reply reply = Convert(r);
        freeReplyObject(r);
        batch[i].done(std::move(reply));
      }
    }
    roundtrip_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // This connection's metrics (made on the I/O thread, before its first batch).
  void InitMetrics() {
    static auto& roundtrips = metrics::HistogramFamily(
        "dispatch_redis_roundtrip_seconds",
        "Time for Redis to answer one pipelined batch of commands (written together, answered "
        "in order), by client.");
    static auto& errors = metrics::CounterFamily(
        "dispatch_redis_errors_total",
        "Redis commands that failed, by client and kind: io (no connection, a broken one) or "
        "reply (an error reply such as OOM or a script error).");
    roundtrip_ = &roundtrips.Add({{"client", options_.name}}, metrics::LatencyBuckets());
    io_errors_ = &errors.Add({{"client", options_.name}, {"kind", "io"}});
    error_replies_ = &errors.Add({{"client", options_.name}, {"kind", "reply"}});
  }

  // Between batches every reply has been read and Redis sends nothing unasked (no pub/sub
  // here), so a connection with anything to read has been closed by Redis: a restart, a
  // failover, CLIENT KILL, an idle timeout. Found before writing, it is replaced at no cost to
  // the batch; found by the write, the batch would fail. One poll(2) per batch. (With TLS or
  // RESP3 pushes a healthy connection could be readable too: then peek with recv(MSG_PEEK)
  // for a real end of stream instead.)
  bool ClosedWhileIdle() const {
    pollfd p{};
    p.fd = ctx_->fd;
    p.events = POLLIN;
    return poll(&p, 1, 0) > 0;
  }

  absl::Status Connect() {
    const Address& a = options_.address;
    timeval tv = absl::ToTimeval(options_.connect_timeout);
    redisContext* c = a.kind == Address::Kind::kUnix
                          ? redisConnectUnixWithTimeout(a.path.c_str(), tv)
                          : redisConnectWithTimeout(a.host.c_str(), a.port, tv);
    if (c == nullptr || c->err) {
      std::string why = c ? c->errstr : "out of memory";
      if (c) redisFree(c);
      return absl::UnavailableError(
          absl::StrCat("cannot connect to redis at ", a.ToString(), ": ", why));
    }
    if (redisSetTimeout(c, absl::ToTimeval(options_.command_timeout)) != REDIS_OK ||
        (a.kind == Address::Kind::kTcp && redisEnableKeepAlive(c) != REDIS_OK)) {
      std::string why = c->errstr;
      redisFree(c);
      return absl::UnavailableError(
          absl::StrCat("cannot set up the redis connection to ", a.ToString(), ": ", why));
    }
    if (absl::Status s = Authenticate(c); !s.ok()) {
      redisFree(c);
      return s;
    }
    ctx_ = c;
    return absl::OkStatus();
  }

  absl::Status Authenticate(redisContext* c) {
    if (options_.password.empty()) return absl::OkStatus();
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lens = {4};
    if (!options_.username.empty()) {
      argv.push_back(options_.username.data());
      lens.push_back(options_.username.size());
    }
    argv.push_back(options_.password.data());
    lens.push_back(options_.password.size());
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    const std::string who = options_.username.empty() ? "the default user" : options_.username;
    if (r == nullptr) {
      return absl::UnavailableError(absl::StrCat("redis AUTH as ", who, " at ",
                                                 options_.address.ToString(), ": ", c->errstr));
    }
    absl::Status s;
    if (r->type == REDIS_REPLY_ERROR) {
      s = absl::UnavailableError(absl::StrCat("redis at ", options_.address.ToString(),
                                              " refused the credentials of ", who, ": ",
                                              absl::string_view(r->str, r->len)));
    }
    freeReplyObject(r);
    return s;
  }

  // The connection broke at batch[from]: every command from there on fails. Commands already
  // written may have been applied; the caller is told so.
  void FailFrom(std::vector<Pending>& batch, size_t from, const char* op, const char* why) {
    io_errors_->Increment(static_cast<double>(batch.size() - from));
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "redis connection to ", options_.address.ToString(), " failed during ", op, ": ", why,
        " (the command may or may not have been applied)"));
    redisFree(ctx_);
    ctx_ = nullptr;
    for (size_t i = from; i < batch.size(); ++i) batch[i].done(s);
  }

  // RESP: *<argc>\r\n then $<len>\r\n<bytes>\r\n for each argument.
  static void AppendResp(const std::vector<std::string>& argv, std::string* out) {
    char num[24];
    auto append_len = [&](char prefix, size_t n) {
      out->push_back(prefix);
      auto [end, ec] = std::to_chars(num, num + sizeof num, n);
      out->append(num, end);
      out->append("\r\n", 2);
    };
    append_len('*', argv.size());
    for (const std::string& a : argv) {
      append_len('$', a.size());
      out->append(a);
      out->append("\r\n", 2);
    }
  }

  static constexpr size_t kMaxKeptBuffer = 4 << 20;

  const HiredisOptions options_;
  std::string out_;  // the I/O thread's output buffer, reused across batches
  prometheus::Histogram* roundtrip_ = nullptr;  // the I/O thread's
  prometheus::Counter* io_errors_ = nullptr;
  prometheus::Counter* error_replies_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  redisContext* ctx_ = nullptr;  // owned by the I/O thread
  std::thread thread_;           // last member: starts after the others are built
};

HiredisClient::HiredisClient(HiredisOptions options) {
  // hiredis writes with write(2): a peer that went away must give EPIPE, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  if (options.pool_size < 1) options.pool_size = 1;
  if (options.max_batch < 1) options.max_batch = 1;
  for (int i = 0; i < options.pool_size; ++i) {
    connections_.push_back(std::make_unique<Connection>(options));
  }
}

HiredisClient::~HiredisClient() {
  // Two phases: a callback running on one connection's thread may still send on another, so
  // every connection must refuse new work before any of them is destroyed.
  for (auto& c : connections_) c->RequestStop();
  for (auto& c : connections_) c->Join();
  connections_.clear();
}

void HiredisClient::Send(Command command, Callback done) {
  unsigned i = next_.fetch_add(1, std::memory_order_relaxed) % connections_.size();
  connections_[i]->Enqueue(std::move(command), std::move(done));
}

}  // namespace dispatch::redis
