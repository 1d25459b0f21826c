#include "common/redis/redis_client.h"

#include <cstring>
#include <future>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"

namespace dispatch::redis {

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

void Client::Eval(const Script& script, std::vector<std::string> keys,
                  std::vector<std::string> args, Callback done) {
  auto command = std::make_shared<std::vector<std::string>>();
  command->reserve(3 + keys.size() + args.size());
  command->push_back("EVALSHA");
  command->push_back(script.sha1());
  command->push_back(std::to_string(keys.size()));
  for (auto& k : keys) command->push_back(std::move(k));
  for (auto& a : args) command->push_back(std::move(a));
  Send(command, [this, command, &script, done = std::move(done)](absl::StatusOr<Reply> reply) mutable {
    if (!reply.ok() && absl::StartsWith(reply.status().message(), "NOSCRIPT")) {
      // The server lost its script cache (restart, SCRIPT FLUSH): send the source, which also
      // caches it again.
      (*command)[0] = "EVAL";
      (*command)[1] = script.source();
      Send(std::move(command), std::move(done));
      return;
    }
    done(std::move(reply));
  });
}

absl::StatusOr<Reply> Client::ExecuteSync(std::vector<std::string> argv) {
  std::promise<absl::StatusOr<Reply>> promise;
  auto future = promise.get_future();
  Execute(std::move(argv), [&promise](absl::StatusOr<Reply> r) { promise.set_value(std::move(r)); });
  return future.get();
}

std::vector<absl::StatusOr<Reply>> Client::ExecuteAllSync(
    std::vector<std::vector<std::string>> commands) {
  std::vector<absl::StatusOr<Reply>> replies(commands.size());
  absl::BlockingCounter pending(static_cast<int>(commands.size()));
  for (size_t i = 0; i < commands.size(); ++i) {
    Execute(std::move(commands[i]), [&replies, &pending, i](absl::StatusOr<Reply> r) {
      replies[i] = std::move(r);
      pending.DecrementCount();
    });
  }
  pending.Wait();
  return replies;
}

absl::StatusOr<Reply> Client::EvalSync(const Script& script, const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) {
  std::promise<absl::StatusOr<Reply>> promise;
  auto future = promise.get_future();
  Eval(script, keys, args, [&promise](absl::StatusOr<Reply> r) { promise.set_value(std::move(r)); });
  return future.get();
}

absl::Status StatusFromErrorReply(absl::string_view error) {
  // NOSCRIPT keeps its prefix first so that Eval() can recognise it.
  if (absl::StartsWith(error, "NOSCRIPT")) return absl::FailedPreconditionError(error);
  if (absl::StartsWith(error, "OOM")) {
    // Redis refuses a write (and a script that may write) whole when maxmemory is reached: it
    // wrote nothing.
    return absl::ResourceExhaustedError(absl::StrCat(
        "storage is full (Redis reached its maxmemory); nothing was written; retry later (",
        error, ")"));
  }
  for (const char* refused : {"NOAUTH", "WRONGPASS", "NOPERM"}) {
    if (absl::StartsWith(error, refused)) {
      return absl::UnavailableError(absl::StrCat(
          "storage refused this service's credentials (redis.username, redis.password_file): ",
          error));
    }
  }
  for (const char* transient : {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN",
                                "CLUSTERDOWN"}) {
    if (absl::StartsWith(error, transient)) {
      return absl::UnavailableError(absl::StrCat("redis is not ready: ", error));
    }
  }
  return absl::InternalError(absl::StrCat("redis error: ", error));
}

// A small SHA-1 (FIPS 180-1), only for script digests.
std::string Sha1Hex(absl::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  uint64_t bit_len = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bit_len >> (i * 8)) & 0xFF));
  auto rol = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + i * 4);
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint32_t v : h) {
    for (int i = 7; i >= 0; --i) out.push_back(kHex[(v >> (i * 4)) & 0xF]);
  }
  return out;
}

}  // namespace dispatch::redis
