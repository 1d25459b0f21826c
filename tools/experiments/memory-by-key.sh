#!/usr/bin/env bash
# Where the memory of an open ticket goes (issue #4, ≤ 1 KB a ticket), key kind by key kind.
#
# Starts a throwaway redis-server with deploy/redis.conf (AOF off: memory only), loads N tickets
# the way tools/bench timers does (timer_bench, the sample hotline complaint, routed, due in
# 10 minutes), prints used_memory per ticket, then deletes each kind of key in every shard and
# prints what that freed per ticket. Exact, where MEMORY USAGE samples.
# Usage: tools/experiments/memory-by-key.sh [N (default 100000)] [redis-server options...]
#   e.g. tools/experiments/memory-by-key.sh 100000 --zset-max-listpack-entries 512
source "$(dirname "$0")/../lib/common.sh"
n="${1:-100000}"; shift || true
ensure_deps
ensure_packages python3
build timer_bench
TMP="$(mktemp -d)"; port=""
cleanup() {
  [ -n "$port" ] && redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server "$ROOT/deploy/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$TMP" \
  --logfile "$TMP/redis.log" --daemonize yes --appendonly no "$@"
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
mem() { redis-cli -p "$port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
m0="$(mem)"
"$BUILD_DIR/tools/timer_bench" --redis="tcp://127.0.0.1:$port" --n="$n" --window_ms=0 \
  --timeout_s=0 --lead_s=600 >/dev/null 2>&1 || true  # nothing fires: the load is what counts
m1="$(mem)"
echo "n=$n used_memory_per_ticket=$(( (m1 - m0) / n )) zset-max-listpack-entries=$(redis-cli -p "$port" config get zset-max-listpack-entries | tail -1)"
# Deletes one kind of key in all 256 shards: a fixed key (':events') or a pattern (':t:*').
del_kind='local n = 0
for s = 0, 255 do
  local tag = string.format("{s:%03d}", s)
  local ks = {tag .. ARGV[1]}
  if string.find(ARGV[1], "*", 1, true) then ks = redis.call("KEYS", tag .. ARGV[1]) end
  for _, k in ipairs(ks) do n = n + redis.call("DEL", k) end
end
return n'
for kind in ':events' ':timers' ':idx:acc' ':idem:*' ':t:*'; do
  before="$(mem)"
  redis-cli -p "$port" eval "$del_kind" 0 "$kind" >/dev/null
  echo "  {s}$kind $(( (before - $(mem)) / n ))"
done
echo "  left $(( ($(mem) - m0) / n ))"
