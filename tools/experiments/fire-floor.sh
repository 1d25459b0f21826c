#!/usr/bin/env bash
# What a burst escalation costs Redis at the least, against fire.lua (issue #4).
#
# For each script — the real services/escalation/lua/fire.lua and the three floors in
# fire-floor/ (writes-only, narrow-read, batched-outbox; no escalation rules in any of them) —
# starts a throwaway redis-server (AOF everysec, as tools/bench timers), loads N tickets due at
# one instant with timer_bench, runs one engine pass with fire-floor/harness.py and prints
# Redis's CPU per escalation. ROUNDS passes over the list (default 2), alternating scripts.
# Usage: tools/experiments/fire-floor.sh [N (default 100000)] [ROUNDS]
source "$(dirname "$0")/../lib/common.sh"
n="${1:-100000}"; rounds="${2:-2}"
ensure_deps
ensure_packages python3
build timer_bench
HERE="$ROOT/tools/experiments/fire-floor"
scripts=("$ROOT/services/escalation/lua/fire.lua" "$HERE/writes-only.lua" "$HERE/narrow-read.lua"
         "$HERE/batched-outbox.lua")
port=""; TMP=""
cleanup() {
  [ -n "$port" ] && redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 "$rounds"); do
  for script in "${scripts[@]}"; do
    TMP="$(mktemp -d)"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    redis-server "$ROOT/deploy/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$TMP" \
      --logfile "$TMP/redis.log" --daemonize yes --appendonly yes --appendfsync everysec
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    "$BUILD_DIR/tools/timer_bench" --redis="tcp://127.0.0.1:$port" --n="$n" --window_ms=0 \
      --lead_s=600 --timeout_s=0 >/dev/null 2>&1 || true  # loads, then gives up waiting at once
    now=$(( $(redis-cli -p "$port" time | head -1) * 1000 + 601000 ))
    echo "$(basename "$script" .lua): $(python3 "$HERE/harness.py" "$port" "$script" "$now")"
    cleanup
    port=""; TMP=""
  done
done
