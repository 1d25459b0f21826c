// timer_bench: the timer engine's side of `tools/bench timers`. Usually run through that
// script, which starts redis-server and a dispatchd running only the timer engine first.
//
//   timer_bench --redis=tcp://127.0.0.1:6390 --n=100000 --window_ms=0      (burst)
//   timer_bench --redis=tcp://127.0.0.1:6390 --n=100000 --window_ms=10000  (steady 10k/s)
//
// Empties the Redis database, writes n real tickets (tickets, timers, events, as intake writes
// them; common/testing/due_tickets.h) whose assign clocks fall due at T + i * window / n, where T
// is lead_s after the load starts (no warnings: the deadline is each ticket's only timer
// until then), and reports the Redis memory they take. Then waits until
// every ticket has its escalation event and computes, from the events, each escalation's
// lateness: the time the script wrote it (Redis TIME, the event's occurred_at) minus the
// deadline. Prints one line:
//   ours n=N window_ms=W load_s=L bytes_per_ticket=B drain_s=D late_ms_p50=.. p99=.. max=..
// where drain_s is from the last deadline to the last escalation written.
//
// With --script_only no engine may be running: after the load, timer_bench itself runs one
// engine pass (services/escalation/timer_engine.h, default options, "now" one millisecond
// after the last deadline) and reports what the fire script costs Redis, without the engine's
// timing in it:
//   script n=N escalations=E wall_s=W redis_cpu_us_per_escalation=C
// (C: redis-server's user+system CPU over the pass, from INFO cpu, divided by E). This is the
// figure the burst drain follows, as Redis is the one saturated process in a burst.
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/event_entry.h"
#include "common/keys.h"
#include "common/proto_time.h"
#include "common/redis/hiredis_client.h"
#include "common/testing/due_tickets.h"
#include "dispatch/v1/events.pb.h"
#include "services/escalation/timer_engine.h"

ABSL_FLAG(std::string, redis, "tcp://127.0.0.1:6390", "Redis address");
ABSL_FLAG(int, n, 100000, "Tickets (timers)");
ABSL_FLAG(int, window_ms, 0, "Spread of the due times (0: all at the same instant)");
ABSL_FLAG(double, lead_s, 12, "Seconds from the start of the load to the first due time");
ABSL_FLAG(double, timeout_s, 120, "Give up waiting for the escalations after this long");
ABSL_FLAG(bool, script_only, false,
          "Run one engine pass here on the loaded tickets and report Redis CPU per escalation "
          "(no other engine may be running)");

