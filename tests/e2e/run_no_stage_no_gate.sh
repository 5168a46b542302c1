# issue 19.2: a run is never PASS over nothing. A stage selection that selects no stage is
# INVALID naming both options; a stage without a fail criterion is "no gate" in every
# output, and --strict refuses it.
source "$(dirname "$0")/lib.sh"
export PORT
PORT=$(free_port)

# 1. --only before --from: nothing selected, nothing started, exit 2.
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/none" --only smoke --from load
expect_rc 2
grep -q -- "--only smoke" "$WORK/stderr.txt" || fail "the message names --only"
grep -q -- "--from load" "$WORK/stderr.txt" || fail "the message names --from"
grep -q "select no stage" "$WORK/stderr.txt" || fail "the message says nothing is selected"
# An INVALID run starts nothing and writes only junit.xml (one failing testcase per
# problem, for the CI view): no results, no reports.
[[ ! -e "$WORK/none/results.json" && ! -e "$WORK/none/report.md" ]] || fail "a run of no stage wrote results or reports"
grep -q "<failure" "$WORK/none/junit.xml" || fail "INVALID left no failing junit.xml in $WORK/none"
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "a backend was started"

# 2. No fail criterion (a warn one only): the run passes, and every output says "no gate".
nogate=(--set 'defaults.criteria=[]' --set 'stages.smoke.criteria=[{expr: "errors == 0", severity: warn}]'
        --only smoke --set stages.smoke.duration=1s)
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress "${nogate[@]}"
expect_rc 0
o="$WORK/out"
grep -q 'no gate: the stage has no fail criterion' "$WORK/stdout.txt" || fail "console stage line"
grep -E '^smoke .*PASS \(no gate\)' "$WORK/stdout.txt" >/dev/null || fail "console table"
[[ $(jqr "$o/results.json" '.stages[0].no_gate') == true ]] || fail "results.json no_gate"
grep -q 'PASS (no gate)' "$o/report.md" || fail "report.md table"
grep -q 'no gate: the stage has no fail criterion' "$o/report.md" || fail "report.md stage section"
grep -q '(no gate)' "$o/report.html" || fail "report.html table"
grep -q 'class="no-gate"' "$o/report.html" || fail "report.html stage section"
grep -q '<property name="gate" value="none"/>' "$o/junit.xml" || fail "junit property"
grep -q '<skipped message="no gate: the stage has no fail criterion' "$o/junit.xml" ||
  fail "junit shows the stage as skipped"
if [[ -x "$SOURCE_DIR/tests/schema/node_modules/.bin/ajv" ]]; then
  (cd "$SOURCE_DIR/tests/schema" &&
     node_modules/.bin/ajv validate --spec=draft7 -s "$SOURCE_DIR/schemas/results.schema.json" \
       -c ajv-formats -d "$o/results.json" >"$WORK/ajv.txt" 2>&1) ||
    { cat "$WORK/ajv.txt"; fail "results.json does not match its schema"; }
fi

# A gated stage is not marked.
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/gated" --no-progress --only smoke \
  --set stages.smoke.duration=1s
expect_rc 0
[[ $(jqr "$WORK/gated/results.json" '.stages[0].no_gate // false') == false ]] || fail "gated stage marked"
! grep -q 'no gate' "$WORK/stdout.txt" || fail "gated stage reported as no gate"

# 3. --strict refuses it before anything starts.
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/strict" --strict "${nogate[@]}"
expect_rc 2
grep -q -- "--strict: no fail criterion in stage smoke" "$WORK/stderr.txt" || fail "strict message"
# An INVALID run starts nothing and writes only junit.xml (one failing testcase per
# problem, for the CI view): no results, no reports.
[[ ! -e "$WORK/strict/results.json" && ! -e "$WORK/strict/report.md" ]] || fail "--strict refused but wrote results or reports"
grep -q "<failure" "$WORK/strict/junit.xml" || fail "INVALID left no failing junit.xml in $WORK/strict"
echo "ok"
