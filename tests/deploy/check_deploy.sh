#!/usr/bin/env bash
# Checks the deploy files of issue #17 (deploy/prometheus, deploy/grafana, deploy/systemd).
# Run by ctest (deploy/CMakeLists.txt), or by hand:
#
#   tests/deploy/check_deploy.sh [all|prometheus|grafana|systemd] [DEPLOY_DIR]
#
#   prometheus  promtool check rules, promtool test rules (dispatch.rules.test.yml),
#               promtool check config (prometheus.yml)
#   grafana     tests/deploy/check_deploy_files.js (node): dispatch.json parses, its data source
#               is the provisioned one, every metric name in a panel or alert expr is in the
#               metric contract or the redis exporter's, every alert has a firing and a quiet
#               test; then promtool parses every panel expression
#   systemd     the hardening keys are present; systemd-analyze verify and
#               systemd-analyze security --offline when systemd-analyze works here
#
# Needs Debian's `prometheus` (promtool) and `nodejs`. Exits 77 (ctest: skipped) when promtool
# is missing and the part needs it; any other failure exits 1.
set -euo pipefail

PART="${1:-all}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPLOY="$(cd "${2:-$ROOT/deploy}" && pwd)"
HERE="$ROOT/tests/deploy"
case "$PART" in all | prometheus | grafana | systemd) ;; *)
  echo "usage: $0 [all|prometheus|grafana|systemd] [DEPLOY_DIR]" >&2
  exit 2
  ;;
esac

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }
wants() { [ "$PART" = all ] || [ "$PART" = "$1" ]; }

PROMTOOL="${PROMTOOL:-$(command -v promtool || true)}"
if [ -z "$PROMTOOL" ] && [ "$PART" != systemd ]; then
  echo "SKIP: promtool not found. It is in Debian 12's 'prometheus' package" \
    "(apt-get install --no-install-recommends prometheus); the alert rule tests need it."
  exit 77
fi

if wants prometheus; then
  step "promtool check rules (lint fatal)"
  "$PROMTOOL" check rules --lint=all --lint-fatal "$DEPLOY/prometheus/dispatch.rules.yml"
  step "promtool test rules"
  "$PROMTOOL" test rules "$DEPLOY/prometheus/dispatch.rules.test.yml"
  step "promtool check config"
  "$PROMTOOL" check config "$DEPLOY/prometheus/prometheus.yml"
fi

if wants grafana; then
  NODE="$(command -v node || command -v nodejs || true)"
  [ -n "$NODE" ] || fail "node not found (Debian package nodejs)"
  step "dashboard, provisioning and metric names ($NODE $("$NODE" --version))"
  "$NODE" "$HERE/check_deploy_files.js" "$DEPLOY" --dump-promql "$TMP/dashboard.rules.json"
  step "promtool parses every dashboard expression"
  "$PROMTOOL" check rules "$TMP/dashboard.rules.json"
fi

if wants systemd; then
  UNIT="$DEPLOY/systemd/dispatchd.service"
  step "systemd unit: required settings"
  # key=value lines that must be there exactly (an empty CapabilityBoundingSet= drops them all).
  required=(
    "ExecStart=/usr/local/bin/dispatchd --config=/etc/dispatchd/dispatchd.textproto"
    "User=dispatchd" "Restart=on-failure"
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes"
    "PrivateDevices=yes" "ProtectKernelTunables=yes" "ProtectKernelModules=yes"
    "ProtectKernelLogs=yes" "ProtectControlGroups=yes" "ProtectClock=yes" "ProtectHostname=yes"
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "RestrictNamespaces=yes"
    "RestrictRealtime=yes" "RestrictSUIDSGID=yes" "LockPersonality=yes"
    "MemoryDenyWriteExecute=yes" "SystemCallFilter=@system-service"
    "SystemCallArchitectures=native" "CapabilityBoundingSet="
    "StateDirectory=dispatchd" "LogsDirectory=dispatchd" "ConfigurationDirectory=dispatchd"
  )
  for line in "${required[@]}"; do
    grep -qxF -- "$line" "$UNIT" || fail "$UNIT: no line '$line'"
  done
  for dep in redis-server.service postgresql.service network-online.target; do
    grep -Eq "^After=.*\\b$dep\\b" "$UNIT" || fail "$UNIT: not After=$dep"
    grep -Eq "^Wants=.*\\b$dep\\b" "$UNIT" || fail "$UNIT: not Wants=$dep"
  done
  # TimeoutStopSec must cover dispatchd's shutdown grace (--shutdown_grace_s, 10 s) with room.
  stop="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$UNIT")"
  if [ -z "$stop" ] || [ "$stop" -lt 20 ]; then
    fail "$UNIT: TimeoutStopSec missing or under 20 s"
  fi
  # Nothing writable beyond the service's own directories unless stated here.
  if grep -q '^ReadWritePaths=' "$UNIT"; then
    fail "$UNIT: ReadWritePaths= is not needed (StateDirectory/LogsDirectory are writable)"
  fi
  echo "ok: ${#required[@]} settings present"

  ANALYZE="$(command -v systemd-analyze || true)"
  if [ -z "$ANALYZE" ]; then
    echo "NOTE: systemd-analyze not found: systemd-analyze verify skipped (settings checked above)"
  else
    # Is it usable here (a container may lack what it needs)? Verify a unit that is surely fine.
    mkdir "$TMP/probe" "$TMP/unit"
    printf '[Unit]\nDescription=probe\n[Service]\nExecStart=%s\n' "$(command -v true)" \
      >"$TMP/probe/probe.service"
    if ! probe_out="$("$ANALYZE" verify "$TMP/probe/probe.service" 2>&1)" ||
      [ -n "$probe_out" ]; then
      echo "NOTE: systemd-analyze verify does not work here, skipped:"
      printf '  %s\n' "$probe_out"
    else
      # verify checks that ExecStart's binary exists: where dispatchd is not installed, verify
      # a copy that runs /bin/true instead.
      cp "$UNIT" "$TMP/unit/dispatchd.service"
      if [ ! -x /usr/local/bin/dispatchd ]; then
        sed -i "s|^ExecStart=/usr/local/bin/dispatchd |ExecStart=$(command -v true) |" \
          "$TMP/unit/dispatchd.service"
        echo "(dispatchd is not installed in /usr/local/bin: verifying with ExecStart=true)"
      fi
      step "systemd-analyze verify"
      # It answers 0 for unknown keys and unparsable values and only prints them: any line
      # about the unit fails the check.
      out="$("$ANALYZE" verify "$TMP/unit/dispatchd.service" 2>&1)" ||
        fail "systemd-analyze verify: $out"
      if grep -q 'dispatchd' <<<"$out"; then fail "systemd-analyze verify: $out"; fi
      if [ -n "$out" ]; then printf '  (about other units) %s\n' "$out"; fi
      echo "ok"
      step "systemd-analyze security --offline=yes --threshold=20 (exposure at most 2.0)"
      if "$ANALYZE" security --help 2>/dev/null | grep -q -- '--offline'; then
        "$ANALYZE" security --offline=yes --threshold=20 --no-pager "$TMP/unit/dispatchd.service" \
          >"$TMP/security.txt" 2>&1 || {
          cat "$TMP/security.txt"
          fail "systemd-analyze security: exposure above 2.0"
        }
        tail -n 1 "$TMP/security.txt"
      else
        echo "NOTE: this systemd-analyze has no security --offline (systemd < 250): skipped"
      fi
    fi
  fi
fi

echo "PASS: deploy files ($PART)"
