# The backend crashes during the cooldown before the second stage (misbehave exits with
# code 3 once the load has been idle for 1 s of the 4 s cooldown): noticed at once, the run
# FAILs (exit 1) with the exit code and "cooldown before" the stage in the reason, the
# report shows backend.log's last lines, and the later stages are skipped.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) MISBEHAVE=exit-when-idle=1 COOLDOWN=4s
run_stagegate run "$PIPELINES/faults.yaml" --out "$WORK/out" --no-progress
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == FAIL ]] || fail "verdict FAIL"
[[ $(jqr "$r" '.stages[0].verdict') == PASS ]] || fail "smoke ran and passed: $(jqr "$r" '.stages[0].reason')"
[[ $(jqr "$r" '.stages[1].verdict') == FAIL ]] || fail "load fails"
reason=$(jqr "$r" '.stages[1].reason')
[[ "$reason" == *"cooldown before \"load\""* ]] || fail "reason says when: $reason"
[[ "$reason" == *"exited with code 3"* ]] || fail "reason names the exit code: $reason"
[[ $(jqr "$r" '.stages[2].verdict') == SKIPPED ]] || fail "soak skipped"
grep -q "cooldown before" "$WORK/stdout.txt" || fail "console names the cooldown"
grep -q "## Backend log" "$WORK/out/report.md" || fail "report has the backend log section"
grep -q "misbehave: no load request" "$WORK/out/report.md" || fail "report shows backend.log's last lines"
# Noticed at once, not when the 4 s cooldown ends ("crashed 1.2s into the cooldown").
into=$(sed -n 's/.*crashed \([0-9.]*\)s into the cooldown.*/\1/p' <<<"$reason")
[[ -n "$into" ]] && awk -v s="$into" 'BEGIN { exit !(s < 3.5) }' || fail "noticed late: $reason"
echo "ok (${ELAPSED_MS} ms)"
