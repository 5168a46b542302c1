# The backend crashes mid-stage: noticed within about a second (not at the stage's end),
# stage FAIL with the exit code in the reason, exit 1.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_CRASH_AFTER_REQUESTS=60 SMOKE_DURATION=30s
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].verdict') == FAIL ]] || fail "stage FAIL"
jqr "$r" '.stages[0].reason' | grep -q "crashed" || fail "reason names the crash: $(jqr "$r" '.stages[0].reason')"
[[ $(jqr "$r" '.stages[0].metrics.backend.crashes // .stages[0].backend.crashes') == 1 ]] || fail "backend.crashes == 1"
(( ELAPSED_MS < 15000 )) || fail "took ${ELAPSED_MS} ms: the 30 s stage was not stopped at the crash"
[[ $(jqr "$r" '.stages[0].duration_s < 10') == true ]] || fail "stage stopped early"
echo "ok (${ELAPSED_MS} ms)"
