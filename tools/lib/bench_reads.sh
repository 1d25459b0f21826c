#!/usr/bin/env bash
# tools/bench reads [reads_bench flags, e.g. --reps=50]: the read model and archive
# (issue #15). Starts a throwaway redis-server (AOF everysec, unix socket, maxmemory 8gb: half
# the load stays open for good), a throwaway PostgreSQL 15 (unix socket), the development PKI
# and tokens (the 12345 gateway, supervisors of the city and of both counties, the housing
# handler of each community, on duty around the clock).
#   1. load: READS_TICKETS (default 1,000,000) in READS_SEGMENTS (8) segments, each with
#      dispatchd (intake, routing, escalation, projector with the archiver: retention 30 days of
#      service time, stream_keep 5 minutes, a pass every 10 s) on a clock running
#      READS_SEGMENT_SCALE (100) times real time, READS_JUMP_DAYS (14) of service time apart, so
#      that the load spans months; `reads_bench load` (tools/dispatch_bench/reads_bench_main.cc).
#   2. dispatchd restarts at about real speed from the service time reached, with a second one
#      without the read model (today's reads: Redis scans); `reads_bench measure`. Last line:
#   reads tickets=N list_county_p99_ms=A list_rare_p99_ms=B list_page20_p99_ms=C
#   breaches_month_p99_ms=D history_p99_ms=E projector_lag_p99_ms=F
#   redis_bytes_per_archived_ticket=G watchers=W watch_e2e_p99_ms=H
# READS_SAVE=DIR keeps a copy of what the load left (Redis, PostgreSQL, the PKI, the PII key and
# the service time reached) in DIR; READS_FROM=DIR starts from such a copy instead of loading
# (the copy is not changed): the measurements of a change without the hour of a 1,000,000-ticket
# load. The copy must come from a build with the same Redis layout; a newer schema is applied
# when dispatchd starts, and READS_UPGRADE=1 READS_FROM=DIR does only that (and folds the
# statistics facts a new migration queued), saving the copy in place, so that the measurements
# that follow do not run beside a one-time backfill. READS_PROJECTOR_BATCH=N sets dispatchd's
# read_model.projector_batch (entries a transaction; default 500).
source "$(dirname "$0")/common.sh"
ensure_deps
build dispatchd dispatchctl reads_bench

TMP="$(mktemp -d)"
chmod 755 "$TMP"  # PostgreSQL runs as the postgres user
cleanup() {
  for p in ${DPID:-} ${RPID2:-}; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  redis-cli -s "$TMP/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  pg_stop "$TMP/pg"
  rm -rf "$TMP"
}
trap cleanup EXIT

FROM="${READS_FROM:-}"
if [ -n "$FROM" ]; then
  [ -f "$FROM/service_time_us" ] || { echo "READS_FROM=$FROM holds no saved load" >&2; exit 2; }
  echo "== starting from the load saved in $FROM"
  cp -a "$FROM/." "$TMP/"
fi
start_stores() {
  redis-server "$ROOT/deploy/redis.conf" --dir "$TMP" --unixsocket "$TMP/redis.sock" \
    --logfile "$TMP/redis.log" --pidfile "$TMP/redis.pid" --daemonize yes --appendonly yes \
    --appendfsync everysec --maxmemory 8gb ${BENCH_REDIS_ARGS:-}
  # A saved load of a million tickets takes a while to read back.
  for _ in $(seq 1 3000); do
    [ "$(redis-cli -s "$TMP/redis.sock" ping 2>/dev/null)" = PONG ] && break; sleep 0.1
  done
  RPID="$(cat "$TMP/redis.pid")"
  mkdir -p "$TMP/pg"
  pg_start "$TMP/pg"
}
start_stores
CONNINFO="host=$TMP/pg dbname=dispatch user=postgres"

CTL="$BUILD_DIR/tools/dispatchctl"
[ -n "$FROM" ] || "$CTL" dev-pki --pki="$TMP/pki" --unit=430900 >/dev/null
mkdir -p "$TMP/tokens"
"$CTL" token --pki="$TMP/pki" --subject=bench-gateway --unit=430900 --roles=gateway \
  --channels=CHANNEL_HOTLINE_12345 --ttl_h=12 >"$TMP/tokens/gateway.token"
for unit in 430900 430923 430902; do
  "$CTL" token --pki="$TMP/pki" --subject="sup-$unit" --unit="$unit" --roles=supervisor \
    --ttl_h=12 >"$TMP/tokens/sup-$unit.token"
done
# The housing handler of each community (deploy/org.textproto).
for pair in 430923100001:h-cd-wgy 430923100002:h-cx-wgy 430923101001:h-qa-wgy \
  430902001001:h-df-wgy 430902001002:h-js-wgy 430902002001:h-cc-wgy; do
  "$CTL" token --pki="$TMP/pki" --subject="${pair#*:}" --unit="${pair%%:*}" --roles=handler \
    --ttl_h=12 >"$TMP/tokens/unit-${pair%%:*}.token"
