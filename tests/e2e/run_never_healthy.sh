# A backend that never becomes healthy: exit 3 soon after startup_timeout, with the reason
# (the last health answer) and the backend log's last lines; no stage runs.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_STARTUP_DELAY_MS=60000 STARTUP_TIMEOUT=2s
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 3
# Fails within startup_timeout plus a second; 2 s more for starting and stopping the backend
# and writing the reports on a slow (sanitized, 2-core) CI machine.
(( ELAPSED_MS < 2000 + 1000 + 2000 )) || fail "took ${ELAPSED_MS} ms; expected about startup_timeout"
grep -qi "healthy" "$WORK/stdout.txt" || fail "reason on the console"
grep -qi "refused" "$WORK/stdout.txt" "$WORK/out/results.json" || fail "last health answer (connection refused)"
[[ $(jqr "$WORK/out/results.json" .verdict) == ERROR ]] || fail "verdict ERROR"
[[ $(jqr "$WORK/out/results.json" '.stages[0].verdict') == SKIPPED ]] || fail "no stage ran"
backend_pid=$(sed -n 's/.*backend started (pid \([0-9]*\)).*/\1/p' "$WORK/out/stagegate.log")
[[ -n "$backend_pid" ]] || fail "stagegate.log names the backend's pid"
process_gone "$backend_pid" || fail "backend $backend_pid left running"
echo "ok (${ELAPSED_MS} ms)"
