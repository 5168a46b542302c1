# prom("...") criteria against a real Prometheus (Debian's, on a loopback port, scraping two
# demo backends every second): a healthy backend PASSes (an instant query at the stage end
# and a windowed criterion judged through query_range on every point), a backend answering
# 5xx FAILs with the error ratio as the criterion's actual in every output.
source "$(dirname "$0")/lib.sh"
need prometheus
need curl
need jq
good=$(free_port)
start_backend "$good" DISABLE_RATE_LIMIT=true
bad=$(free_port)
# Every second request of the history route fails with an injected 500 (deterministic).
start_backend "$bad" DISABLE_RATE_LIMIT=true FAULT_ERROR_RATE=0.5
start_prometheus "$good" "$bad"

# usage: write_pipeline FILE PORT  (attach mode: the backends run already)
write_pipeline() {
  cat >"$1" <<YAML
version: 1
name: prom-criteria
target: { base_url: "http://127.0.0.1:$2" }
health: { url: /health }
metrics:
  prometheus: { url: "$PROM_URL/", headers: { Authorization: "Bearer \${PROM_TOKEN}" } }
scenario:
  operations:
    - name: history
      path: /conversations/c1/messages?limit=5
      expect: { status: 200 }
stages:
  - name: watch
    vus: 2
    duration: 7s
    criteria:
      - prom("(sum(rate(http_requests_total{instance='127.0.0.1:$2', code=~'5..'}[5s])) or vector(0)) / sum(rate(http_requests_total{instance='127.0.0.1:$2'}[5s]))") < 1%
      - 'prom(''sum(rate(http_requests_total{instance="127.0.0.1:$2"}[3s]))'') > 5/s over 3s'
YAML
}

export PROM_TOKEN=prom-secret-token-1234
write_pipeline "$WORK/good.yaml" "$good"
run_stagegate run "$WORK/good.yaml" --out "$WORK/good" --no-progress
expect_rc 0
r="$WORK/good/results.json"
[[ "$(jqr "$r" '.verdict')" == PASS ]] || fail "healthy backend: verdict $(jqr "$r" '.verdict')"
ratio=$(jqr "$r" '.stages[0].criteria[0].actual')
awk -v r="$ratio" 'BEGIN { exit !(r == 0) }' || fail "healthy backend: 5xx ratio $ratio, expected 0"
rps=$(jqr "$r" '.stages[0].criteria[1].actual')
awk -v r="$rps" 'BEGIN { exit !(r > 5) }' || fail "healthy backend: worst rate $rps"
note=$(jqr "$r" '.stages[0].criteria[1].note')
[[ "$note" == "worst of 2 points (one every 3s) at "* ]] || fail "windowed note: $note"
# The windowed criterion went through query_range with step 3 from start+3s; the other through
# an instant query with time= the stage end.
log="$WORK/prometheus-queries.log"
logged() { jq -c "select(.params.query? // \"\" | test(\"$1\")) | select(.params.step == $2)" "$log"; }
[[ -n "$(logged '\\[3s\\]' 3)" ]] ||
  fail "no range query with step 3 in the query log: $(cat "$log")"
[[ -n "$(logged 'vector\\(0\\)' 0)" ]] ||
  fail "no instant query in the query log"
grep -q "prom-secret-token-1234" "$WORK/good"/* "$WORK/stdout.txt" "$WORK/stderr.txt" &&
  fail "the Prometheus header's secret leaked into an output"

write_pipeline "$WORK/bad.yaml" "$bad"
run_stagegate run "$WORK/bad.yaml" --out "$WORK/bad" --no-progress
expect_rc 1
r="$WORK/bad/results.json"
[[ "$(jqr "$r" '.verdict')" == FAIL ]] || fail "5xx backend: verdict $(jqr "$r" '.verdict')"
[[ "$(jqr "$r" '.stages[0].criteria[0].pass')" == false ]] || fail "the 5xx ratio passed"
ratio=$(jqr "$r" '.stages[0].criteria[0].actual')
awk -v r="$ratio" 'BEGIN { exit !(r > 0.3 && r < 0.7) }' || fail "5xx ratio $ratio, expected about 0.5"
shown=$(printf '%.2g' "$ratio")
# The actual is in every output: console, report.md, report.html, junit.xml.
grep -q "prom(" "$WORK/stdout.txt" || fail "console does not show the prom criterion"
grep -q "0\.[3-6][0-9]*" "$WORK/bad/report.md" || fail "report.md does not show the ratio ($shown)"
grep -q "prom(" "$WORK/bad/report.html" || fail "report.html does not show the prom criterion"
grep -q "prom(" "$WORK/bad/junit.xml" && grep -q "0\.[3-6]" "$WORK/bad/junit.xml" ||
  fail "junit.xml does not show the prom criterion and its actual"
# results.json with prom criteria validates against its schema (when the npm tools are there).
ajv="$SOURCE_DIR/tests/schema/node_modules/.bin/ajv"
if [[ -x "$ajv" ]]; then
  "$STAGEGATE" schema results >"$WORK/results.schema.json"
  for out in good bad; do
    "$ajv" validate --spec=draft7 -c ajv-formats -s "$WORK/results.schema.json" \
      -d "$WORK/$out/results.json" >"$WORK/ajv.txt" 2>&1 || { cat "$WORK/ajv.txt" >&2; fail "$out/results.json invalid"; }
  done
fi
# A stored results.json renders again with the prom criterion's actual (unit read back).
run_stagegate report "$WORK/bad/results.json" --format md
expect_rc 0
grep -q "| 0\.5 |" "$WORK/stdout.txt" || fail "report from results.json lost the actual: $(grep prom "$WORK/stdout.txt" | head -3)"
echo "ok (healthy: ratio 0 PASS, worst rate $rps/s over 2 range points; 5xx backend: ratio $ratio FAIL)"
