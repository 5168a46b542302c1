# A real rollout here (issue 12 item 6), v2 faulty: nginx routes to v1 and v2 of the demo
# backend; the pipeline's traffic steps 10% -> 50% -> 100% each move weight to v2 in a
# before hook (rewrite upstream weights, reload nginx). v2 fails every 5th request
# (FAULT_ERROR_RATE=0.2), so at 10% only about 2% of all requests fail, under the overall
# limit (error_rate < 5%): the first step FAILs on v2's own error rate
# (error_rate{version=v2} < 1%, responses counted by their X-Version header), the run's on_fail hook (the rollback) puts all weight back on v1, and afterwards 100
# requests through nginx all reach v1.
source "$(dirname "$0")/lib.sh"
V2_FAULTS="FAULT_ERROR_RATE=0.2"
source "$SOURCE_DIR/tests/e2e/helpers/nginx_canary.sh"

run_stagegate run "$PIPELINES/nginx-canary.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == FAIL ]] || fail "verdict FAIL"
[[ $(jqr "$r" '.stages[0].verdict') == FAIL ]] || fail "the first step FAILs"
[[ $(jqr "$r" '.stages[1].verdict') == SKIPPED ]] || fail "later steps skipped"
[[ $(jqr "$r" '.stages[0].traffic') == 10 ]] || fail "traffic recorded"
[[ $(jqr "$r" '.stages[0].metrics.errors.status_5xx > 0') == true ]] || fail "v2's errors seen"
# The step fails on v2's own criterion; the overall error rate and v1's stay within limits.
failed=$(jqr "$r" '[.stages[0].criteria[] | select(.pass == false) | .expr] | join(";")')
[[ "$failed" == "error_rate{version=v2} < 1%" ]] || fail "failed criteria: $failed"
[[ $(jqr "$r" '.stages[0].criteria[] | select(.expr == "error_rate < 5%") | .pass') == true ]] ||
    fail "the overall error rate passes (v2's failures are diluted)"
[[ $(jqr "$r" '.stages[0].metrics.tags.version.v2.error_rate > 5') == true ]] ||
    fail "v2's own error rate: $(jq -c .stages[0].metrics.tags.version "$r")"
[[ $(jqr "$r" '.stages[0].metrics.tags.version.v1.error_rate') == 0 ]] || fail "v1 has no errors"
grep -q "### By response tag" "$WORK/out/report.md" || fail "report.md has the per-tag table"
# v2 got its share during the step (the demo backend logs each request).
v2_requests=$(grep -c "GET /conversations" "$WORK/backend-$V2_PORT.log" || true)
(( v2_requests > 0 )) || fail "v2 got no traffic at 10%"
[[ $(jqr "$r" '[.hooks[] | "\(.stage // "run"):\(.kind):\(.exit_code)"] | join(" ")') == \
   "canary-10:before:0 run:on_fail:0" ]] || fail "hooks: $(jq -c .hooks "$r")"
grep -q "upstream app {" "$NGINX_DIR/upstream.conf" || fail "upstream written"
! grep -q "$V2_PORT" "$NGINX_DIR/upstream.conf" || fail "rollback left v2 in the upstream"
got=$(versions_of 100)
[[ "$got" == "100 v1" ]] || fail "after the rollback, 100 requests went to: $got"
echo "ok (v2 got $v2_requests requests at 10%; after rollback: $got)"
