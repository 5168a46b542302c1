# The CLI's contract: versions, help on every verb, validate, schema, and exit 2 for bad
# command lines.
source "$(dirname "$0")/lib.sh"
export PORT=8080
run_stagegate --version; expect_rc 0; grep -q "^stagegate " "$WORK/stdout.txt" || fail version
for verb in run validate report compare schema; do
  run_stagegate "$verb" --help; expect_rc 0; grep -q "Usage: stagegate $verb" "$WORK/stdout.txt" || fail "$verb --help"
done
run_stagegate frobnicate; expect_rc 2; grep -q "unknown command" "$WORK/stderr.txt" || fail "unknown verb"
run_stagegate rnu; expect_rc 2; grep -q 'did you mean "run"' "$WORK/stderr.txt" || fail "did-you-mean verb"
run_stagegate run "$PIPELINES/basic.yaml" --thread 2; expect_rc 2; grep -q "did you mean \"--threads\"" "$WORK/stderr.txt" || fail "did-you-mean option"
run_stagegate run; expect_rc 2
run_stagegate validate "$PIPELINES/basic.yaml"; expect_rc 0; grep -q "valid" "$WORK/stdout.txt" || fail "validate ok"
for f in "$SOURCE_DIR"/pipelines/*.yaml; do
  run_stagegate validate "$f"; expect_rc 0
done
run_stagegate run "$PIPELINES/basic.yaml" --only nosuch; expect_rc 2; grep -q "no stage named" "$WORK/stderr.txt" || fail "--only unknown"
run_stagegate run "$PIPELINES/basic.yaml" --threads 0; expect_rc 2
run_stagegate run "$PIPELINES/basic.yaml" --set 'stages[0].duration=30'; expect_rc 2
grep -q "try 30s" "$WORK/stderr.txt" || fail "bare number hint"
for s in pipeline results stage-result; do
  run_stagegate schema "$s"; expect_rc 0; jq -e . "$WORK/stdout.txt" >/dev/null || fail "schema $s is JSON"
done
run_stagegate schema nosuch; expect_rc 2
unset PORT
run_stagegate validate "$PIPELINES/basic.yaml"; expect_rc 2; grep -q "PORT" "$WORK/stderr.txt" || fail "unset variable named"
echo "ok"
