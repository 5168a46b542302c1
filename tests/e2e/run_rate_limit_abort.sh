# The demo backend's rate limiter is on (20 requests a minute) and the stage has
# `{expr: "errors.status_429 == 0", abort: true}`: the 30 s stage stops within seconds,
# FAIL (exit 1), the reason says aborted and names the criterion, and the rate-limit hint
# appears with its evidence.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) DISABLE_RATE_LIMIT=false RATE_LIMIT_PER_MIN=20 SMOKE_DURATION=30s
run_stagegate run "$PIPELINES/faults.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == FAIL ]] || fail "verdict FAIL"
[[ $(jqr "$r" '.stages[0].duration_s < 10') == true ]] || fail "stage stopped early: $(jqr "$r" '.stages[0].duration_s') s"
reason=$(jqr "$r" '.stages[0].reason')
[[ "$reason" == aborted:*"errors.status_429 == 0"* ]] || fail "reason: $reason"
[[ $(jqr "$r" '.stages[0].metrics.errors.status_429 > 0') == true ]] || fail "429s counted"
[[ $(jqr "$r" '.stages[0].hints | map(select(test("rate limit"))) | length') == 1 ]] || fail "hint in results"
grep -q "hint: .*429 Too Many Requests: a rate limiter is active.*evidence: errors.status_429" \
  "$WORK/stdout.txt" || fail "hint on the console"
grep -q "rate limiter is active" "$WORK/out/report.md" || fail "hint in the report"
[[ $(jqr "$r" '.stages[1].verdict') == SKIPPED ]] || fail "load skipped"
(( ELAPSED_MS < 20000 )) || fail "took ${ELAPSED_MS} ms"
echo "ok (stage $(jqr "$r" '.stages[0].duration_s') s, ${ELAPSED_MS} ms)"
