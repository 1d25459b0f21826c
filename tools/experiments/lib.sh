# Shared by the floor experiments (source after tools/lib/common.sh).
#
# patched_build PATCH TARGET...: builds TARGETs of HEAD with tools/experiments/PATCH applied, in
# a scratch git worktree (this checkout is not touched); sets SCRATCH (the worktree is src/, the
# build build/) and removes it all when the script exits.
patched_build() {
  local patch="$1"; shift
  SCRATCH="$(mktemp -d)"
  trap 'git -C "$ROOT" worktree remove --force "$SCRATCH/src" >/dev/null 2>&1 || true; rm -rf "$SCRATCH"' EXIT
  git -C "$ROOT" worktree add --detach --quiet "$SCRATCH/src" HEAD
  git -C "$SCRATCH/src" apply "$ROOT/tools/experiments/$patch"
  echo "== building the floor variant in $SCRATCH (a few minutes)"
  BUILD_DIR="$SCRATCH/build" bash -c "source '$SCRATCH/src/tools/lib/common.sh'; build $*" >/dev/null
}
