# A secret (a ${VAR} whose name says TOKEN, and the value of a secret header such as
# Authorization) never reaches any output: console, logs, reports, JUnit, results, step
# summary, annotations.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) API_TOKEN="canary-5f3a9e1d" FAULT_ERROR_RATE=0.1
export GITHUB_STEP_SUMMARY="$WORK/summary.md" GITHUB_OUTPUT="$WORK/gh-output.txt" GITHUB_ACTIONS=true
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress --log-level trace
expect_rc 1
[[ -s "$GITHUB_STEP_SUMMARY" ]] || fail "step summary written"
grep -q "verdict=FAIL" "$GITHUB_OUTPUT" || fail "outputs written"
grep -q "^::error" "$WORK/stdout.txt" || fail "annotations printed"
if grep -rl "canary-5f3a9e1d" "$WORK"; then
  fail "the secret appears in the files above"
fi
# An invalid pipeline's diagnostics must not print it either.
run_stagegate validate "$PIPELINES/basic.yaml" --set "target.timeout=canary-5f3a9e1d"
expect_rc 2
! grep -q "canary-5f3a9e1d" "$WORK/stdout.txt" "$WORK/stderr.txt" || fail "secret in a diagnostic"
echo "ok"
