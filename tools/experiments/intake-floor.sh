#!/usr/bin/env bash
# The least a SubmitComplaint can cost dispatchd, measured against the real one (issue #2).
#
# Builds dispatchd with intake_floor.patch in a scratch git worktree of HEAD, then runs
# `tools/bench intake` ROUNDS times (default 3) each way, alternating:
#   real  — this checkout's dispatchd;
#   floor — the patched one with DISPATCH_EXPERIMENT_INTAKE_FLOOR=1: after one real submission,
#           every call replays that submission's Redis script arguments (new ticket id, work-order
#           key and shard; Redis does a real submission's work) and answers with a prebuilt
#           response, skipping validation and all composition and encoding.
# Prints each run's summary line. Usage: tools/experiments/intake-floor.sh [ROUNDS]
source "$(dirname "$0")/../lib/common.sh"
rounds="${1:-3}"
ensure_deps
build dispatchd dispatch_bench
source "$ROOT/tools/experiments/lib.sh"
patched_build intake_floor.patch dispatchd dispatch_bench
for i in $(seq 1 "$rounds"); do
  "$ROOT/tools/bench" intake 2>&1 | grep -E "^round . intake|ratio=" | sed "s/^/real  /"
  DISPATCH_EXPERIMENT_INTAKE_FLOOR=1 BUILD_DIR="$SCRATCH/build" "$SCRATCH/src/tools/bench" intake 2>&1 | grep -E "^round . intake|ratio=" | sed "s/^/floor /"
done
