# SIGTERM mid-stage is handled as SIGINT: the load stops, the backend is stopped, the
# partial results.json and report say INTERRUPTED, exit 130. Then a second signal while
# stagegate waits for a backend that ignores SIGTERM (stop_timeout 30 s): it exits at once,
# killing the backend's group, and leaves no process behind.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) SMOKE_DURATION=30s

# 1. One SIGTERM, 1.5 s into the 30 s stage.
start_stagegate "$PIPELINES/faults.yaml" "$WORK/term"
wait_for_output "$WORK/term" 'stage 1/3'
sleep 1.5
backend_pid=$(pgrep -P "$SG" || true)
kill -TERM "$SG"
set +e; wait "$SG"; RC=$?; set -e
[[ "$RC" == 130 ]] || { cat "$WORK/term.stdout"; fail "exit $RC, expected 130"; }
r="$WORK/term/results.json"
[[ $(jqr "$r" .verdict) == INTERRUPTED ]] || fail "verdict INTERRUPTED"
[[ $(jqr "$r" .exit_code) == 130 ]] || fail "exit_code in results.json"
[[ $(jqr "$r" '.stages[0].verdict') == INTERRUPTED ]] || fail "stage INTERRUPTED"
[[ $(jqr "$r" '.stages[0].metrics.requests > 0') == true ]] || fail "partial data kept"
[[ $(jqr "$r" '.stages[0].duration_s < 10') == true ]] || fail "the stage stopped at the signal"
grep -q "INTERRUPTED" "$WORK/term/report.md" || fail "report written"
[[ -n "$backend_pid" ]] || fail "backend pid not found"
process_gone "$backend_pid" || fail "backend $backend_pid left running"

# 2. A backend that ignores SIGTERM: the first signal starts the 30 s stop; a second one
# ends stagegate at once (and its SIGKILL to the group ends the backend).
export PORT=$(free_port) MISBEHAVE=ignore-sigterm STOP_TIMEOUT=30s MISBEHAVE_PIDS="$WORK/pids.txt"
start_stagegate "$PIPELINES/faults.yaml" "$WORK/twice"
wait_for_output "$WORK/twice" 'stage 1/3'
sleep 1
kill -TERM "$SG"
wait_for_output "$WORK/twice" 'stopping backend'
sleep 0.5
second=$(date +%s%N)
kill -INT "$SG"
set +e; wait "$SG"; RC=$?; set -e
elapsed_ms=$(( ($(date +%s%N) - second) / 1000000 ))
[[ "$RC" == 130 ]] || { cat "$WORK/twice.stdout"; fail "exit $RC after the second signal"; }
(( elapsed_ms < 2000 )) || fail "the second signal took ${elapsed_ms} ms to end stagegate"
[[ $(jqr "$WORK/twice/results.json" .verdict) == INTERRUPTED ]] || fail "results written before"
sleep 0.2  # SIGKILL is delivered asynchronously
expect_pids_gone "$WORK/pids.txt"
echo "ok (second signal: ${elapsed_ms} ms)"
