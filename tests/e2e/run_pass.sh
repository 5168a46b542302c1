# A passing pipeline: exit 0, every output file, PASS in results.json and the console table.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 0
for f in report.md report.html results.json junit.xml backend.log stagegate.log; do
  [[ -s "$WORK/out/$f" ]] || fail "missing output $f"
done
[[ $(jqr "$WORK/out/results.json" .verdict) == PASS ]] || fail "results.json verdict"
[[ $(jqr "$WORK/out/results.json" '.stages | length') == 2 ]] || fail "two stages"
[[ $(jqr "$WORK/out/results.json" '.highest_passed_stage') == load ]] || fail "highest passed"
[[ $(jqr "$WORK/out/results.json" '.stages[0].metrics.requests > 0') == true ]] || fail "requests"
[[ $(jqr "$WORK/out/results.json" '.stages[0].metrics.operations.send.requests > 0') == true ]] || fail "send requests"
[[ $(jqr "$WORK/out/results.json" '.stages[0].criteria | map(.pass) | all') == true ]] || fail "criteria pass"
grep -q "verdict: PASS" "$WORK/stdout.txt" || fail "console verdict"
grep -q "smoke" "$WORK/stdout.txt" || fail "console stage table"
grep -q "listening" "$WORK/out/backend.log" || fail "backend.log has the backend's output"
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "backend still running after the run"
echo "ok"
