#!/usr/bin/env bash
# The least a projection can cost at 2,000 submissions/s, measured against the real projector
# (issue #15, goal F: projector_lag_p99_ms <= 1000 at 2,000 submissions/s).
#
# Builds dispatchd with projector_floor.patch in a scratch git worktree of HEAD, then runs the
# reads bench's lag phase ROUNDS times (default 2) each way, alternating, from a saved load
# (READS_FROM, default /work/reads-200k; see tools/lib/bench_reads.sh):
#   real  — this checkout's dispatchd;
#   floor — the patched one with DISPATCH_EXPERIMENT_PROJECTOR_FLOOR=1: for each batch it writes
#           one bare `tickets` row a new ticket (what the lag probe looks for) and nothing else:
#           no ticket snapshot from Redis, no events, ledgers, unit memberships or facts.
# Everything else (intake, routing, the clocks, Redis, the bench client) runs as in the real
# one. If the floor misses the goal, no projector can meet it on this machine.
# Prints each run's lag line. Usage: tools/experiments/projector-floor.sh [ROUNDS]
source "$(dirname "$0")/../lib/common.sh"
rounds="${1:-2}"
ensure_deps
build dispatchd dispatchctl reads_bench
source "$ROOT/tools/experiments/lib.sh"
patched_build projector_floor.patch dispatchd dispatchctl reads_bench
export READS_FROM="${READS_FROM:-/work/reads-200k}"
flags=(--lag_rates=2000 --reps=5 --warmup=2 --redis_reps=1 --idle_seconds=0 --watch_seconds=1
  --watch_quiet_s=0 --watchers=1 --watch_batch=1 --stream_keep_s=0 --archive_interval_s=0)
for i in $(seq 1 "$rounds"); do
  "$ROOT/tools/bench" reads "${flags[@]}" 2>&1 | grep -E "^lag phase 2000/s(:| background)" | sed "s/^/real  /"
  DISPATCH_EXPERIMENT_PROJECTOR_FLOOR=1 BUILD_DIR="$SCRATCH/build" "$SCRATCH/src/tools/bench" reads "${flags[@]}" 2>&1 | grep -E "^lag phase 2000/s(:| background)" | sed "s/^/floor /"
done
