# /health turns 503 during the middle stage of three: that stage FAILs with the health reason
# (it used to pass, and the next stage was blamed: "unhealthy before the stage"); the third
# stage does not run.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_UNHEALTHY_AFTER_S=6
run_stagegate run "$PIPELINES/unhealthy.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].verdict') == PASS ]] || fail "smoke passed: $(jqr "$r" '.stages[0].reason')"
[[ $(jqr "$r" '.stages[1].verdict') == FAIL ]] || fail "the middle stage FAILs: $(jqr "$r" '.stages[1].reason')"
reason=$(jqr "$r" '.stages[1].reason')
grep -q "health" <<<"$reason" || fail "reason names health: $reason"
grep -q "503" <<<"$reason" || fail "reason names the status: $reason"
[[ $(jqr "$r" '.stages[2].verdict') == SKIPPED ]] || fail "the third stage does not run"
[[ $(jqr "$r" '.stages[1].backend.health_failures >= 1') == true ]] \
  || fail "backend.health_failures counted in the stage during which it happened"
echo "ok (${ELAPSED_MS} ms)"
