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

# Runs stagegate with the given arguments; sets RC and writes stdout/stderr to $WORK.
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

# Runs stagegate; RC is its exit code, ELAPSED_MS its wall time.
run_stagegate() {
  local start
  start=$(date +%s%N)
  set +e
  "$STAGEGATE" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"
  RC=$?
  set -e
  ELAPSED_MS=$(( ($(date +%s%N) - start) / 1000000 ))
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
