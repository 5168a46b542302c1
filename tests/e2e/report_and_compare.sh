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
echo "ok"
