# Helpers for the `stagegate serve` e2e tests (sourced after lib.sh): a token, a pipelines
# folder, serve started on a free loopback port, and curl calls that record status and body.

# Writes $WORK/token, copies the faults pipeline into $WORK/pipelines as canary.yaml (passes)
# and failing.yaml (its p95 criterion cannot pass), and exports the faults pipeline's
# environment: one backend port for every run (runs go one at a time), short stages.
serve_setup() {
  TOKEN="serve-e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$TOKEN" >"$WORK/token"
  mkdir -p "$WORK/pipelines"
  cp "$PIPELINES/faults.yaml" "$WORK/pipelines/canary.yaml"
  sed 's/p95 < ${MAX_P95:-5s}/p95 < 1us/' "$PIPELINES/faults.yaml" >"$WORK/pipelines/failing.yaml"
  grep -q 'p95 < 1us' "$WORK/pipelines/failing.yaml" || fail "failing.yaml was not made"
  export PORT MISBEHAVE_BIN COOLDOWN=200ms SMOKE_DURATION=1s LOAD_DURATION=1s
  PORT=$(free_port)
}

# Starts serve in the background (extra arguments appended); SERVE_PID, SERVE_URL. Waits
# until it answers (an unauthenticated request: 401).
start_serve() {
  SERVE_PORT=$(free_port)
  SERVE_URL="http://127.0.0.1:$SERVE_PORT"
  "$STAGEGATE" serve --listen "127.0.0.1:$SERVE_PORT" --pipelines "$WORK/pipelines" \
    --token-file "$WORK/token" --out "$WORK/serve" "$@" >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  STARTED_PIDS+=("$SERVE_PID")
  for _ in $(seq 1 100); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/pipelines/canary/verdict") == 401 ]]; then
      return 0
    fi
    sleep 0.05
  done
  cat "$WORK/serve.log"
  fail "serve did not start"
}

# api METHOD PATH [BODY|@FILE] [curl options...]: with the token. STATUS and $WORK/body.json.
api() {
  local method=$1 path=$2 data=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(-s --path-as-is -o "$WORK/body.json" -w '%{http_code}' -X "$method"
              -H "Authorization: Bearer $TOKEN" "$@")
  [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  STATUS=$(curl "${args[@]}" "$SERVE_URL$path")
}

# expect_status CODE WHAT: fails with the body unless the last call answered CODE.
expect_status() {
  [[ "$STATUS" == "$1" ]] || fail "$2: HTTP $STATUS, expected $1: $(cat "$WORK/body.json")"
}

# body FILTER: jq on the last answer.
body() { jq -r "$1" "$WORK/body.json"; }

# wait_run ID: polls GET /runs/ID until it is finished (at most 60 s).
wait_run() {
  for _ in $(seq 1 600); do
    api GET "/runs/$1"
    [[ $(body .state) == finished ]] && return 0
    sleep 0.1
  done
  fail "run $1 did not finish: $(cat "$WORK/body.json")"
}

# stop_serve: SIGTERM, waits (at most 40 s); SERVE_RC.
stop_serve() {
  kill -TERM "$SERVE_PID"
  set +e; wait "$SERVE_PID"; SERVE_RC=$?; set -e
}
