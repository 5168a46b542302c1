# An INVALID pipeline still leaves something in the CI view (issue 14 item 4): the GitHub
# step summary lists every problem at file:line:col, one ::error annotation per problem at
# its position (file relative to GITHUB_WORKSPACE), verdict=INVALID in GITHUB_OUTPUT, and
# --out DIR gets a junit.xml with one failing testcase per problem. Nothing is started.
source "$(dirname "$0")/lib.sh"
need jq
need xmllint
export PORT=$(free_port)
export GITHUB_WORKSPACE="$WORK/ws" GITHUB_ACTIONS=true
export GITHUB_STEP_SUMMARY="$WORK/summary.md" GITHUB_OUTPUT="$WORK/gh-output.txt"
mkdir -p "$GITHUB_WORKSPACE/ci"
pipeline="$GITHUB_WORKSPACE/ci/broken.yaml"
# Two problems at known places: line 6 col 15 (a duration without a unit) and line 9
# col 9 (a criterion on an unknown operation).
cat >"$pipeline" <<'YAML'
version: 1
name: broken
target: { base_url: "http://127.0.0.1:1" }
scenario: { operations: [ { name: send, path: / } ] }
stages:
  - duration: 30
    name: smoke
    criteria:
      - nosuch.metric < 1
    vus: 1
YAML
run_stagegate run "$pipeline" --out "$WORK/out" --no-progress
expect_rc 2
grep -q "broken.yaml:6:15" "$WORK/stderr.txt" ||
    fail "stderr does not name the duration's place"

# Annotations: one per problem, each at its position, relative to the workspace.
grep -a '^::error ' "$WORK/stdout.txt" >"$WORK/annotations.txt" || fail "no annotation"
[[ $(wc -l <"$WORK/annotations.txt") -eq 2 ]] || { cat "$WORK/annotations.txt"; fail "expected 2 annotations"; }
grep -q '^::error file=ci/broken.yaml,line=6,col=15,title=stagegate%3A invalid pipeline::.*duration' \
    "$WORK/annotations.txt" || { cat "$WORK/annotations.txt"; fail "the duration's annotation"; }
grep -q '^::error file=ci/broken.yaml,line=9,col=9,title=.*nosuch' "$WORK/annotations.txt" ||
    { cat "$WORK/annotations.txt"; fail "the criterion's annotation"; }

# Step summary: the verdict and every problem with file:line:col.
grep -q 'INVALID' "$GITHUB_STEP_SUMMARY" || fail "summary has no verdict"
grep -q '`ci/broken.yaml:6:15`' "$GITHUB_STEP_SUMMARY" || { cat "$GITHUB_STEP_SUMMARY"; fail "summary: duration place"; }
grep -q '`ci/broken.yaml:9:9`' "$GITHUB_STEP_SUMMARY" || fail "summary: criterion place"
[[ "$(cat "$GITHUB_OUTPUT")" == "verdict=INVALID" ]] || fail "GITHUB_OUTPUT is not verdict=INVALID"

# junit.xml: one failing testcase per problem, with file, well-formed.
junit="$WORK/out/junit.xml"
[[ -s "$junit" ]] || fail "no junit.xml for the INVALID run"
xmllint --noout "$junit" || fail "junit.xml is not well-formed"
[[ $(grep -c '<testcase ' "$junit") -eq 2 ]] || fail "expected 2 testcases"
[[ $(grep -c '<failure ' "$junit") -eq 2 ]] || fail "expected 2 failures"
grep -q "<testsuites name=\"stagegate\" tests=\"2\" failures=\"2\"" "$junit" || fail "junit totals"
grep -q "file=\"$pipeline\" line=\"6\"" "$junit" || fail "the testcase has no file and line"
# Valid for the Jenkins xUnit XSD once the file/line extension attributes are set aside.
sed -E 's/ (file|line)="[^"]*"//g' "$junit" >"$WORK/junit-xsd.xml"
xmllint --noout --schema "$SOURCE_DIR/tests/fixtures/junit/junit-10.xsd" "$WORK/junit-xsd.xml" ||
    fail "junit.xml does not validate against junit-10.xsd"
# Nothing ran: no results.json, no backend.
[[ ! -e "$WORK/out/results.json" ]] || fail "an INVALID run wrote results.json"

# `stagegate validate` in a GitHub job annotates the same problems (no junit.xml: no --out).
run_stagegate validate "$pipeline"
expect_rc 2
[[ $(grep -c -a '^::error file=ci/broken.yaml,line=' "$WORK/stdout.txt") -eq 2 ]] || fail "validate: 2 annotations"

# Without --out, nothing is written (the folder's name would be new each run).
unset GITHUB_STEP_SUMMARY GITHUB_OUTPUT GITHUB_ACTIONS
cd "$WORK" && run_stagegate run "$pipeline" --no-progress
expect_rc 2
[[ ! -e "$WORK/stagegate-out" ]] || fail "an INVALID run without --out created stagegate-out/"
! grep -aq '^::' "$WORK/stdout.txt" || fail "an annotation without GITHUB_ACTIONS"
echo "ok"
