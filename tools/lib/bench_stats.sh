#!/usr/bin/env bash
# tools/bench stats [stats_bench flags]: the supervision outputs at a year of tickets (issue
# #16). Starts a throwaway redis-server and PostgreSQL 15 (unix sockets, deploy/postgresql.conf),
# the development PKI and a supervisor's token at the city, and dispatchd serving only
# StatisticsService from that read model; stats_bench (tools/dispatch_bench/stats_bench_main.cc)
# writes 1,000,000 ticket histories over 12 months into the read model, folds their facts,
# recomputes a month and times the reads through the API. Last line:
#   stats tickets=N scorecard_p99_ms=A rankings_p99_ms=B company_p99_ms=C recompute_month_s=D
source "$(dirname "$0")/common.sh"
ensure_deps
build dispatchd dispatchctl stats_bench

TMP="$(mktemp -d)"
chmod 755 "$TMP"  # PostgreSQL runs as the postgres user
cleanup() {
  [ -z "${DPID:-}" ] || { kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true; }
  redis-cli -s "$TMP/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  pg_stop "$TMP/pg"
  rm -rf "$TMP"
}
trap cleanup EXIT
redis-server "$ROOT/deploy/redis.conf" --dir "$TMP" --unixsocket "$TMP/redis.sock" \
  --logfile "$TMP/redis.log" --daemonize yes --appendonly no
for _ in $(seq 1 100); do [ "$(redis-cli -s "$TMP/redis.sock" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
pg_start "$TMP/pg"
CONNINFO="host=$TMP/pg dbname=dispatch user=postgres"
CTL="$BUILD_DIR/tools/dispatchctl"
"$CTL" dev-pki --pki="$TMP/pki" --unit=430900 >/dev/null
"$CTL" token --pki="$TMP/pki" --subject=bench-sup --unit=430900 --roles=supervisor --ttl_h=12 >"$TMP/sup.token"
cat >"$TMP/statistics.textproto" <<CONF
read_model { conninfo: "$CONNINFO" }
CONF
"$BUILD_DIR/services/dispatchd" --listen=127.0.0.1:0 --redis="unix://$TMP/redis.sock" \
  --dev_pki="$TMP/pki" --org="$ROOT/deploy/org.textproto" --config="$TMP/statistics.textproto" \
  --services=statistics >"$TMP/dispatchd.out" 2>&1 &
DPID=$!
for _ in $(seq 1 200); do grep -q "(port " "$TMP/dispatchd.out" && break; sleep 0.1; done
PORT="$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/dispatchd.out")"
[ -n "$PORT" ] || { cat "$TMP/dispatchd.out"; exit 1; }
echo "== $("$PG_BIN/postgres" --version); $(nproc) cores"
set +e
"$BUILD_DIR/tools/stats_bench" --pg="$CONNINFO" --target="127.0.0.1:$PORT" --ca="$TMP/pki/ca.pem" \
  --token_file="$TMP/sup.token" --org="$ROOT/deploy/org.textproto" "$@"
rc=$?
set -e
echo "postgresql: $(pg_as "$PG_BIN/psql" -h "$TMP/pg" -U postgres -d dispatch -tAc "SELECT pg_size_pretty(pg_database_size('dispatch'))")"
exit $rc
