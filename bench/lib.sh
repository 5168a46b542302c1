# shellcheck shell=bash disable=SC2034
# Shared helpers of the bench/ scripts: sourced, not run. Finds the binaries, makes a temp
# dir, starts nginx or the delay server on a free loopback port (each pinned to CPU 1),
# runs a command pinned to CPU 0 under GNU time, writes stagegate pipelines, and kills on
# exit only the PIDs it started.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
STAGEGATE=${STAGEGATE:-$BUILD_DIR/orchestrator/stagegate}
DELAY_SERVER=${DELAY_SERVER:-$BUILD_DIR/bench/delay-server}
CURL_FLOOR=${CURL_FLOOR:-$BUILD_DIR/bench/curl-floor}
AUTOCANNON=${AUTOCANNON:-$BENCH_DIR/node_modules/.bin/autocannon}
GENERATOR_CPU=${GENERATOR_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/stagegate-bench.XXXXXX")
STARTED_PIDS=()
bench_cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -z "${BENCH_KEEP_TMP:-}" ]]; then
    rm -rf "$BENCH_TMP"
  fi
}
trap bench_cleanup EXIT

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Whether CPU $1 exists (taskset fails on a 1-core machine: then nothing is pinned).
pin() {
  local cpu=$1
  shift
  if [[ -d /sys/devices/system/cpu/cpu$cpu ]] && have taskset; then
    taskset -c "$cpu" "$@"
  else
    "$@"
  fi
}

# Like pin, for a server started with `&`: the background subshell is replaced by the
# server itself (exec), so $! is the server's pid and the EXIT trap's kill reaches it.
spawn_pinned() {
  local cpu=$1
  shift
  if [[ -d /sys/devices/system/cpu/cpu$cpu ]] && have taskset; then
    exec taskset -c "$cpu" "$@"
  fi
  exec "$@"
}

# A TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(((RANDOM % 12000) + 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

wait_http() {
  local url=$1
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  die "nothing answers at $url"
}

# Starts nginx (own prefix in the temp dir, 1 worker, a small static body, no access log)
# on a free port pinned to SERVER_CPU; sets TARGET_URL.
start_nginx() {
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x "$nginx" ]] || die "nginx is not installed (run bench/setup)"
  local prefix=$BENCH_TMP/nginx port
  port=$(free_port)
  mkdir -p "$prefix/html" "$prefix/logs" "$prefix/tmp"
  printf 'hello from nginx, a small static body for the load generators\n' >"$prefix/html/index.html"
  chmod -R a+rX "$BENCH_TMP"
  cat >"$prefix/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  open_file_cache max=16;
  default_type text/html;
  server {
    listen 127.0.0.1:$port;
    root $prefix/html;
    location / { index index.html; }
  }
}
EOF
  spawn_pinned "$SERVER_CPU" "$nginx" -p "$prefix" -c "$prefix/nginx.conf" >"$prefix/logs/stdout.log" 2>&1 &
  STARTED_PIDS+=($!)
  TARGET_URL="http://127.0.0.1:$port"
  wait_http "$TARGET_URL/"
  TARGET_NAME="nginx 1 worker (CPU $SERVER_CPU)"
}

# Starts the delay server pinned to SERVER_CPU with the given options; sets TARGET_URL.
start_delay_server() {
  [[ -x "$DELAY_SERVER" ]] || die "$DELAY_SERVER not built (ninja -C build delay-server)"
  local port
  port=$(free_port)
  spawn_pinned "$SERVER_CPU" "$DELAY_SERVER" --port "$port" "$@" >"$BENCH_TMP/delay-server-$port.log" 2>&1 &
  STARTED_PIDS+=($!)
  TARGET_URL="http://127.0.0.1:$port"
  wait_http "$TARGET_URL/stats"
  TARGET_NAME="delay-server $* (CPU $SERVER_CPU)"
}

# Runs "$@" pinned to GENERATOR_CPU under GNU time; stdout to $1's file. Sets CPU_S (user+sys
# of the whole process tree), RSS_KB (peak), WALL_S, RUN_RC.
# usage: measure OUTFILE cmd args...
measure() {
  local out=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  set +e
  if [[ -x /usr/bin/time ]]; then
    pin "$GENERATOR_CPU" /usr/bin/time -f "%U %S %M" -o "$out.time" "$@" >"$out" 2>"$out.err"
    RUN_RC=$?
  else
    # No GNU time (Debian package "time"): bash's `times` in a subshell gives the children's
    # user and sys time (getrusage RUSAGE_CHILDREN); no peak RSS then.
    (
      pin "$GENERATOR_CPU" "$@" >"$out" 2>"$out.err"
      rc=$?
      times >"$out.times"
      tail -1 "$out.times" | awk '{ for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t[i] = p[1] * 60 + p[2] }
                               printf "%.3f %.3f 0\n", t[1], t[2] }' >"$out.time"
      exit $rc
    )
    RUN_RC=$?
  fi
  set -e
  t1=$(date +%s.%N)
  read -r user sys RSS_KB < <(tail -1 "$out.time")
  CPU_S=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  WALL_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# Writes a one-stage attach-mode pipeline to $1. usage:
#   write_pipeline FILE URL TRANSPORT DURATION_S (vus N | rate R MAX_VUS)
write_pipeline() {
  local file=$1 url=$2 transport=$3 duration=$4 model=$5 load
  if [[ "$model" == vus ]]; then
    load="    vus: $6"
  else
    load="    rate: $6/s
    max_vus: $7"
  fi
  cat >"$file" <<EOF
# Generated by bench/$(basename "$0"): attach mode (no backend block), one stage.
version: 1
name: bench $(basename "$0") $transport
target:
  base_url: $url
  transport: $transport
  timeout: 10s
health:
  url: /
  expect_status: 200
scenario:
  executor: builtin
  operations:
    - { name: get, method: GET, path: / }
stages:
  - name: load
$load
    duration: ${duration}s
    criteria:
      - requests > 0
EOF
}

# Runs a stagegate pipeline under measure; the output folder is $2. Sets the measure vars.
run_stagegate() {
  local pipeline=$1 out=$2
  measure "$out.stdout" "$STAGEGATE" run "$pipeline" --out "$out" --threads 1 --no-progress
}

# Whether this stagegate build runs `target.transport: lean` (validate accepts it before the
# engine has it, so a 1 s run against URL decides).
lean_available() {
  local url=$1
  write_pipeline "$BENCH_TMP/lean-probe.yaml" "$url" lean 1 vus 1
  local output
  output=$("$STAGEGATE" run "$BENCH_TMP/lean-probe.yaml" --out "$BENCH_TMP/lean-probe" \
    --threads 1 --no-progress 2>&1) || true
  ! grep -q "not available in this build" <<<"$output" && [[ -f "$BENCH_TMP/lean-probe/results.json" ]] &&
    [[ $(jq -r '.stages[0].metrics.requests // 0' "$BENCH_TMP/lean-probe/results.json") -gt 0 ]]
}

machine_line() {
  local model
  model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  echo "$(nproc) CPUs ($model), $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
}

# wrk's latency text (e.g. 10.41ms, 812.00us, 1.02s) in ms.
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}