namespace {

using namespace dispatch;  // NOLINT: a small tool

// One numeric field of an INFO section (-1 when it cannot be read).
double Info(redis::Client& redis, const std::string& section, const std::string& field) {
  auto r = redis.ExecuteSync({"INFO", section});
  if (!r.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(r->str, "\r\n")) {
    double v = 0;
    if (absl::ConsumePrefix(&line, field + ":") && absl::SimpleAtod(line, &v)) return v;
  }
  return -1;
}

absl::Time RedisNow(redis::Client& redis) {
  auto t = redis.ExecuteSync({"TIME"});
  if (!t.ok()) return absl::Now();
  return absl::FromUnixMicros(std::stoll(t->elements[0].str) * 1000000 +
                              std::stoll(t->elements[1].str));
}

// redis-server's user + system CPU seconds so far.
double RedisCpuSeconds(redis::Client& redis) {
  return Info(redis, "cpu", "used_cpu_user") + Info(redis, "cpu", "used_cpu_sys");
}

// One engine pass with "now" just after the last deadline: every loaded ticket escalates.
int ScriptOnly(redis::Client& redis, int n, absl::Time last_due) {
  FakeClock clock(last_due + absl::Milliseconds(1));
  escalation::TimerEngine::Options options;
  options.now_from_clock = true;
  escalation::TimerEngine engine(&redis, &clock, options);
  const double cpu_before = RedisCpuSeconds(redis);
  const absl::Time start = absl::Now();
  auto pass = engine.RunOnce();
  const absl::Duration wall = absl::Now() - start;
  const double cpu = RedisCpuSeconds(redis) - cpu_before;
  if (!pass.ok()) {
    fprintf(stderr, "timer_bench: engine pass: %s\n", pass.status().ToString().c_str());
    return 1;
  }
  if (pass->tickets != n) {
    fprintf(stderr, "timer_bench: the pass handled %lld of %d tickets\n",
            static_cast<long long>(pass->tickets), n);
    return 1;
  }
  printf("script n=%d escalations=%lld events=%lld wall_s=%.3f redis_cpu_us_per_escalation=%.2f\n",
         n, static_cast<long long>(pass->tickets), static_cast<long long>(pass->events),
         absl::ToDoubleSeconds(wall), cpu * 1e6 / static_cast<double>(pass->tickets));
  return 0;
}

// Timers still due at or before `t` (each fired ticket is re-armed at its next, later clock).
int64_t DueBy(redis::Client& redis, absl::Time t) {
  std::vector<std::vector<std::string>> counts;
  for (int s = 0; s < keys::kShardCount; ++s) {
    counts.push_back({"ZCOUNT", keys::Timers(s), "-inf", std::to_string(absl::ToUnixMillis(t))});
  }
  int64_t total = 0;
  for (const auto& r : redis.ExecuteAllSync(std::move(counts))) {
    if (!r.ok()) return -1;
    total += r->integer;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_n);
  const int window_ms = absl::GetFlag(FLAGS_window_ms);
  redis::HiredisOptions options;
  auto address = redis::ParseAddress(absl::GetFlag(FLAGS_redis));
  if (!address.ok()) {
    fprintf(stderr, "timer_bench: %s\n", address.status().ToString().c_str());
    return 2;
  }
  options.address = *address;
  options.command_timeout = absl::Seconds(30);
  redis::HiredisClient redis(options);
  if (!redis.ExecuteSync({"FLUSHALL"}).ok()) {
    fprintf(stderr, "timer_bench: cannot reach redis\n");
    return 1;
  }
  const auto memory_before = static_cast<int64_t>(Info(redis, "memory", "used_memory"));
  const absl::Time load_start = RedisNow(redis);
  const absl::Time first_due = load_start + absl::Seconds(absl::GetFlag(FLAGS_lead_s));
  auto due = [&](int i) {
    return first_due + absl::Milliseconds(window_ms == 0 ? 0 : int64_t{i} * window_ms / n);
  };
  // Loaded in slices so that the client's queue stays bounded.
  for (int from = 0; from < n; from += 20000) {
    int count = std::min(20000, n - from);
    auto ids = testing::CreateDueTickets(
        &redis, count, [&](int i) { return due(from + i); }, absl::StrCat("bench", from),
        /*warnings=*/false);
    if (!ids.ok()) {
      fprintf(stderr, "timer_bench: loading: %s\n", ids.status().ToString().c_str());
      return 1;
    }
  }
  const absl::Time loaded = RedisNow(redis);
  const auto memory_after = static_cast<int64_t>(Info(redis, "memory", "used_memory"));
  if (loaded >= first_due) {
    fprintf(stderr, "timer_bench: loading took %.1f s, longer than --lead_s\n",
            absl::ToDoubleSeconds(loaded - load_start));
    return 1;
  }
  if (absl::GetFlag(FLAGS_script_only)) return ScriptOnly(redis, n, due(n - 1));
  const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_timeout_s));
  while (DueBy(redis, due(n - 1)) != 0 && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<double> late_ms;
  absl::Time last = absl::InfinitePast();
  int64_t escalations = 0;
  for (int s = 0; s < keys::kShardCount; ++s) {
    auto r = redis.ExecuteSync({"XRANGE", keys::Events(s), "-", "+"});
    if (!r.ok()) continue;
    for (const auto& item : r->elements) {
      auto entry = DecodeEventEntry(item);
      if (!entry.ok() || entry->type != "breached") continue;
      const v1::TicketEvent& e = entry->event;
      absl::Time at = FromProto(e.occurred_at());
      late_ms.push_back(absl::ToDoubleMilliseconds(at - FromProto(e.breached().deadline())));
      last = std::max(last, at);
      ++escalations;
    }
  }
  if (escalations != n) {
    fprintf(stderr, "timer_bench: only %lld of %d timers fired within the timeout\n",
            static_cast<long long>(escalations), n);
    return 1;
  }
  std::sort(late_ms.begin(), late_ms.end());
  auto pct = [&](double p) {
    return late_ms[std::min(late_ms.size() - 1, static_cast<size_t>(late_ms.size() * p))];
  };
  printf("ours n=%d window_ms=%d load_s=%.2f bytes_per_ticket=%lld drain_s=%.3f "
         "late_ms_p50=%.1f late_ms_p99=%.1f late_ms_max=%.1f\n",
         n, window_ms, absl::ToDoubleSeconds(loaded - load_start),
         static_cast<long long>((memory_after - memory_before) / n),
         absl::ToDoubleSeconds(last - due(n - 1)), pct(0.5), pct(0.99), late_ms.back());
  return 0;
}
