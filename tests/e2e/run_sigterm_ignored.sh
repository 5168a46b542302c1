# A backend that ignores SIGTERM (misbehave's wrapper, the group leader, outlives the demo
# backend): stagegate sends SIGKILL after stop_timeout (2 s), says so in stagegate.log, and
# exits promptly; no process it started is left (checked by pid).
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) MISBEHAVE=ignore-sigterm STOP_TIMEOUT=2s MISBEHAVE_PIDS="$WORK/pids.txt"
run_stagegate run "$PIPELINES/faults.yaml" --only smoke --out "$WORK/out" --no-progress
expect_rc 0
grep -q "did not stop within 2s of SIGTERM: sending SIGKILL" "$WORK/out/stagegate.log" \
  || fail "stagegate.log says the backend was killed after stop_timeout"
grep -q "ignoring SIGTERM until SIGKILL" "$WORK/out/backend.log" || fail "the wrapper did ignore SIGTERM"
# Startup and the 1 s stage take about 1.5 s; the stop is bounded by stop_timeout + 1 s.
(( ELAPSED_MS < 1500 + 2000 + 1000 + 6000 )) || fail "took ${ELAPSED_MS} ms"
[[ $(wc -l <"$WORK/pids.txt") == 2 ]] || fail "expected 2 pids: $(cat "$WORK/pids.txt")"
expect_pids_gone "$WORK/pids.txt"
echo "ok (${ELAPSED_MS} ms)"
