#!/usr/bin/env bash
# Compatibility suite: stagegate against servers nobody here wrote, started and stopped by
# this script on loopback. usage: compat.sh CASE (ctest runs each case as compat.CASE).
# For each case and each transport (lean, curl): stagegate's request count equals the
# server's own count, no request failed (the pipeline's criterion is errors == 0, so a
# false error is a FAIL, exit 1), and no request waited for its timeout (target.timeout is
# 30 s, the stage 1 s: a run that waited would take far longer than the bound below, and
# a request still waiting at the end of the stage's graceful stop counts as an error).
set -euo pipefail

: "${STAGEGATE:?run through ctest}"
: "${SOURCE_DIR:?run through ctest}"
CASE=${1:?usage: compat.sh CASE}
HERE="$SOURCE_DIR/tests/compat"
WORK="${COMPAT_WORK:-/tmp/stagegate-compat}/$CASE"
rm -rf "$WORK"
mkdir -p "$WORK"

SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

fail() { echo "FAIL [$CASE]: $*" >&2; exit 1; }
skip() { echo "SKIP [$CASE]: $*" >&2; exit 125; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (scripts/setup --test)"; }

need jq
need curl

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 12000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
       ! (exec 3<>"/dev/tcp/::1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "no free port found"
}
PORT=$(free_port)

# Waits until something answers on the port ($1: host for curl, default 127.0.0.1).
wait_listening() {
  local host=${1:-127.0.0.1}
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null --max-time 1 "http://$host:$PORT/"; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(tail -5 "$WORK/server.log")"
    sleep 0.05
  done
  fail "the server did not start on port $PORT: $(tail -5 "$WORK/server.log")"
}

# The server's own request count, by case.
COUNT_KIND=node
server_count() {
  case "$COUNT_KIND" in
    node) curl -fsS --max-time 5 "http://${COUNT_HOST:-127.0.0.1}:$PORT/__count" ;;
    # One access-log line per request of the pipeline's path. nginx writes its log as each
    # request ends, after the answer went out: wait_listening's probe of "/" could be logged
    # after `before` was taken and be counted as the run's (seen once in ~5 runs under ASan).
    nginx) grep -c '"GET /index.html ' "$WORK/access.log" || true ;;
    # http.server logs each request on stderr: '127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -'
    python) grep -c '] "' "$WORK/server.log" || true ;;
    # json-server logs each request ("GET /messages/1 200 2.1 ms - 50"), colours stripped.
    json-server) sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -cE '^(GET|POST) /messages' || true ;;
  esac
}

start_node() {
  need node
  node "$HERE/servers.js" "$CASE" "$PORT" "${1:-127.0.0.1}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
}

# Pipeline pieces a case may change.
BASE_URL="http://127.0.0.1:$PORT"
HEADERS="{}"
THINK=10ms
VUS=4
OPERATIONS='
    - { name: get, path: /compat }'
EXTRA_STAGES=
HEALTH=
WRAP=()

case "$CASE" in
  nginx)
    need nginx
    mkdir -p "$WORK/root" "$WORK/tmp"
    echo "nginx-compat-page" >"$WORK/root/index.html"
    cat >"$WORK/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 256; }
