# Shared helpers for the e2e scripts: sourced, not run.
# Every script gets STAGEGATE, CHAT_BACKEND, SOURCE_DIR and E2E_WORK from CTest.
set -euo pipefail

: "${STAGEGATE:?run through ctest}"
: "${CHAT_BACKEND:?run through ctest}"
: "${SOURCE_DIR:?run through ctest}"
: "${E2E_WORK:=/tmp/stagegate-e2e}"

TEST_NAME=$(basename "$0" .sh)
WORK="$E2E_WORK/$TEST_NAME"
rm -rf "$WORK"
mkdir -p "$WORK"
PIPELINES="$SOURCE_DIR/tests/e2e/pipelines"
export STAGEGATE_BACKEND="$CHAT_BACKEND"

STARTED_PIDS=()
cleanup() {
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed" >&2; exit 125; }
}

# A TCP port on 127.0.0.1 that nothing listens on. Taken below the kernel's ephemeral
# range (32768 and up by default): a port there can be the local end of some client's
# connection, which nothing answers on yet a server cannot bind.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 12000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "no free port found"
}

# Writes DIR/nginx.conf for a test's own nginx (one worker, in the foreground, logs and
# temp files under DIR, access log off unless a location asks): the http block gets
# `log_format counted FORMAT` and then SERVERS (the test's server blocks).
write_nginx_conf() {  # DIR FORMAT SERVERS
  mkdir -p "$1/logs" "$1/tmp" "$1/html"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 256; }
http {
  log_format counted '$2';
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
$3
}
EOF
}

# An nginx server block for write_nginx_conf's SERVERS: https on 127.0.0.1:PORT with the
# certificate CERT.pem and key CERT.key, /health answered and not logged, / served from
# DIR/html and logged to DIR/logs/NAME.log in the `counted` format; DIRECTIVES (protocols,
# client verification, more locations) go into the block.
nginx_tls_server() {  # DIR PORT NAME CERT [DIRECTIVES]
  cat <<EOF
  server {
    listen 127.0.0.1:$2 ssl;
    ssl_certificate $4.pem;
    ssl_certificate_key $4.key;
    ${5:-}
    location = /health { access_log off; return 200 '{"status":"ok"}'; }
    location / { access_log $1/logs/$3.log counted; root $1/html; }
  }
EOF
}

# Starts nginx ($NGINX) on DIR/nginx.conf (see write_nginx_conf), stopped with the test;
# waits until `curl CURL-ARGS... URL` answers, else fails with nginx's error log.
start_nginx() {  # DIR URL [CURL-ARGS...]
  local dir=$1 url=$2
  shift 2
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/stdout.log" 2>&1 &
  STARTED_PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "$@" "$url" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$dir/logs/error.log" >&2
  fail "nginx did not start (no answer at $url)"
}

# Starts the demo backend on $1 with extra env (NAME=VALUE ...); waits until healthy.
start_backend() {
  local port=$1
  shift
  env PORT="$port" "$@" "$CHAT_BACKEND" >"$WORK/backend-$port.log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      BACKEND_PID=$pid
      return 0
    fi
    sleep 0.05
  done
  fail "demo backend did not start on port $port"
}

# Runs pipelines/NAME.yaml as scripts/demo does (from the repository root, the backend a
# relative path, a free PORT), shortened: every stage `duration`, no ramp-up, cooldown
# `cooldown`, the stress stage at 20 VUs. Output in $WORK/out.
# usage: run_example_pipeline NAME DURATION COOLDOWN
run_example_pipeline() {
  export PORT
  PORT=$(free_port)
  # AddressSanitizer's quarantine and shadow memory make the demo backend's RSS grow faster.
  if [[ "${SANITIZED:-0}" == 1 ]]; then export MAX_MEMORY_GROWTH=400; fi
  cd "$SOURCE_DIR"
  STAGEGATE_BACKEND=$(realpath --relative-to="$SOURCE_DIR" "$CHAT_BACKEND")
  run_stagegate run "pipelines/$1.yaml" --out "$WORK/out" --no-progress \
    --set "stages[*].duration=$2" --set 'stages[*].ramp_up=0s' --set "defaults.cooldown=$3" \
    --set stages.stress.vus=20
}

