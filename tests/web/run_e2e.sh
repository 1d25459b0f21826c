#!/usr/bin/env bash
# The dashboard's browser test against the real service (ctest web_e2e): starts its own
# redis-server (unix socket) and PostgreSQL (unix socket) in a temp directory, and dispatchd with
# every service, the projector, the HTTP gateway serving the built dashboard, and service time
# running 600x (the 30-minute assign clock breaches 3 s after acceptance); mints a supervisor's
# and a gateway's token from a throwaway development PKI; runs tests/web/e2e.test.mjs under
# `node --test` in Debian's headless Chromium; removes everything afterwards.
# Usage: run_e2e.sh DISPATCHD DISPATCHCTL WEB_DIR SCREENSHOT_DIR
set -euo pipefail
DISPATCHD="$1" DISPATCHCTL="$2" WEB_DIR="$3" SHOTS="$4"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../tools/lib/common.sh"
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium is missing (tools/test installs it)"; exit 77; }
TMP="$(mktemp -d /tmp/dispatch-e2e-XXXXXX)"
chmod 755 "$TMP"
cleanup() {
  [ -n "${DISPATCHD_PID:-}" ] && kill -TERM "$DISPATCHD_PID" 2>/dev/null && wait "$DISPATCHD_PID" 2>/dev/null
  redis-cli -s "$TMP/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  pg_stop "$TMP/pg"
  rm -rf "$TMP"
}
trap cleanup EXIT
redis-server --port 0 --unixsocket "$TMP/redis.sock" --save '' --appendonly no \
  --dir "$TMP" --logfile "$TMP/redis.log" --daemonize yes
for _ in $(seq 1 100); do redis-cli -s "$TMP/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
pg_start "$TMP/pg"
head -c 48 /dev/urandom | base64 -w0 > "$TMP/pii.key"
"$DISPATCHCTL" --pki="$TMP/pki" dev-pki --unit=430900 >/dev/null
"$DISPATCHD" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --http_plaintext_on_loopback \
  --web_root="$WEB_DIR/dist" --redis="unix://$TMP/redis.sock" \
  --org="$ROOT/deploy/org.textproto" --calendar_dir="$ROOT/deploy/calendar" \
  --dev_pki="$TMP/pki" --time_scale=600 \
  --services=intake,routing,escalation,projector,statistics \
  --read_model="host=$TMP/pg dbname=dispatch user=postgres" --pii_key_file="$TMP/pii.key" \
  >"$TMP/dispatchd.out" 2>"$TMP/dispatchd.err" &
DISPATCHD_PID=$!
for _ in $(seq 1 200); do grep -q "(http port " "$TMP/dispatchd.out" && break; sleep 0.1; done
HTTP_PORT="$(sed -n 's/.*(http port \([0-9]*\)).*/\1/p' "$TMP/dispatchd.out")"
[ -n "$HTTP_PORT" ] || { cat "$TMP/dispatchd.err"; echo "dispatchd did not start"; exit 1; }
mint() { "$DISPATCHCTL" --pki="$TMP/pki" token "$@"; }
export DISPATCH_HTTP_URL="http://127.0.0.1:$HTTP_PORT"
export DISPATCH_SUPERVISOR_TOKEN="$(mint --subject=duty-1 --unit=430923 --roles=supervisor)"
export DISPATCH_GATEWAY_TOKEN="$(mint --subject=gw-12345 --roles=gateway --channels=CHANNEL_HOTLINE_12345)"
export DISPATCH_SCREENSHOT_DIR="$SHOTS" DISPATCH_WEB_DIR="$WEB_DIR"
mkdir -p "$SHOTS"
rc=0
node --test --test-reporter=tap "$HERE/e2e.test.mjs" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "--- dispatchd stderr (last 40 lines)"; tail -40 "$TMP/dispatchd.err"
fi
exit "$rc"
