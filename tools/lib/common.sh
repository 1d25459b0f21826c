# Shared by tools/run, tools/test and tools/bench. Source it; do not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

# Debian 12 packages the project needs to build, run and test.
DISPATCH_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libhiredis-dev libjemalloc-dev redis-server redis-tools tzdata
  libgtest-dev libgmock-dev
  postgresql-15 libpq-dev
  prometheus-cpp-dev libcpp-httplib-dev prometheus golang-github-gogo-googleapis-dev
  chromium fonts-noto-cjk
)
# The dashboard (web/) is built with Node.js and npm: Debian's, unless the machine already has
# a node with its npm (NodeSource's nodejs ships npm; Debian's npm package would conflict).
command -v node >/dev/null 2>&1 || DISPATCH_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || DISPATCH_PACKAGES+=(npm)

# Installs only the packages that are missing (apt-get update only if something is).
ensure_deps() { ensure_packages "${DISPATCH_PACKAGES[@]}"; }

# Installs the given Debian packages that are missing.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "== installing missing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Configures (once) and builds everything, or the targets given.
build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
  fi
  cmake --build "$BUILD_DIR" -j "$(nproc)" ${1:+--target "$@"}
}

# A local PostgreSQL 15 (Debian's) for tools/run: pg_start DIR initialises a cluster in DIR/data
# once, starts it with its unix socket in DIR (no TCP), and makes the database "dispatch";
# pg_stop DIR stops it. PostgreSQL refuses to run as root, so as root DIR and the cluster belong
# to the postgres user that Debian's package creates.
PG_BIN=/usr/lib/postgresql/15/bin
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  local dir="$1"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
  fi
  # deploy/postgresql.conf's settings, each as -c name=value (a saved cluster gets them too).
  local settings
  settings="$(sed -n 's/^\([a-z_]*\) *= *\([^ #]*\).*/-c \1=\2/p' "$ROOT/deploy/postgresql.conf" | tr '\n' ' ')"
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
    -o "-k $dir -c listen_addresses='' $settings" start >/dev/null ||
    { tail -20 "$dir/postgres.log"; return 1; }
  pg_as "$PG_BIN/psql" -h "$dir" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'dispatch'" | grep -q 1 ||
    pg_as "$PG_BIN/createdb" -h "$dir" -U postgres dispatch
}
pg_stop() { pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m fast stop >/dev/null 2>&1 || true; }
