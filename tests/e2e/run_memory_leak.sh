# A leaking backend (the demo's FAULT_LEAK_KB_PER_REQUEST) is caught by
# `backend.memory_growth < 20%`: the stage fails with the growth it measured, exit 1.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_LEAK_KB_PER_REQUEST=512 MAX_MEMORY_GROWTH=20 SMOKE_DURATION=2s
run_stagegate run "$PIPELINES/faults.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].verdict') == FAIL ]] || fail "smoke fails: $(jqr "$r" '.stages[0].reason')"
c='[.stages[0].criteria[] | select(.expr == "backend.memory_growth < 20%")][0]'
[[ $(jqr "$r" "$c.pass") == false ]] || fail "memory criterion failed: $(jqr "$r" "$c")"
[[ $(jqr "$r" "$c.actual > 20") == true ]] || fail "actual growth shown: $(jqr "$r" "$c")"
[[ $(jqr "$r" '.stages[0].backend.memory_growth > 20') == true ]] || fail "backend.memory_growth"
[[ $(jqr "$r" '.stages[0].backend.rss_end > .stages[0].backend.rss_start') == true ]] || fail "rss grew"
[[ $(jqr "$r" '.stages[0].reason') == *"backend.memory_growth < 20%"* ]] || fail "reason names it"
grep -q "backend.memory_growth < 20%" "$WORK/stdout.txt" || fail "console shows the criterion"
[[ $(jqr "$r" '.stages[1].verdict') == SKIPPED ]] || fail "load skipped"
echo "ok (growth $(jqr "$r" "$c.actual")%)"
