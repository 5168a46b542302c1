# A real rollout here (issue 12 item 6), v2 healthy: the same nginx canary as
# rollout_nginx_canary_faulty.sh; every step (10%, 50%, 100%) passes, the rollback does not
# run, and nginx ends with all traffic on v2 (100 requests through it all reach v2).
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/tests/e2e/helpers/nginx_canary.sh"

run_stagegate run "$PIPELINES/nginx-canary.yaml" --out "$WORK/out" --no-progress
expect_rc 0
r="$WORK/out/results.json"
[[ $(jqr "$r" '[.stages[].verdict] | join(",")') == PASS,PASS,PASS ]] || fail "every step passes"
[[ $(jqr "$r" '[.stages[].traffic] | join(",")') == 10,50,100 ]] || fail "traffic recorded"
# Every step judged v2 by its own responses (the per-version criteria had data and passed).
for i in 0 1 2; do
    c=$(jqr "$r" ".stages[$i].criteria[] | select(.expr == \"error_rate{version=v2} < 1%\")")
    [[ $(jq -r .pass <<<"$c") == true && $(jq -r .actual <<<"$c") != null ]] ||
        fail "stage $i: v2's criterion: $c"
done
[[ $(jqr "$r" '.stages[2].metrics.tags.version.v2.requests > 0') == true ]] || fail "v2 counted"
[[ $(jqr "$r" '.stages[0].metrics.tags.version | has("v1") and has("v2")') == true ]] ||
    fail "at 10% both versions answer: $(jq -c .stages[0].metrics.tags.version "$r")"
[[ $(jqr "$r" '[.hooks[] | "\(.stage // "run"):\(.kind):\(.exit_code)"] | join(" ")') == \
   "canary-10:before:0 canary-50:before:0 full:before:0" ]] || fail "hooks: $(jq -c .hooks "$r")"
! grep -q "$V1_PORT" "$NGINX_DIR/upstream.conf" || fail "v1 still in the upstream"
got=$(versions_of 100)
[[ "$got" == "100 v2" ]] || fail "at the end, 100 requests went to: $got"
echo "ok ($got)"
