# issue 19.1: `--set` edits the path it names, not every alias of it. chat-quick.yaml shares
# one latency table between its stages (`criteria: &latency` / `*latency`); loosening smoke's
# send.p95 must leave load's `send.p95 < 250ms` in place. The backend adds 300 ms to every
# request, so load must FAIL on it (before the fix the override reached load too: PASS).
source "$(dirname "$0")/lib.sh"
export PORT
PORT=$(free_port)
cd "$SOURCE_DIR"
run_stagegate run pipelines/chat-quick.yaml --out "$WORK/out" --no-progress --only load \
  --set 'stages.smoke.criteria[0]=send.p95 < 10s' --set backend.env.FAULT_LATENCY_MS=300 \
  --set 'stages[*].duration=2s' --set 'stages[*].ramp_up=0s' --set stages.load.vus=4
expect_rc 1
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].name') == load ]] || fail "only load ran"
[[ $(jqr "$r" '.stages[0].verdict') == FAIL ]] || fail "load must fail on its own send.p95 < 250ms"
jqr "$r" '.stages[0].criteria[].expr' | grep -qxF 'send.p95 < 250ms' ||
  fail "load lost its send.p95 < 250ms criterion"
! jqr "$r" '.stages[0].criteria[].expr' | grep -qF '10s' || fail "smoke's override reached load"
[[ $(jqr "$r" '.stages[0].criteria[] | select(.expr == "send.p95 < 250ms") | .pass') == false ]] ||
  fail "send.p95 < 250ms should fail with 300 ms added per request"

# The override itself applies where it was aimed, and validate agrees.
run_stagegate validate pipelines/chat-quick.yaml --set 'stages.smoke.criteria[0]=send.p95 < 10s'
expect_rc 0
echo "ok"
