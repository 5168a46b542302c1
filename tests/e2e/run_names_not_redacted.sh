# Only secret headers are secrets: with Accept-Encoding: gzip and X-Stage: load, the
# operation "gzip", the stage "load" and the pipeline "gzip-load" keep their names in
# results.json, report.md and on the console. A name that holds a secret value is refused
# before the run (exit 2), the secret not shown.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
start_backend "$PORT" DISABLE_RATE_LIMIT=true
cat >"$WORK/gzip-load.yaml" <<YAML
version: 1
name: gzip-load
target:
  base_url: http://127.0.0.1:$PORT
  headers: { Accept-Encoding: gzip, X-Stage: load, X-Api-Key: "key-canary-4411" }
scenario:
  operations:
    - { name: gzip, path: "/conversations/c1/messages?userId=1&limit=2" }
stages:
  - { name: load, vus: 2, duration: 1s, criteria: ["gzip.success_rate == 100%"] }
YAML
run_stagegate run "$WORK/gzip-load.yaml" --out "$WORK/out" --no-progress
expect_rc 0
results="$WORK/out/results.json"
[[ "$(jqr "$results" '.stages[0].name')" == load ]] || fail "stage name rewritten: $(jqr "$results" '.stages[0].name')"
[[ "$(jqr "$results" '.highest_passed_stage')" == load ]] || fail "highest_passed_stage rewritten"
[[ "$(jqr "$results" '.pipeline.name')" == gzip-load ]] || fail "pipeline name rewritten"
[[ "$(jqr "$results" '.stages[0].metrics.operations.gzip.requests')" -gt 0 ]] ||
  fail "operation gzip missing from results.json"
grep -q '\*\*\*' "$WORK/stdout.txt" "$WORK/out/report.md" "$results" &&
  fail "something was redacted although no secret is in it: $(grep -h '\*\*\*' "$WORK/stdout.txt" "$WORK/out/report.md" | head -3)"
grep -q "load" "$WORK/stdout.txt" || fail "the console does not name the stage load"
! grep -rq "key-canary-4411" "$WORK/out" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "the X-Api-Key value leaked"

# A stage named after a secret value: refused at validation, the value not shown.
sed 's/name: load,/name: key-canary-4411-stage,/' "$WORK/gzip-load.yaml" >"$WORK/bad.yaml"
run_stagegate run "$WORK/bad.yaml" --out "$WORK/bad-out" --no-progress
expect_rc 2
grep -q "stage name contains the value of a secret" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "no diagnostic about the secret in the stage name"
! grep -q "key-canary-4411" "$WORK/stdout.txt" "$WORK/stderr.txt" || fail "the secret was shown"
[[ ! -e "$WORK/bad-out/results.json" ]] || fail "the run started"
echo ok
