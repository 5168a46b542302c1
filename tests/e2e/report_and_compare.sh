# `stagegate report` re-renders every format from results.json; `stagegate compare` of a
# passing and a failing run shows the regressions.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/good" --no-progress --only smoke
expect_rc 0
export PORT=$(free_port) FAULT_ERROR_RATE=0.3
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/bad" --no-progress --only smoke
expect_rc 1
for format in md html junit json; do
  run_stagegate report "$WORK/good/results.json" --format "$format" -o "$WORK/re.$format"
  expect_rc 0
  [[ -s "$WORK/re.$format" ]] || fail "report --format $format"
done
cmp -s "$WORK/re.md" "$WORK/good/report.md" || fail "re-rendered report.md differs from the run's"
run_stagegate report "$WORK/good/results.json" --format pdf; expect_rc 2
run_stagegate report "$WORK/nosuch.json"; expect_rc 2
run_stagegate compare "$WORK/good/results.json" "$WORK/bad/results.json"
expect_rc 0
grep -q "success_rate" "$WORK/stdout.txt" || fail "compare lists success_rate"
grep "success_rate" "$WORK/stdout.txt" | head -1 | grep -q "worse" || fail "success_rate got worse"
run_stagegate compare "$WORK/good/results.json" "$WORK/bad/results.json" --format json
expect_rc 0
[[ $(jq -r '[.rows[] | select(.metric == "errors")][0].direction' "$WORK/stdout.txt") == worse ]] || fail "json compare"
[[ $(jq -r '[.rows[] | select(.metric == "errors")][0].unit' "$WORK/stdout.txt") == count ]] || fail "json units"
hidden=$(jq '.hidden' "$WORK/stdout.txt")
shown=$(jq '.rows | length' "$WORK/stdout.txt")
# A run compared with itself: every change is noise, nothing shown; --all shows every row.
run_stagegate compare "$WORK/good/results.json" "$WORK/good/results.json"
expect_rc 0
grep -q "Every change is within noise." "$WORK/stdout.txt" || fail "self-compare shows changes"
run_stagegate compare "$WORK/good/results.json" "$WORK/bad/results.json" --format json --all
expect_rc 0
[[ $(jq '.rows | length' "$WORK/stdout.txt") == $((hidden + shown)) ]] || fail "--all shows every row"
run_stagegate compare "$WORK/good/results.json" "$WORK/bad/results.json" --all
expect_rc 0
grep -Eq '^\| p95 \| [0-9.,]+ (ms|µs|s) \| [0-9.,]+ (ms|µs|s) \|' "$WORK/stdout.txt" || fail "latency without units"
grep -q '^### Operation ' "$WORK/stdout.txt" || fail "compare has no per-operation table"
echo "ok"
