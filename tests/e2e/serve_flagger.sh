# `stagegate serve` answers Flagger's webhooks (POST /flagger/NAME[/HOOK]) with the payloads of
# tests/fixtures/rollouts/flagger-payloads/ as the README's Flagger table says: pre-rollout
# starts one run per checksum (202 at once, again 202 without a second run); rollout 200 while
# it runs or after it passed, 422 once it failed; confirm-promotion 200 only after a pass;
# rollback 200 only after a failure; post-rollout and event 200; never 204. The hook comes from
# the URL or metadata.hook, the token from the header or metadata.token (Flagger sends no
# headers). Every call is recorded in OUT/flagger.jsonl without the token.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/serve.sh"
need curl
need jq
serve_setup
start_serve
payloads="$SOURCE_DIR/tests/fixtures/rollouts/flagger-payloads"

# hook NAME HOOK PAYLOAD_FILE EXPECTED_STATUS: posts the fixture to /flagger/NAME/HOOK.
hook() {
  api POST "/flagger/$1/$2" "@$3"
  expect_status "$4" "$2 of $1"
  [[ "$STATUS" != 204 ]] || fail "204 is a failure for Flagger"
}

# Before pre-rollout: no run for the checksum.
hook canary rollout "$payloads/payload-rollout.json" 409
hook canary confirm-promotion "$payloads/payload-confirm-promotion.json" 409
hook canary rollback "$payloads/payload-rollback.json" 409

hook canary pre-rollout "$payloads/payload-pre-rollout.json" 202
run=$(body .run)
[[ -n "$run" && "$run" != null ]] || fail "pre-rollout named no run"
hook canary pre-rollout "$payloads/payload-pre-rollout.json" 202
[[ $(body .run) == "$run" ]] || fail "a second pre-rollout for the checksum started another run"
api GET "/runs/$run"
[[ $(body .checksum) == 85d557f47b && $(body .origin) == flagger ]] || fail "run record: $(cat "$WORK/body.json")"

# While it runs.
hook canary rollout "$payloads/payload-rollout.json" 200
hook canary confirm-promotion "$payloads/payload-confirm-promotion.json" 409
hook canary rollback "$payloads/payload-rollback.json" 409

wait_run "$run"
[[ $(body .verdict) == PASS ]] || fail "the canary run: $(cat "$WORK/body.json")"
hook canary rollout "$payloads/payload-rollout.json" 200
hook canary confirm-promotion "$payloads/payload-confirm-promotion.json" 200
hook canary rollback "$payloads/payload-rollback.json" 409
jq -c '.phase = "Succeeded"' "$payloads/payload-confirm-promotion.json" >"$WORK/post-rollout.json"
hook canary post-rollout "$WORK/post-rollout.json" 200
hook canary event "$payloads/payload-event.json" 200

# A failing revision, the way the shipped Canary calls: no header, token and hook in metadata.
flagger() {  # flagger NAME HOOK CHECKSUM EXPECTED_STATUS
  jq -cn --arg h "$2" --arg c "$3" --arg t "$TOKEN" \
    '{name: "chat-api", namespace: "default", phase: "Progressing", checksum: $c,
      metadata: {hook: $h, token: $t}}' >"$WORK/flagger-call.json"
  STATUS=$(curl -s -o "$WORK/body.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$WORK/flagger-call.json" "$SERVE_URL/flagger/$1")
  expect_status "$4" "$2 of $1 (metadata)"
}
flagger failing pre-rollout c0ffee42 202
run2=$(body .run)
flagger failing rollout c0ffee42 200
wait_run "$run2"
[[ $(body .verdict) == FAIL ]] || fail "the failing run: $(cat "$WORK/body.json")"
flagger failing rollout c0ffee42 422
[[ $(body .error) == *"did not pass"* && $(body .verdict) == FAIL ]] || fail "422 reason: $(cat "$WORK/body.json")"
flagger failing confirm-promotion c0ffee42 422
flagger failing rollback c0ffee42 200
# The first revision's run is unaffected: its checksum still passes.
hook canary confirm-promotion "$payloads/payload-confirm-promotion.json" 200

# The URL and metadata.hook disagree; no hook at all.
api POST /flagger/canary/rollout "$(jq -c '.metadata = {hook: "rollback"}' "$payloads/payload-rollback.json")"
expect_status 400 "URL and metadata.hook disagree"
api POST /flagger/canary "@$payloads/payload-rollback.json"
expect_status 400 "no hook named"

log="$WORK/serve/flagger.jsonl"
[[ $(wc -l <"$log") -ge 18 ]] || fail "flagger.jsonl has $(wc -l <"$log") lines"
grep -q "$TOKEN" "$log" && fail "the token is in flagger.jsonl"
grep -q '16688eb5e9f289f1991c' "$log" && fail "the rollout payload's metadata.token is in flagger.jsonl"
jq -e -s 'any(.[]; .hook == "event" and .metadata.eventMessage == "Advance podinfo.test canary weight 10")' "$log" >/dev/null \
  || fail "the event was not recorded"
stop_serve
[[ "$SERVE_RC" == 0 ]] || fail "serve exited $SERVE_RC"
echo "ok (Flagger table walked with the fixture payloads)"
