#!/usr/bin/env bash
# tools/bench timers [N] and tools/bench fire-script [N]: see tools/bench. timers: ours and
# BullMQ on the same redis-server, in one run. fire-script: three engine passes, no BullMQ.
source "$(dirname "$0")/common.sh"
N="${1:-100000}"
ensure_deps
build dispatchd timer_bench dispatchctl
PEER="$ROOT/../shared/bench/peer-bullmq"
if [ -z "${SCRIPT_ONLY:-}" ]; then
  { command -v node && command -v npm; } >/dev/null || ensure_packages nodejs npm
  [ -f "$PEER/run.sh" ] || { echo "bench timers: the BullMQ peer is missing at $PEER"; exit 1; }
fi

TMP="$(mktemp -d)"
DPIDS=()
stop_engines() {
  for p in "${DPIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  DPIDS=()
}
cleanup() {
  stop_engines
  [ -n "${PORT:-}" ] && redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  PORT=$((20000 + RANDOM % 20000))
  redis-cli -p "$PORT" ping >/dev/null 2>&1 || break
done
redis-server "$ROOT/deploy/redis.conf" --port "$PORT" --bind 127.0.0.1 --dir "$TMP" \
  --logfile "$TMP/redis.log" --daemonize yes --appendonly yes --appendfsync everysec ${BENCH_REDIS_ARGS:-}
for _ in $(seq 1 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "== $(redis-server --version | cut -d' ' -f1-3) on port $PORT, appendonly=yes appendfsync=everysec; $(nproc) cores; N=$N"

if [ -n "${SCRIPT_ONLY:-}" ]; then  # tools/bench fire-script
  for _ in 1 2 3; do
    "$BUILD_DIR/tools/timer_bench" --redis="tcp://127.0.0.1:$PORT" --n="$N" --window_ms=0 \
      --lead_s=600 --script_only
  done
  exit 0
fi

"$BUILD_DIR/tools/dispatchctl" dev-pki --pki="$TMP/pki" --unit=430900 >/dev/null  # TLS for its listener
for w in $(seq 1 "${TIMER_WORKERS:-1}"); do
  "$BUILD_DIR/services/dispatchd" --listen=127.0.0.1:0 --redis="tcp://127.0.0.1:$PORT" \
    --services=escalation --org="$ROOT/deploy/org.textproto" --dev_pki="$TMP/pki" \
    >"$TMP/dispatchd-$w.out" 2>&1 &
  DPIDS+=($!)
done
ours_burst="$("$BUILD_DIR/tools/timer_bench" --redis="tcp://127.0.0.1:$PORT" --n="$N" --window_ms=0)"
echo "burst  $ours_burst"
ours_steady="$("$BUILD_DIR/tools/timer_bench" --redis="tcp://127.0.0.1:$PORT" --n="$N" --window_ms=10000)"
echo "steady $ours_steady"
stop_engines
echo "redis: $(redis-cli -p "$PORT" info persistence | tr -d '\r' | grep -E '^aof_rewrites:') $(redis-cli -p "$PORT" info memory | tr -d '\r' | grep -E '^used_memory_human:')"

peer_burst="$(RPORT="$PORT" bash "$PEER/run.sh" "$N" 1 100)"
echo "burst  $peer_burst"
peer_steady="$(RPORT="$PORT" bash "$PEER/run.sh" "$N" 10000 100)"
echo "steady $peer_steady"

field() { sed -n "s/.*$1=\([-0-9.]*\).*/\1/p" <<<"$2"; }
json() { sed -n "s/.*\"$1\":\([-0-9.]*\).*/\1/p" <<<"$2"; }
burst_drain="$(field drain_s "$ours_burst")"
peer_drain="$(awk -v ms="$(json drain_after_last_due_ms "$peer_burst")" 'BEGIN { printf "%.3f", ms / 1000 }')"
speedup="$(awk -v a="$burst_drain" -v b="$peer_drain" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 0) }')"
echo "timers burst_drain_s=$burst_drain bullmq_burst_drain_s=$peer_drain speedup=$speedup" \
  "steady_p99_ms=$(field late_ms_p99 "$ours_steady")" \
  "bullmq_steady_p99_ms=$(json late_ms_p99 "$peer_steady")" \
  "bytes_per_ticket=$(field bytes_per_ticket "$ours_burst")"