done
[ -n "$FROM" ] || head -c 48 /dev/urandom >"$TMP/pii.key"
cat >"$TMP/read_model.textproto" <<EOF
read_model {
  conninfo: "$CONNINFO"
  ${READS_PROJECTOR_BATCH:+projector_batch: $READS_PROJECTOR_BATCH}
  stream_keep { seconds: 300 }
  archive_interval { seconds: 10 }
  pii_key_file: "$TMP/pii.key"
}
EOF

# Starts a dispatchd (log $1, more flags after); sets PID and PORT.
start_dispatchd() {
  local log="$1"; shift
  "$BUILD_DIR/services/dispatchd" --listen=127.0.0.1:0 --redis="unix://$TMP/redis.sock" \
    --dev_pki="$TMP/pki" --time_scale="$SCALE" "$@" >"$log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do grep -q "(port " "$log" && break; sleep 0.1; done
  PORT="$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log")"
  [ -n "$PORT" ] || { cat "$log"; exit 1; }
}
# The bench chooses each ticket's fate, not the duty roster: the community officers are on duty
# around the clock.
sed '/id: "h-[a-z]*-wgy"/{n;s/shifts {[^}]*} }/on_duty_around_the_clock: true }/}' \
  "$ROOT/deploy/org.textproto" >"$TMP/org.textproto"
ORG="$TMP/org.textproto"
echo "== $(redis-server --version | cut -d' ' -f1-3), $("$PG_BIN/postgres" --version); $(nproc) cores"
cpu_s() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$1/stat" 2>/dev/null || echo gone; }
common=(--ca="$TMP/pki/ca.pem" --tokens="$TMP/tokens" --pg="$CONNINFO" --redis="unix://$TMP/redis.sock"
  --stream_keep_s=300 --archive_interval_s=10)
# set_clock SCALE JUMP_S [SERVICE_US]: the service time from now on runs SCALE times real time,
# starting JUMP_S seconds after the service time reached (or at SERVICE_US, microseconds since
# 1970), through the shared epoch ({time}:epoch, common/redis_clock.h; dispatchd reads it when it
# starts, so it must be stopped). service_time_us prints the service time reached.
set_clock() {
  python3 - "$TMP/redis.sock" "$1" "$2" "$SCALE" "${3:-}" <<'PY'
import subprocess, sys
sock, scale, jump, old = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
cli = lambda *a: subprocess.check_output(["redis-cli", "-s", sock, *a], text=True).split()
sec, usec = cli("TIME")
now = int(sec) * 10**6 + int(usec)
got = cli("GET", "{time}:epoch")
epoch = int(got[0]) if got else now
service = epoch + (now - epoch) * old + jump * 1e6
if sys.argv[5]:
    service = int(sys.argv[5])
if scale == 0:
    print(int(service))
    sys.exit(0)
cli("SET", "{time}:epoch", str(int((now * scale - service) / (scale - 1))))
print("== service time now %.1f days ahead of real time, running x%g" % ((service - now) / 864e8, scale))
PY
}
# The load: segments of READS_TICKETS / READS_SEGMENTS tickets at READS_SEGMENT_SCALE times real
# time (handlers act within seconds of service time), READS_JUMP_DAYS of service time apart: the
# tickets spread over months, the old ones closed past the retention and archived meanwhile, and
# every jump lets the clocks of the tickets nobody acted on fire (they breach and climb the
# tiers).
service_time_us() { set_clock 0 0; }
TOTAL="${READS_TICKETS:-1000000}" SEGMENTS="${READS_SEGMENTS:-8}"
[ -z "$FROM" ] || SEGMENTS=0
SCALE=1
for seg in $(seq 0 $((SEGMENTS - 1))); do
  if [ "$seg" -gt 0 ]; then set_clock "${READS_SEGMENT_SCALE:-100}" $(( ${READS_JUMP_DAYS:-14} * 86400 )); fi
  SCALE="${READS_SEGMENT_SCALE:-100}"
  start_dispatchd "$TMP/dispatchd.out" --org="$ORG" --config="$TMP/read_model.textproto" \
    --services=intake,routing,escalation,projector
  DPID=$PID DPORT=$PORT
  c0_r=$(cpu_s "$RPID")
  set +e
  "$BUILD_DIR/tools/reads_bench" load --target="127.0.0.1:$DPORT" "${common[@]}" "$@" \
    --first=$(( seg * TOTAL / SEGMENTS )) --tickets=$(( (seg + 1) * TOTAL / SEGMENTS - seg * TOTAL / SEGMENTS ))
  rc=$?
  set -e
  echo "cpu_s of segment $seg: dispatchd=$(cpu_s "$DPID") redis-server=$(awk -v a="$(cpu_s "$RPID")" -v b="$c0_r" "BEGIN{print a - b}")"
  kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true
  DPID=
  [ $rc -eq 0 ] || exit $rc
