# `target.insecure: true` (TLS verification off) is never silent: a warning on the console,
# in stagegate.log, in results.json and in both reports. Without it there is no warning.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) INSECURE=true
run_stagegate run "$PIPELINES/faults.yaml" --only smoke --out "$WORK/out" --no-progress
expect_rc 0
grep -q "^stagegate: warning: target.insecure is true: TLS certificates are not verified" \
  "$WORK/stdout.txt" || fail "warning on the console"
grep -q "warning.*target.insecure is true" "$WORK/out/stagegate.log" || fail "warning in stagegate.log"
[[ $(jqr "$WORK/out/results.json" '.warnings[0]') == "target.insecure is true"* ]] || fail "results.json"
grep -q "^- \*\*Warning:\*\* target.insecure is true" "$WORK/out/report.md" || fail "report.md"
grep -q "Warning:</strong> target.insecure is true" "$WORK/out/report.html" || fail "report.html"
# Captured first: grep -q stops reading at its match, and a report longer than a pipe's buffer
# would then end in SIGPIPE (a pipefail failure that says nothing about the warning).
"$STAGEGATE" report "$WORK/out/results.json" --format md >"$WORK/report-again.md"
grep -q "Warning:\*\* target.insecure" "$WORK/report-again.md" \
  || fail "stagegate report reads the warning back from results.json"

export PORT=$(free_port) INSECURE=false
run_stagegate run "$PIPELINES/faults.yaml" --only smoke --out "$WORK/secure" --no-progress
expect_rc 0
! grep -q "target.insecure" "$WORK/stdout.txt" "$WORK/secure/report.md" "$WORK/secure/stagegate.log" \
  || fail "a warning without target.insecure"
[[ $(jqr "$WORK/secure/results.json" 'has("warnings")') == false ]] || fail "no warnings key"
echo "ok"
