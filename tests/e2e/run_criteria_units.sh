# issue 19.3: a k6-style fraction is not a percentage. `success_rate > 0.99` used to mean
# 0.99%, so a backend failing half its requests passed; now it is INVALID with the likely
# meaning. Criteria that can never fail or never pass are INVALID with the reason.
source "$(dirname "$0")/lib.sh"
export PORT
PORT=$(free_port)
common=(--no-progress --only smoke --set stages.smoke.duration=1s --set backend.env.FAULT_ERROR_RATE=0.5)

run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/fraction" "${common[@]}" \
  --set 'defaults.criteria=["success_rate > 0.99"]'
expect_rc 2
grep -qF 'defaults.criteria[0]: "success_rate > 0.99": success_rate is a percentage and takes % (0.99 -> did you mean 99%?)' \
  "$WORK/stderr.txt" || fail "hint for a fraction"
# An INVALID run starts nothing and writes only junit.xml (one failing testcase per
# problem, for the CI view): no results, no reports.
[[ ! -e "$WORK/fraction/results.json" && ! -e "$WORK/fraction/report.md" ]] || fail "an INVALID run wrote results or reports"
grep -q "<failure" "$WORK/fraction/junit.xml" || fail "INVALID left no failing junit.xml in $WORK/fraction"

run_stagegate validate "$PIPELINES/basic.yaml" --set 'defaults.criteria=["error_rate < 101%", "send.p95 < -5ms"]'
expect_rc 2
grep -qF '"error_rate < 101%" can never fail: a percentage of requests is between 0% and 100%' \
  "$WORK/stderr.txt" || fail "never fails"
grep -qF '"send.p95 < -5ms" can never pass: a latency is never negative' "$WORK/stderr.txt" ||
  fail "never passes"

# Written with %, the same gate catches the failing backend.
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/percent" "${common[@]}" \
  --set 'defaults.criteria=["success_rate > 99%"]'
expect_rc 1
[[ $(jqr "$WORK/percent/results.json" '.stages[0].verdict') == FAIL ]] || fail "success_rate > 99% fails"
echo "ok"
