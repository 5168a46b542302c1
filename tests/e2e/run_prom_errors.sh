# prom("...") criteria that cannot be judged: an empty result is no data and never passes
# (FAIL, exit 1); a PromQL syntax error is ERROR (exit 3) with Prometheus' own message; a
# query giving several series is ERROR naming their labels; an unreachable Prometheus is
# ERROR naming its URL and curl's error; `validate` refuses prom() without metrics.prometheus.
source "$(dirname "$0")/lib.sh"
need prometheus
need curl
need jq
port=$(free_port)
start_backend "$port" DISABLE_RATE_LIMIT=true
start_prometheus "$port"

# usage: write_pipeline FILE PROMETHEUS_URL CRITERION
write_pipeline() {
  cat >"$1" <<YAML
version: 1
name: prom-errors
target: { base_url: "http://127.0.0.1:$port" }
health: { url: /health }
metrics:
  prometheus: { url: "$2" }
scenario:
  operations:
    - name: history
      path: /conversations/c1/messages?limit=5
stages:
  - name: watch
    vus: 1
    duration: 2s
    criteria:
      - >-
        $3
YAML
}

# No data: a status code that never happens. The criterion fails, it does not pass.
write_pipeline "$WORK/empty.yaml" "$PROM_URL" \
  "prom(\"sum(rate(http_requests_total{code='599'}[5s]))\") < 1"
run_stagegate run "$WORK/empty.yaml" --out "$WORK/empty" --no-progress
expect_rc 1
r="$WORK/empty/results.json"
[[ "$(jqr "$r" '.stages[0].criteria[0].pass')" == false ]] || fail "no data passed"
[[ "$(jqr "$r" '.stages[0].criteria[0].actual')" == null ]] || fail "no data has an actual"
[[ "$(jqr "$r" '.stages[0].criteria[0].note')" == "no data: the query returned an empty result" ]] ||
  fail "no-data note: $(jqr "$r" '.stages[0].criteria[0].note')"

# A PromQL syntax error: Prometheus' own message ("parse error"), ERROR.
write_pipeline "$WORK/syntax.yaml" "$PROM_URL" "prom(\"sum(rate(http_requests_total[5s])\") < 1"
run_stagegate run "$WORK/syntax.yaml" --out "$WORK/syntax" --no-progress
expect_rc 3
reason=$(jqr "$WORK/syntax/results.json" '.reason')
[[ "$reason" == *"rejected the query (HTTP 400, bad_data): "*"parse error"* ]] ||
  fail "syntax error reason: $reason"
grep -q "parse error" "$WORK/stdout.txt" "$WORK/stderr.txt" || fail "console lacks the parse error"

# Several series: ERROR naming the labels.
write_pipeline "$WORK/series.yaml" "$PROM_URL" "prom(\"up or vector(1)\") < 5"
run_stagegate run "$WORK/series.yaml" --out "$WORK/series" --no-progress
expect_rc 3
reason=$(jqr "$WORK/series/results.json" '.reason')
[[ "$reason" == *"the query returned 2 series ("*"instance=\"127.0.0.1:$port\""*"aggregate them"* ]] ||
  fail "several-series reason: $reason"

# Unreachable: a port nothing listens on. ERROR naming the URL and curl's error.
dead="http://127.0.0.1:$(free_port)"
write_pipeline "$WORK/dead.yaml" "$dead" "prom(\"up\") == 1"
run_stagegate run "$WORK/dead.yaml" --out "$WORK/dead" --no-progress
expect_rc 3
reason=$(jqr "$WORK/dead/results.json" '.reason')
[[ "$reason" == *"Prometheus at $dead is unreachable: "*"curl error 7"* ]] ||
  fail "unreachable reason: $reason"

# Without metrics.prometheus: invalid, with the criterion's line:col.
grep -v -e '^metrics:' -e 'prometheus: {' "$WORK/empty.yaml" >"$WORK/none.yaml"
run_stagegate validate "$WORK/none.yaml"
expect_rc 2
grep -q "none.yaml:1[0-9]:[0-9]*: .*needs a Prometheus to ask" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "validate did not name the prom criterion's position: $(cat "$WORK/stderr.txt")"
echo "ok (no data FAILs, syntax error and several series and unreachable are ERROR, unconfigured is invalid)"
