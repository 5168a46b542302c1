# `--baseline RESULTS.json`: a baseline criterion passes a run that did not regress and
# fails one that regressed by more than its budget (demo FAULT_LATENCY_MS=60), with the
# baseline value and computed target in results.json and report.md. Without --baseline,
# or with a bad baseline file, nothing starts (exit 2).
source "$(dirname "$0")/lib.sh"
need jq
pipeline="$PIPELINES/baseline.yaml"

# validate accepts baseline criteria and says they need --baseline.
export PORT=$(free_port)
run_stagegate validate "$pipeline"
expect_rc 0
grep -q "needs --baseline" "$WORK/stdout.txt" || fail "validate mentions --baseline"

# run without --baseline: exit 2, naming the criterion's file:line:col.
run_stagegate run "$pipeline" --out "$WORK/none" --no-progress
expect_rc 2
grep -Eq "baseline.yaml:[0-9]+:[0-9]+: criterion \"send.p95 < max\(baseline" "$WORK/stderr.txt" \
  || fail "no --baseline: message names file:line:col"
[[ ! -e "$WORK/none/results.json" ]] || fail "no --baseline: nothing runs"

# Bad baseline files: missing, not JSON, another schema.
run_stagegate run "$pipeline" --out "$WORK/bad" --no-progress --baseline "$WORK/nosuch.json"
expect_rc 2
grep -q -- "--baseline: .*nosuch.json" "$WORK/stderr.txt" || fail "missing baseline file named"
echo "not json" >"$WORK/text.json"
run_stagegate run "$pipeline" --out "$WORK/bad" --no-progress --baseline "$WORK/text.json"
expect_rc 2
grep -q "is not JSON" "$WORK/stderr.txt" || fail "non-JSON baseline"
echo '{"schema": "something/else"}' >"$WORK/other.json"
run_stagegate run "$pipeline" --out "$WORK/bad" --no-progress --baseline "$WORK/other.json"
expect_rc 2
grep -q "unsupported results schema" "$WORK/stderr.txt" || fail "wrong-schema baseline"
[[ ! -e "$WORK/bad/results.json" ]] || fail "bad baseline: nothing runs"

# The baseline: the same stage ("smoke") run by the basic pipeline.
export PORT=$(free_port)
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/base" --no-progress --only smoke
expect_rc 0
base="$WORK/base/results.json"
base_p95=$(jqr "$base" '.stages[0].metrics.operations.send.p95')

# Unchanged backend: PASS, with the baseline value and the computed target recorded.
export PORT=$(free_port)
run_stagegate run "$pipeline" --out "$WORK/same" --no-progress --baseline "$base"
expect_rc 0
crit='.stages[0].criteria[] | select(.metric == "send.p95")'
[[ $(jqr "$WORK/same/results.json" "$crit | .baseline") == "$base_p95" ]] || fail "baseline value"
[[ $(jqr "$WORK/same/results.json" "$crit | .target == ([.baseline * 1.5, .baseline + 30] | max)") == true ]] \
  || fail "computed target"
grep -q "target < " "$WORK/stdout.txt" || fail "console shows the computed target"

# Regressed backend (+60 ms per request): FAIL, exit 1.
export PORT=$(free_port) FAULT_LATENCY_MS=60
run_stagegate run "$pipeline" --out "$WORK/slow" --no-progress --baseline "$base"
expect_rc 1
unset FAULT_LATENCY_MS
slow="$WORK/slow/results.json"
[[ $(jqr "$slow" "$crit | .pass") == false ]] || fail "regressed run fails the baseline criterion"
[[ $(jqr "$slow" "$crit | .baseline") == "$base_p95" ]] || fail "regressed: baseline value"
[[ $(jqr "$slow" "$crit | .actual > .target") == true ]] || fail "regressed: actual above target"
grep -q "### Baseline" "$WORK/slow/report.md" || fail "report.md baseline section"
grep -q "send p95 vs baseline" "$WORK/slow/report.md" || fail "report.md names the criterion"
grep -Eq '\| \+[0-9.]+% \|' "$WORK/slow/report.md" || fail "report.md shows the change"

# A stage missing from the baseline: the criterion fails with "no baseline data".
jq '.stages[0].name = "elsewhere"' "$base" >"$WORK/renamed.json"
export PORT=$(free_port)
run_stagegate run "$pipeline" --out "$WORK/missing" --no-progress --baseline "$WORK/renamed.json"
expect_rc 1
[[ $(jqr "$WORK/missing/results.json" "$crit | .note") == 'no baseline data: stage "smoke" is not in the baseline run' ]] \
  || fail "no baseline data note"
[[ $(jqr "$WORK/missing/results.json" "$crit | .target") == null ]] || fail "no target without baseline"
echo "ok"
