# A backend that never becomes healthy: exit 3 soon after startup_timeout, with the reason
# (the last health answer) and the backend log's last lines; no stage runs.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_STARTUP_DELAY_MS=60000 STARTUP_TIMEOUT=2s
start=$(date +%s%N)
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 3
(( elapsed_ms < 2000 + 5000 )) || fail "took ${elapsed_ms} ms; expected about startup_timeout"
grep -qi "healthy" "$WORK/stdout.txt" || fail "reason on the console"
grep -qi "refused" "$WORK/stdout.txt" "$WORK/out/results.json" || fail "last health answer (connection refused)"
[[ $(jqr "$WORK/out/results.json" .verdict) == ERROR ]] || fail "verdict ERROR"
[[ $(jqr "$WORK/out/results.json" '.stages[0].verdict') == SKIPPED ]] || fail "no stage ran"
echo "ok (${elapsed_ms} ms)"