done
# The measurements run at (about) real speed from the service time reached: a submission at
# 2,000/s then costs what it costs live, not its clocks' firing compressed.
SLOW=1.00001
if [ -n "$FROM" ]; then
  SCALE=1 set_clock "$SLOW" 0 "$(cat "$TMP/service_time_us")"
else
  if [ -n "${READS_SAVE:-}" ]; then
    service_time_us >"$TMP/service_time_us"
    redis-cli -s "$TMP/redis.sock" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 600); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
    pg_stop "$TMP/pg"
    mkdir -p "$READS_SAVE"
    rm -rf "$READS_SAVE" && mkdir -p "$READS_SAVE" && cp -a "$TMP/." "$READS_SAVE/"
    rm -f "$READS_SAVE"/*.sock "$READS_SAVE/redis.pid"
    echo "== the load is saved in $READS_SAVE ($(du -sh "$READS_SAVE" | cut -f1))"
    start_stores
    # The service time stood still while the copy was made.
    set_clock "$SLOW" 0 "$(cat "$TMP/service_time_us")"
  else
    set_clock "$SLOW" 0
  fi
fi
SCALE=$SLOW
start_dispatchd "$TMP/dispatchd.out" --org="$ORG" --config="$TMP/read_model.textproto" \
  --services=intake,routing,escalation,projector
DPID=$PID DPORT=$PORT
if [ -n "$FROM" ] && [ "${READS_UPGRADE:-}" = 1 ]; then
  # The saved load brought up to this build: migrations applied, the projection caught up and
  # every queued ticket's statistics facts folded; then saved in place (nothing is measured).
  PSQL=(pg_as "$PG_BIN/psql" -h "$TMP/pg" -U postgres -d dispatch -tAc)
  since="$("${PSQL[@]}" "SELECT now()")"
  # A migration's queue rows carry its transaction's time, which is its schema_migrations time
  # (it may run after "since": the projector applies the migrations in the background).
  until [ "$("${PSQL[@]}" "SELECT count(*) FROM projector_progress WHERE updated_at > '$since'" 2>/dev/null)" = 1 ] &&
    [ "$("${PSQL[@]}" "SELECT count(*) FROM fact_queue WHERE queued_at <= greatest('$since'::timestamptz, (SELECT max(applied_at) FROM schema_migrations))" 2>/dev/null)" = 0 ]; do
    sleep 5
  done
  kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true
  DPID=
  service_time_us >"$TMP/service_time_us"
  redis-cli -s "$TMP/redis.sock" shutdown >/dev/null 2>&1 || true
  for _ in $(seq 1 600); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
  pg_stop "$TMP/pg"
  rm -rf "$FROM" && mkdir -p "$FROM" && cp -a "$TMP/." "$FROM/"
  rm -f "$FROM"/*.sock "$FROM/redis.pid" "$FROM"/dispatchd*.out
  echo "== the load in $FROM is upgraded to this build ($(du -sh "$FROM" | cut -f1))"
  exit 0
fi
# Today's reads, without its own timer worker: one engine (the other dispatchd's) fires the
# clocks, as it would in a deployment, and the reads of the read model are not timed beside two.
echo 'escalation { worker_disabled: true }' >"$TMP/redis_only.textproto"
start_dispatchd "$TMP/dispatchd-redis.out" --org="$ORG" --config="$TMP/redis_only.textproto" \
  --services=intake,escalation
RPID2=$PID RPORT=$PORT
cpu0_d=$(cpu_s "$DPID") cpu0_r=$(cpu_s "$RPID")
set +e
"$BUILD_DIR/tools/reads_bench" measure --target="127.0.0.1:$DPORT" --redis_target="127.0.0.1:$RPORT" \
  "${common[@]}" --redis_only_pid="$RPID2" --cpu_pids="dispatchd=$DPID,redis=$RPID,postgres=$(head -1 "$TMP/pg/data/postmaster.pid")" "$@"
rc=$?
set -e
echo "cpu_s of the measurements: dispatchd=$(cpu_s "$DPID") (read model) dispatchd=$(cpu_s "$RPID2") (redis only) redis-server=$(cpu_s "$RPID") (from $cpu0_r)"
echo "postgresql: $(pg_as "$PG_BIN/psql" -h "$TMP/pg" -U postgres -d dispatch -tAc "SELECT pg_size_pretty(pg_database_size('dispatch'))")"
# The projector's passes that held new events back a second or more, and where their time went.
slow="$(grep -c '"a slow pass"' "$TMP/dispatchd.out" || true)"
echo "projector slow passes (a second or more) during the measurements: ${slow:-0}"
grep '"a slow pass"' "$TMP/dispatchd.out" | tail -30 || true
{ grep -hE "error|ERROR" "$TMP"/dispatchd*.out || true; } | sort | uniq -c | sort -rn | head -5
exit $rc
