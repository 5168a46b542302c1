# Attach mode with health and nothing running: the wait is health.startup_timeout (a pipeline
# key; it used to be a fixed 30 s) and the console says what it waits for each second.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
sed 's/^  url: \/health$/  url: \/health\n  startup_timeout: 3s/' "$PIPELINES/attach.yaml" >"$WORK/attach.yaml"
grep -q "startup_timeout: 3s" "$WORK/attach.yaml" || fail "test set-up: startup_timeout not added"
run_stagegate run "$WORK/attach.yaml" --out "$WORK/out" --no-progress
expect_rc 3
out="$WORK/stdout.txt"
waits=$(grep -c "waiting for GET http://127.0.0.1:$PORT/health" "$out" || true)
(( waits >= 1 )) || { cat "$out"; fail "the console says what it waits for"; }
grep -q "connection refused" "$out" || fail "the console gives the last answer"
grep -q "within 3s" "$out" || { cat "$out"; fail "the wait is health.startup_timeout"; }
[[ $(jqr "$WORK/out/results.json" .verdict) == ERROR ]] || fail "verdict ERROR"
(( ELAPSED_MS < 25000 )) || fail "waited ${ELAPSED_MS} ms: not the 3 s startup_timeout"
echo "ok (${waits} waiting lines, ${ELAPSED_MS} ms)"
