# Issue 15: a wave of fast failures must not read as a latency improvement. The demo
# backend answers 60% of requests with an injected 500 before touching the database
# (FAULT_ERROR_RATE: fast), and holds every successful request's pool connection for
# FAULT_QUERY_DELAY_MS (slow). results.json keeps the two apart per second, and the
# successful quantiles stay those of the slow successes while the all-requests median is
# pulled down by the failures; report.html draws the failed p95 as its own dashed line.
# Only relationships between the series are asserted, no absolute timing.
source "$(dirname "$0")/lib.sh"
need jq
export PORT
PORT=$(free_port)
cat >"$WORK/pipeline.yaml" <<'YAML'
version: 1
name: e2e latency by outcome
target:
  base_url: http://127.0.0.1:${PORT}
  timeout: 10s
backend:
  command: ["${STAGEGATE_BACKEND}"]
  env:
    PORT: "${PORT}"
    DISABLE_RATE_LIMIT: "true"
    FAULT_ERROR_RATE: "0.6"
    FAULT_QUERY_DELAY_MS: "200"
  startup_timeout: 10s
  stop_timeout: 5s
health:
  url: /health
  expect_status: 200
  interval: 100ms
scenario:
  executor: builtin
  think_time: 0ms
  variables:
    userId: { random_int: [1, 1000] }
  operations:
    - name: history
      method: GET
      path: /conversations/c1/messages?userId={{userId}}&limit=20
      expect: { status: 200 }
stages:
  - name: mixed
    vus: 4
    duration: 4s
    criteria:
      - backend.crashes == 0
YAML
run_stagegate run "$WORK/pipeline.yaml" --out "$WORK/out" --no-progress
expect_rc 0
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].metrics.errors.status_5xx > 0') == true ]] || fail "no injected 500s"
# Seconds with both successful and failed responses.
both='[.stages[0].series[] | select(.succeeded_p95 != null and .failed_p95 != null)]'
n=$(jqr "$r" "$both | length")
((n >= 2)) || { jq '.stages[0].series' "$r" >&2; fail "only $n seconds with both series"; }
# Failed responses (fast 500s) are a separate, lower series...
[[ $(jqr "$r" "$both | all(.failed_p95 < .succeeded_p95 and .failed_p50 != null and .failed_p99 != null)") == true ]] ||
  { jq "$both" "$r" >&2; fail "failed p95 not below successful p95 in every second"; }
# ...and do not pull the successful quantiles down the way they pull down the median of all
# requests (60% of which are fast failures).
[[ $(jqr "$r" "$both | all(.p50 < .succeeded_p50 and .succeeded_p50 <= .succeeded_p95)") == true ]] ||
  { jq "$both" "$r" >&2; fail "successful p50 pulled down to the all-requests p50"; }
# The successful series is not the all-requests series relabelled.
[[ $(jqr "$r" "$both | any(.p50 != .succeeded_p50)") == true ]] || fail "succeeded_p50 == p50"

html="$WORK/out/report.html"
grep -qF 'aria-label="Latency p50, p95 and p99 of successful requests and p95 of failed requests across the run"' "$html" ||
  fail "latency chart does not separate successful and failed requests"
grep -q '<polyline class="series sfail"' "$html" || fail "no failed p95 line"
grep -q '<text class="legend sfail"[^>]*>[^<]* failed p95</text>' "$html" || fail "no legend entry for failed p95"
grep -q '<polyline class="series s1"' "$html" || fail "no successful p95 line"
echo "ok"