http {
  access_log $WORK/access.log;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  keepalive_requests 100;
  keepalive_timeout 1s;
  server { listen 127.0.0.1:$PORT; root $WORK/root; }
}
CONF
    nginx -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    COUNT_KIND=nginx
    OPERATIONS='
    - { name: get, path: /index.html, expect: { status: 200, body_contains: nginx-compat-page } }'
    # First past keepalive_requests (nginx closes after the 100th answer on a connection),
    # then idle longer than keepalive_timeout between requests (nginx closes idle ones).
    THINK=0ms
    VUS=2
    EXTRA_STAGES='
  - { name: idle, vus: 2, duration: 3s, think_time: 1300ms, criteria: ["errors == 0"] }'
    ;;
  python-http10)
    need python3
    mkdir -p "$WORK/root"
    echo "python-compat-page" >"$WORK/root/index.html"
    python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/root" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    COUNT_KIND=python
    # HTTP/1.0 answers: one connection per request, and (for a missing file) a body that
    # runs to the close.
    OPERATIONS='
    - { name: page, path: /index.html, expect: { status: 200, body_contains: python-compat-page } }
    - { name: missing, path: /no-such-file, expect: { status: 404 } }'
    ;;
  json-server)
    need node
    [[ -x "$HERE/node_modules/.bin/json-server" ]] ||
      skip "json-server is not installed (scripts/setup --test installs tests/compat/package.json)"
    echo '{ "messages": [ { "id": 1, "content": "first" } ] }' >"$WORK/db.json"
    "$HERE/node_modules/.bin/json-server" --host 127.0.0.1 --port "$PORT" "$WORK/db.json" \
      >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    COUNT_KIND=json-server
    VUS=2
    THINK=50ms
    # A REST flow: create a message, then read it back by the id the server gave it.
    OPERATIONS='
    - name: create-and-read
      steps:
        - name: post
          method: POST
          path: /messages
          json: { content: "hello", userId: "{{vu}}" }
          expect: { status: 201, json: { /content: hello } }
          capture: { id: /id }
        - { name: get, path: "/messages/{{id}}", expect: { status: 200, json: { /content: hello } } }
    - { name: first, path: /messages/1, expect: { status: 200, json: { /content: first } } }'
    ;;
  chunked)
    start_node
    OPERATIONS='
    - { name: get, path: /c, expect: { status: 200, body_contains: "chunk-one chunk-two" } }'
    ;;
  no-content)
    start_node
    OPERATIONS='
    - { name: get, path: /n, expect: { status: 204 } }'
    ;;
  head)
    start_node
    OPERATIONS='
    - { name: head, method: HEAD, path: /h, expect: { status: 200 } }
    - { name: get, path: /h, expect: { status: 200, body_contains: head-answer } }'
    ;;
  not-modified)
    start_node
    OPERATIONS='
    - { name: get, path: /n, headers: { If-None-Match: "\"v1\"" }, expect: { status: 304 } }'
    ;;
  early-hints)
    start_node
    OPERATIONS='
    - { name: get, path: /e, expect: { status: 200, body_contains: after-hints } }'
    ;;
  half-close)
    start_node
    OPERATIONS='
    - { name: get, path: /g, expect: { status: 200, body_contains: half-close-ok } }
    - { name: post, method: POST, path: /p, json: { a: 1 }, expect: { status: 200 } }'
    ;;
  close-every-10th)
    start_node
    ;;
  gzip | deflate)
    start_node
    HEADERS="{ Accept-Encoding: \"gzip, deflate\" }"
    OPERATIONS='
    - { name: get, path: /z, expect: { status: 200, body_contains: compat-body-xxx } }'
    ;;
  big)
    start_node
    VUS=2
    OPERATIONS='
    - { name: get, path: /b, expect: { status: 200, body_contains: big-start } }'
    ;;
  ipv6-localhost)
    # A server on ::1 only, base_url http://localhost:PORT: libcurl (health) and the lean
    # transport (load) must both find it. localhost must name ::1 as well as 127.0.0.1, as
    # on a stock Debian; where it does not, the run sees a hosts file that says so (a
    # private mount namespace: the machine's own /etc/hosts is left alone).
    start_node ::1
    COUNT_HOST="[::1]"
    BASE_URL="http://localhost:$PORT"
    HEALTH='health: { url: /__count }'
    if ! getent ahostsv6 localhost 2>/dev/null | grep -q '^::1 '; then
      need unshare
      printf '::1 localhost\n127.0.0.1 localhost\n' >"$WORK/hosts"
      unshare --mount true 2>/dev/null || skip "cannot make a private mount namespace here"
      WRAP=(unshare --mount bash -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$WORK/hosts")
    fi
    ;;
  ipv6-literal)
    start_node ::1
    COUNT_HOST="[::1]"
    BASE_URL="http://[::1]:$PORT"
    ;;
  *)
    fail "unknown case (see the case list in this script)"
    ;;
esac
wait_listening "${COUNT_HOST:-127.0.0.1}"

cat >"$WORK/pipeline.yaml" <<YAML
version: 1
name: compat $CASE
target:
  base_url: $BASE_URL
  timeout: 30s
  headers: $HEADERS
$HEALTH
scenario:
  think_time: $THINK
  operations:$OPERATIONS
stages:
  - { name: compat, vus: $VUS, duration: 1s, criteria: ["errors == 0"] }$EXTRA_STAGES
YAML

for transport in lean curl; do
  before=$(server_count)
  began=$(date +%s)
  rc=0
  "${WRAP[@]}" "$STAGEGATE" run "$WORK/pipeline.yaml" --out "$WORK/out-$transport" --no-progress \
    --set "target.transport=$transport" >"$WORK/stagegate-$transport.log" 2>&1 || rc=$?
  took=$(( $(date +%s) - began ))
  # nginx logs a request when it ends: give the last ones a moment.
  sleep 0.2
  after=$(server_count)
  results="$WORK/out-$transport/results.json"
  [[ -f "$results" ]] || fail "$transport: no results.json (exit $rc): $(tail -20 "$WORK/stagegate-$transport.log")"
  sent=$(jq -r '[.stages[].metrics.requests] | add' "$results")
  errors=$(jq -c '[.stages[].metrics.errors] ' "$results")
  timeouts=$(jq -r '[.stages[].metrics.errors.timeout // 0] | add' "$results")
  served=$(( after - before ))
  [[ "$rc" == 0 ]] || fail "$transport: exit $rc, errors $errors: $(grep -iE 'error|fail' "$WORK/stagegate-$transport.log" | head -10)"
  [[ "$timeouts" == 0 ]] || fail "$transport: $timeouts requests timed out"
  [[ "$sent" == "$served" ]] || fail "$transport: stagegate counted $sent requests, the server served $served"
  (( sent >= 4 )) || fail "$transport: too few requests ($sent)"
  # Generous: stages of 1-4 s plus start-up on a loaded machine, far below one 30 s timeout.
  (( took < 25 )) || fail "$transport: the run took ${took}s (a request waited for its timeout?)"
  # Body bytes as received and as decoded: a compressed answer is smaller on the wire.
  wire=$(jq -r '[.stages[].extra.body_bytes.wire] | add' "$results")
  decoded=$(jq -r '[.stages[].extra.body_bytes.decoded] | add' "$results")
  case "$CASE" in
    gzip | deflate) (( wire > 0 && decoded > wire )) ||
      fail "$transport: body bytes wire $wire, decoded $decoded (decoded must be larger)" ;;
    big) (( wire == decoded && wire >= sent * 1048576 )) ||
      fail "$transport: body bytes wire $wire, decoded $decoded for $sent answers of 1 MiB" ;;
  esac
  echo "ok [$CASE] $transport: $sent requests, server $served, ${took}s"
done
