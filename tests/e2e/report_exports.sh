# `stagegate report --format openmetrics|gitlab-load-performance` on a real run's
# results.json (issue 14 item 7): the Prometheus text exposition passes `promtool check
# metrics` (also with hostile names in label values), and the GitLab load-performance JSON
# has the shape of k6's --summary-export (tests/fixtures/k6/summary-export.json, recorded
# from k6 v0.48.0) for every metric both carry.
source "$(dirname "$0")/lib.sh"
need jq
need promtool
export PORT=$(free_port) SMOKE_DURATION=1s LOAD_DURATION=1s COOLDOWN=0s
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 0
results="$WORK/out/results.json"

# --- openmetrics
run_stagegate report "$results" --format openmetrics -o "$WORK/metrics.prom"; expect_rc 0
promtool check metrics <"$WORK/metrics.prom" || fail "promtool rejects the exposition"
m="$WORK/metrics.prom"
for family in stagegate_run_info stagegate_stage_verdict stagegate_requests_total \
    stagegate_errors_total stagegate_latency_seconds stagegate_criterion_passed; do
  grep -q "^# TYPE $family " "$m" || fail "no $family"
done
sent=$(jq '.stages[0].metrics.operations.send.requests' "$results")
grep -qx "stagegate_requests_total{stage=\"smoke\",operation=\"send\"} $sent" "$m" ||
  fail "smoke/send request count is not results.json's ($sent)"
grep -qx 'stagegate_stage_verdict{stage="load",verdict="PASS"} 1' "$m" || fail "stage verdict gauge"
grep -qx 'stagegate_run_exit_code 0' "$m" || fail "exit code gauge"
grep -q '^stagegate_latency_seconds{stage="smoke",operation="all",quantile="0.95"} ' "$m" || fail "p95"
grep -q '^stagegate_errors_total{stage="smoke",operation="all",kind="timeout"} 0' "$m" || fail "errors by kind"
# Hostile label values: quotes, backslashes and line feeds (results.json is UTF-8 JSON;
# invalid UTF-8 in a label is the unit test's).
jq '.pipeline.name = "a\"b\\c\nd" | .stages[0].criteria[0].name = "x\"} 1\nevil_metric 2"' "$results" \
  >"$WORK/hostile.json"
run_stagegate report "$WORK/hostile.json" --format openmetrics; expect_rc 0
promtool check metrics <"$WORK/stdout.txt" || fail "promtool rejects escaped hostile labels"
! grep -q '^evil_metric' "$WORK/stdout.txt" || fail "a label value started a sample line"
grep -q 'criterion="x\\"} 1\\nevil_metric 2"' "$WORK/stdout.txt" || fail "label not escaped as the format says"

# --- gitlab-load-performance: k6 summary-export shape.
run_stagegate report "$results" --format gitlab-load-performance -o "$WORK/load-performance.json"
expect_rc 0
g="$WORK/load-performance.json"
k6="$SOURCE_DIR/tests/fixtures/k6/summary-export.json"
[[ "$(jq -c 'keys' "$g")" == "$(jq -c 'keys' "$k6")" ]] || fail "top-level keys differ from k6's"
[[ "$(jq -c '.root_group | keys' "$g")" == "$(jq -c '.root_group | keys' "$k6")" ]] || fail "root_group keys"
# Every metric in both has the same keys (k6's thresholds aside) and the same JSON types.
for metric in http_reqs http_req_duration http_req_failed checks vus \
    'http_req_duration{operation:send}' 'http_reqs{operation:send}'; do
  shape='with_entries(select(.key != "thresholds")) | map_values(type)'
  ours=$(jq -cS --arg k "$metric" ".metrics[\$k] | $shape" "$g")
  theirs=$(jq -cS --arg k "$metric" ".metrics[\$k] | $shape" "$k6")
  [[ "$ours" == "$theirs" ]] || fail "$metric: ours $ours, k6's $theirs"
done
# The figures GitLab shows come from the last stage that ran (load).
[[ "$(jq '.metrics.http_reqs.count' "$g")" == "$(jq '.stages[1].metrics.requests' "$results")" ]] ||
  fail "http_reqs.count is not the load stage's request count"
jq -e '.metrics."http_req_duration"."p(95)" > 0 and .metrics.checks.fails == 0 and .metrics.checks.passes > 0' "$g" >/dev/null ||
  fail "p(95) or checks wrong"
jq -e '.metrics | has("http_reqs{stage:smoke}") and has("http_reqs{stage:load}")' "$g" >/dev/null ||
  fail "per-stage submetrics missing"
echo "ok"
