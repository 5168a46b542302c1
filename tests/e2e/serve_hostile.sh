# `stagegate serve` refuses hostile requests with a 4xx and starts nothing: missing, wrong and
# near-miss tokens (401), path traversal in URLs and pipeline names and a symlink out of the
# folder, a body over 64 KiB (413), `set` keys that lead to programs or values that are not
# plain scalars (400, naming the key), malformed JSON (400), Flagger calls without the token.
# Afterwards no run folder exists, serve has no child, and the token is in no log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/serve.sh"
need curl
need jq
serve_setup
ln -s "$PIPELINES/faults.yaml" "$WORK/pipelines/escape.yaml"
start_serve

# raw METHOD PATH [curl options...]: without the token. STATUS and $WORK/body.json.
raw() {
  local method=$1 path=$2
  shift 2
  STATUS=$(curl -s --path-as-is -o "$WORK/body.json" -w '%{http_code}' -X "$method" "$@" "$SERVE_URL$path")
}
good='{"pipeline":"canary"}'

raw POST /runs -H 'Content-Type: application/json' --data-binary "$good"
expect_status 401 "POST /runs without a token"
raw POST /runs -H "Authorization: Bearer wrong-token-wrong-token" --data-binary "$good"
expect_status 401 "a wrong token"
raw POST /runs -H "Authorization: Bearer ${TOKEN}x" --data-binary "$good"
expect_status 401 "the token with one more character"
raw POST /runs -H "Authorization: Bearer ${TOKEN%?}" --data-binary "$good"
expect_status 401 "the token without its last character"
raw POST /runs -H "Authorization: $TOKEN" --data-binary "$good"
expect_status 401 "the token without Bearer"
raw GET /pipelines/canary/verdict -H "Authorization: Bearer nope"
expect_status 401 "verdict with a wrong token"
raw GET /runs/x/results.json
expect_status 401 "results.json without a token"
[[ $(body .error) == *token* ]] || fail "401 does not say what is missing"

# Traversal and names that are not plain.
for name in '../canary' 'sub/canary' '..' '.hidden' 'canary.yaml/..' '/etc/passwd' '' 'a b'; do
  api POST /runs "$(jq -cn --arg n "$name" '{pipeline: $n}')"
  expect_status 400 "pipeline name '$name'"
done
api POST /runs '{"pipeline":"missing"}'
expect_status 404 "a pipeline that does not exist"
api POST /runs '{"pipeline":"escape"}'
expect_status 404 "a symlink that leads out of the pipelines folder"
api GET /runs/../../../etc/passwd
[[ "$STATUS" == 404 ]] || fail "GET /runs/../../../etc/passwd: $STATUS"
api GET /runs/..%2F..%2Fetc%2Fpasswd/results.json
[[ "$STATUS" == 404 ]] || fail "encoded traversal in a run id: $STATUS"
api GET /pipelines/..%2F..%2Fetc%2Fpasswd/verdict
[[ "$STATUS" == 404 || ( "$STATUS" == 200 && $(body .verdict) == ERROR ) ]] \
  || fail "encoded traversal in a verdict name: $STATUS $(cat "$WORK/body.json")"

# Oversize body.
head -c 70000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
printf '%s' "$good" >>"$WORK/big.json"
api POST /runs "@$WORK/big.json"
expect_status 413 "a 70 kB body"

# Forbidden and malformed `set`.
for key in backend.command backend.env.PATH hooks.on_fail stages.smoke.hooks.before \
           'stages[0].hooks.after' scenario.executor executor.binary BACKEND.command \
           scenario.script env.X 'stages.smoke.vus=3;x' 'stages smoke'; do
  api POST /runs "$(jq -cn --arg k "$key" '{pipeline: "canary", set: {($k): "1"}}')"
  expect_status 400 "set key '$key'"
  [[ $(body .error) == *"$key"* ]] || fail "the 400 for '$key' does not name it: $(body .error)"
done
for value in '{"a":1}' '[1,2]' 'null' '"[1, 2]"' '"{command: [sh]}"' '"*alias"' '"!!binary x"' '"a\nb"'; do
  api POST /runs "{\"pipeline\":\"canary\",\"set\":{\"stages.smoke.vus\":$value}}"
  expect_status 400 "set value $value"
done
api POST /runs '{"pipeline":"canary","set":["stages.smoke.vus=2"]}'
expect_status 400 "set as a list"

# Malformed JSON and wrong shapes.
for bad in '{"pipeline":' 'not json' '["canary"]' '"canary"' '{"pipeline":"canary","command":"sh"}' \
           '{"pipeline":3}' '{}'; do
  api POST /runs "$bad"
  expect_status 400 "body $bad"
done

# Flagger: no token, a wrong metadata.token, a bad name, malformed JSON with the token.
payload="$SOURCE_DIR/tests/fixtures/rollouts/flagger-payloads/payload-pre-rollout.json"
raw POST /flagger/canary/pre-rollout -H 'Content-Type: application/json' --data-binary "@$payload"
expect_status 401 "Flagger without a token"
raw POST /flagger/canary -H 'Content-Type: application/json' \
  --data-binary '{"name":"a","namespace":"b","phase":"Progressing","checksum":"1","metadata":{"hook":"pre-rollout","token":"guess-guess-guess"}}'
expect_status 401 "Flagger with a wrong metadata.token"
api POST /flagger/..%2Fcanary/pre-rollout "@$payload"
[[ "$STATUS" == 400 || "$STATUS" == 404 ]] || fail "Flagger traversal: $STATUS"
api POST /flagger/canary/pre-rollout '{"checksum":'
expect_status 400 "Flagger malformed JSON"
api POST /flagger/canary/confirm-rollout "@$payload"
expect_status 400 "a hook serve does not handle"

# Nothing started.
[[ -z "$(ls -A "$WORK/serve/runs")" ]] || fail "run folders appeared: $(ls "$WORK/serve/runs")"
[[ -z "$(pgrep -P "$SERVE_PID" || true)" ]] || fail "serve has a child"
api GET /pipelines/canary/verdict
[[ $(body .run) == null ]] || fail "a run was recorded"
stop_serve
[[ "$SERVE_RC" == 0 ]] || fail "serve exited $SERVE_RC"
grep -q "$TOKEN" "$WORK/serve.log" && fail "the token is in serve's log"
echo "ok (every hostile request refused, nothing started)"