# Runs stagegate with the given arguments; RC is its exit code, ELAPSED_MS its wall time,
# stdout and stderr in $WORK/stdout.txt and $WORK/stderr.txt.
run_stagegate() {
  local start
  start=$(date +%s%N)
  set +e
  "$STAGEGATE" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"
  RC=$?
  set -e
  ELAPSED_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}

# Starts `stagegate run PIPELINE --out OUT` in the background, stdout and stderr in
# OUT.stdout; SG is its pid (ended by cleanup if the test fails first).
# usage: start_stagegate PIPELINE OUT
start_stagegate() {
  "$STAGEGATE" run "$1" --out "$2" --no-progress >"$2.stdout" 2>&1 &
  SG=$!
  STARTED_PIDS+=("$SG")
}

# Waits until TEXT appears in OUT.stdout of start_stagegate (at most 20 s), else fails.
# usage: wait_for_output OUT TEXT
wait_for_output() {
  for _ in $(seq 1 200); do
    grep -q "$2" "$1.stdout" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$1.stdout"
  fail "\"$2\" never appeared"
}

expect_rc() {
  [[ "$RC" == "$1" ]] || {
    echo "--- stdout"; cat "$WORK/stdout.txt"; echo "--- stderr"; cat "$WORK/stderr.txt"
    fail "expected exit code $1, got $RC"
  }
}

# jq query on a JSON file, e.g. jqr "$WORK/out/results.json" '.verdict'
jqr() { jq -r "$2" "$1"; }

# True when no process has $1 as its ancestor and the pid itself is gone.
process_gone() { [[ ! -e "/proc/$1" ]] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# Fails unless every pid in FILE (lines "ROLE PID", as misbehave records them) is gone;
# names all that are left. Each pid is first added to STARTED_PIDS, so cleanup ends them.
# usage: expect_pids_gone FILE
expect_pids_gone() {
  local role pid left=""
  while read -r role pid; do
    STARTED_PIDS+=("$pid")
  done <"$1"
  while read -r role pid; do
    process_gone "$pid" || left+=" $role($pid)"
  done <"$1"
  [[ -z "$left" ]] || fail "left running:$left"
}

# Per Markdown table in FILE, a line with its column count (the header row's unescaped
# pipes minus one; "\|" is an escaped pipe), and a line "BROKEN ROW ..." for each row
# whose count differs from its header's.
# usage: md_table_columns FILE
md_table_columns() {
  awk '
    function cells(line,   n, i, c) {
      n = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\\") { i++; continue }
        if (c == "|") { n++ }
      }
      return n - 1
    }
    /^\|/ {
      if (!in_table) { in_table = 1; header = cells($0); print header; next }
      if (cells($0) != header) { printf "BROKEN ROW (%d cells, header %d): %s\n", cells($0), header, $0 }
      next
    }
    { in_table = 0 }
  ' "$1"
}

# Starts Debian's prometheus on a free loopback port with a temp config and data folder in
# $WORK, scraping GET /metrics of every 127.0.0.1 port given, every second (job
# chat-backend, instance 127.0.0.1:PORT), its queries logged to $WORK/prometheus-queries.log.
# Sets PROM_URL; waits (at most 60 s) until every target is up. Ended by cleanup.
# usage: start_prometheus PORT...
start_prometheus() {
  local prom_port targets="" port
  prom_port=$(free_port)
  PROM_URL="http://127.0.0.1:$prom_port"
  for port in "$@"; do
    targets+="${targets:+, }\"127.0.0.1:$port\""
  done
  mkdir -p "$WORK/prometheus-data"
  cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  query_log_file: $WORK/prometheus-queries.log
scrape_configs:
  - job_name: chat-backend
    static_configs: [{ targets: [$targets] }]
YAML
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$WORK/prometheus.log" 2>&1 &
  STARTED_PIDS+=("$!")
  for _ in $(seq 1 120); do
    [[ "$(prom_value "sum(up{job=\"chat-backend\"})" 2>/dev/null)" == "$#" ]] && return 0
    sleep 0.5
  done
  tail -5 "$WORK/prometheus.log" >&2
  fail "Prometheus did not scrape $* within 60 s"
}

# Instant query on start_prometheus' server; prints the first sample's value, or nothing
# when the result is empty.
prom_value() {
  curl -fsS --max-time 5 "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
    | jq -r '.data.result[0].value[1] // empty'
}
