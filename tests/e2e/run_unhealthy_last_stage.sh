# /health turns 503 during the run's last stage: that stage FAILs (exit 1) with a reason that
# names health, the status and the body's status field, and it stops at once. (It used to
# end in PASS, exit 0: health was polled but never judged.)
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) FAULT_UNHEALTHY_AFTER_S=6
# Two stages (--to is not a flag: the last stage is chosen with --only); "load" lasts 30 s,
# so the turn 6 s after the backend started lands inside it with room on a slow machine.
run_stagegate run "$PIPELINES/unhealthy.yaml" --out "$WORK/out" --no-progress \
  --only smoke --only load
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == FAIL ]] || fail "run verdict FAIL, got $(jqr "$r" .verdict)"
[[ $(jqr "$r" '.stages[0].verdict') == PASS ]] || fail "smoke passed before the turn"
[[ $(jqr "$r" '.stages[1].verdict') == FAIL ]] || fail "the last stage FAILs"
reason=$(jqr "$r" '.stages[1].reason')
grep -q "unhealthy" <<<"$reason" || fail "reason names health: $reason"
grep -q "503" <<<"$reason" || fail "reason names the status: $reason"
grep -q '"degraded"' <<<"$reason" || fail "reason names the body's status field: $reason"
grep -q "FAIL" "$WORK/stdout.txt" || fail "console says FAIL"
# Generous bound: the 30 s stage stops at the failed check, not at its end.
[[ $(jqr "$r" '.stages[1].duration_s < 20') == true ]] || fail "the stage stopped at the failed check"
echo "ok (${ELAPSED_MS} ms)"
