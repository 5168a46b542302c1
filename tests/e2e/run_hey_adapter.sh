# The hey adapter (plugins/adapters/hey) end to end: the shipped pipelines/chat-hey.yaml,
# shortened, runs hey against the real demo backend and PASSes with hey's numbers under the
# `history` operation; with the backend failing 30% of requests the same table FAILs on
# success_rate and errors.status_5xx; against a port nothing listens on the adapter counts
# refused connections; a stage with `rate:` is refused with a clear message.
source "$(dirname "$0")/lib.sh"
need hey
need jq
cd "$SOURCE_DIR"
export PORT=$(free_port)
export STAGEGATE_BACKEND=$(realpath --relative-to="$SOURCE_DIR" "$CHAT_BACKEND")
short=(--no-progress --set 'stages[*].duration=2s' --set defaults.cooldown=0s)

run_stagegate run pipelines/chat-hey.yaml --out "$WORK/pass" "${short[@]}"
expect_rc 0
r="$WORK/pass/results.json"
jq -e '.stages | length == 2 and all(.verdict == "PASS")' "$r" >/dev/null || fail "not two passing stages"
jq -e '.stages[0].metrics.operations.history.requests > 0' "$r" >/dev/null || fail "no history requests from hey"
jq -e '.stages[0].metrics.operations.history.p95 > 0' "$r" >/dev/null || fail "no history p95 from hey"
jq -e '.stages[1].extra.tool.name == "hey" or (.stages[1].extra | tostring | contains("hey"))' "$r" >/dev/null ||
  fail "the results do not name hey as the tool"

# The same table on a failing backend: the verdict follows hey's status counts.
run_stagegate run pipelines/chat-hey.yaml --out "$WORK/fail" "${short[@]}" \
  --set backend.env.FAULT_ERROR_RATE=0.3
expect_rc 1
f="$WORK/fail/results.json"
jq -e '.stages[0].verdict == "FAIL"' "$f" >/dev/null || fail "the faulty backend's stage did not fail"
jq -e '[.stages[0].criteria[] | select(.pass == false) | .expr] | index("success_rate > 99%") != null' "$f" >/dev/null ||
  fail "success_rate did not fail"
jq -e '.stages[0].metrics.errors.status_5xx > 0' "$f" >/dev/null || fail "no 5xx counted from hey"

# The adapter alone: refused connections are counted, not lost (hey prints no row for them).
STAGEGATE_RESULT_FILE="$WORK/refused.json" STAGEGATE_BASE_URL="http://127.0.0.1:$(free_port)" \
  STAGEGATE_VUS=2 STAGEGATE_DURATION_S=0.3 plugins/adapters/hey/stagegate-hey.sh --operation history / \
  >"$WORK/refused.log" 2>&1 || fail "the adapter failed on refused connections"
jq -e '.operations[0].requests > 0 and .operations[0].errors.connection_refused == .operations[0].requests' \
  "$WORK/refused.json" >/dev/null || fail "refused connections not counted: $(cat "$WORK/refused.json")"
# An open-model stage is refused, naming the stage.
STAGEGATE_RESULT_FILE="$WORK/rate.json" STAGEGATE_BASE_URL=http://127.0.0.1:1 STAGEGATE_STAGE=burst \
  STAGEGATE_RATE=100 plugins/adapters/hey/stagegate-hey.sh / >"$WORK/rate.log" 2>&1 && fail "rate accepted"
grep -q 'stage burst has rate 100/s' "$WORK/rate.log" || fail "rate refusal does not name the stage"
echo "ok"
