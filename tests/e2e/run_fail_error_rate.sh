# Application errors in 500 bodies: the stage fails, the Prisma body pattern is counted,
# the later stage is skipped, exit 1, and a hint names the evidence.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_ERROR_RATE=0.2
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == FAIL ]] || fail "verdict"
[[ $(jqr "$r" '.stages[0].verdict') == FAIL ]] || fail "smoke fails"
[[ $(jqr "$r" '.stages[1].verdict') == SKIPPED ]] || fail "load skipped"
[[ $(jqr "$r" '.stages[0].metrics.errors.body.prisma > 0') == true ]] || fail "prisma pattern counted"
[[ $(jqr "$r" '.stages[0].metrics.errors.status_5xx > 0') == true ]] || fail "5xx counted"
[[ $(jqr "$r" '[.stages[0].criteria[] | select(.expr == "errors.body.prisma == 0")][0].pass') == false ]] || fail "criterion failed"
grep -q "prisma" "$WORK/out/report.md" || fail "report mentions the pattern"
grep -q 'hint: .* failed responses matched body pattern "prisma": application errors.*(evidence: errors.body.prisma); sample body: .*prisma' \
  "$WORK/stdout.txt" || fail "console shows the body-pattern hint with a sample body"
echo "ok"
