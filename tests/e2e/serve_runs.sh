# `stagegate serve` end to end: the verdict before any run (INCONCLUSIVE), five concurrent
# POST /runs of one pipeline (one 202, four 409), a second pipeline queued behind it and a
# third refused (429, --max-queued 1), both runs to completion through the real demo backend
# (PASS and FAIL with their exit codes, results.json and report.html served), then SIGTERM to
# serve during a run: the child `stagegate run` gets SIGTERM, writes INTERRUPTED results,
# its backend stops, serve exits 0 and leaves no process behind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/serve.sh"
need curl
need jq
serve_setup
cp "$WORK/pipelines/canary.yaml" "$WORK/pipelines/third.yaml"
start_serve --max-queued 1

# No run yet: 200, INCONCLUSIVE (the shipped Argo template judges it Failed), run null.
api GET /pipelines/canary/verdict
expect_status 200 "verdict before any run"
[[ $(body .verdict) == INCONCLUSIVE && $(body .run) == null ]] || fail "no-run verdict: $(cat "$WORK/body.json")"
cp "$WORK/body.json" "$WORK/answer-none.json"
api GET /pipelines/nosuch/verdict
expect_status 200 "verdict of a pipeline serve does not have"
[[ $(body .verdict) == ERROR ]] || fail "unknown pipeline verdict: $(cat "$WORK/body.json")"
cp "$WORK/body.json" "$WORK/answer-unknown.json"

# Five POSTs at once: exactly one starts a run.
curls=()
for i in 1 2 3 4 5; do
  curl -s -o "$WORK/concurrent-$i.json" -w '%{http_code}\n' -X POST -H "Authorization: Bearer $TOKEN" \
    --data-binary '{"pipeline":"canary","set":{"stages.soak.duration":"500ms"}}' "$SERVE_URL/runs" \
    >"$WORK/concurrent-$i.status" &
  curls+=($!)
done
wait "${curls[@]}"
statuses=$(cat "$WORK"/concurrent-*.status | sort | tr '\n' ' ')
[[ "$statuses" == "202 409 409 409 409 " ]] || fail "concurrent POSTs answered: $statuses"
run1=$(jq -r 'select(.id) | .id' "$WORK"/concurrent-*.json)
[[ -n "$run1" ]] || fail "no run id"
for f in "$WORK"/concurrent-*.json; do
  jq -e '.id or (.run and .error)' "$f" >/dev/null || fail "unexpected answer $(cat "$f")"
done

# While it runs: RUNNING; another pipeline queues; a third is refused (queue of 1 is full).
for _ in $(seq 1 100); do
  api GET "/runs/$run1"
  [[ $(body .state) == running ]] && break
  sleep 0.05
done
[[ $(body .state) == running ]] || fail "run 1 did not start: $(cat "$WORK/body.json")"
api GET /pipelines/canary/verdict
[[ $(body .verdict) == RUNNING && $(body .run) == "$run1" && $(body .exit_code) == null ]] \
  || fail "verdict while running: $(cat "$WORK/body.json")"
cp "$WORK/body.json" "$WORK/answer-running.json"
api POST /runs '{"pipeline":"failing"}'
expect_status 202 "a second pipeline is queued"
run2=$(body .id)
[[ $(body .state) == queued ]] || fail "second run not queued: $(cat "$WORK/body.json")"
api POST /runs '{"pipeline":"third"}'
expect_status 429 "the queue is full"
[[ ! -e "$WORK/serve/runs/$run2/results.json" ]] || fail "the queued run ran at once"

wait_run "$run1"
[[ $(body .verdict) == PASS && $(body .exit_code) == 0 ]] || fail "run 1: $(cat "$WORK/body.json")"
[[ $(body '.set[0]') == "stages.soak.duration=500ms" ]] || fail "set not recorded"
api GET "/runs/$run1/results.json"
expect_status 200 "results.json"
[[ $(body .verdict) == PASS ]] || fail "results.json verdict"
[[ $(body '.stages[] | select(.name == "soak") | .duration_s < 0.9') == true ]] \
  || fail "the set value did not reach the run"
api GET "/runs/$run1/report.html"
expect_status 200 "report.html"
grep -qi '<html' "$WORK/body.json" || fail "report.html is not HTML"
api GET /pipelines/canary/verdict
[[ $(body .verdict) == PASS && $(body .exit_code) == 0 && $(body .run) == "$run1" ]] \
  || fail "verdict after the run: $(cat "$WORK/body.json")"
cp "$WORK/body.json" "$WORK/answer-pass.json"

wait_run "$run2"
[[ $(body .verdict) == FAIL && $(body .exit_code) == 1 ]] || fail "run 2: $(cat "$WORK/body.json")"
api GET /pipelines/failing/verdict
[[ $(body .verdict) == FAIL && $(body .exit_code) == 1 ]] || fail "failing verdict: $(cat "$WORK/body.json")"
cp "$WORK/body.json" "$WORK/answer-fail.json"

# serve's own answers through the shipped web AnalysisTemplate's conditions, judged as Argo
# v1.9.1 does (tests/rollouts/check-verdicts.js): PASS goes on, RUNNING pauses, the rest fail.
if command -v node >/dev/null && [[ -d "$SOURCE_DIR/tests/schema/node_modules/js-yaml" ]]; then
  NODE_PATH="$SOURCE_DIR/tests/schema/node_modules" node "$SOURCE_DIR/tests/rollouts/check-verdicts.js" \
    "$SOURCE_DIR" --judge "$WORK"/answer-*.json >"$WORK/judged.txt"
  judged() { awk -F'\t' -v f="$WORK/answer-$1.json" '$1 == f { print $2 }' "$WORK/judged.txt"; }
  [[ $(judged none) == Failed ]] || fail "no run yet is judged $(judged none) by the Argo template"
  [[ $(judged unknown) == Failed ]] || fail "an unknown pipeline is judged $(judged unknown)"
  [[ $(judged running) == Inconclusive ]] || fail "RUNNING is judged $(judged running)"
  [[ $(judged pass) == Successful ]] || fail "PASS is judged $(judged pass)"
  [[ $(judged fail) == Failed ]] || fail "FAIL is judged $(judged fail)"
else
  echo "note: node or js-yaml missing; serve's answers not judged by the Argo conditions" >&2
fi
api GET /runs/20990101-000000-ffff
expect_status 404 "an unknown run"

# A set value the pipeline refuses: the child exits 2 (INVALID), the verdict is ERROR with it.
api POST /runs '{"pipeline":"third","set":{"stages.smoke.vus":"many"}}'
expect_status 202 "a run with a bad set value"
run4=$(body .id)
wait_run "$run4"
[[ $(body .verdict) == ERROR && $(body .exit_code) == 2 ]] || fail "bad set value: $(cat "$WORK/body.json")"
grep -q 'stages.smoke.vus' "$WORK/serve/runs/$run4/console.log" || fail "console.log does not name the bad value"

# SIGTERM to serve during a long run.
api POST /runs '{"pipeline":"canary","set":{"stages.smoke.duration":"60s"}}'
expect_status 202 "the long run"
run3=$(body .id)
for _ in $(seq 1 200); do
  grep -q 'stage 1/3' "$WORK/serve/runs/$run3/console.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'stage 1/3' "$WORK/serve/runs/$run3/console.log" || fail "the long run did not start its stage"
sleep 1
child=$(pgrep -P "$SERVE_PID")
[[ -n "$child" ]] || fail "no child stagegate run"
[[ $(ps -o pgid= -p "$child" | tr -d ' ') == "$child" ]] || fail "the run is not in its own process group"
backend=$(pgrep -P "$child" || true)
[[ -n "$backend" ]] || fail "the run's backend not found"
start=$(date +%s%N)
stop_serve
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ "$SERVE_RC" == 0 ]] || { cat "$WORK/serve.log"; fail "serve exited $SERVE_RC after SIGTERM"; }
(( elapsed_ms < 20000 )) || fail "serve took ${elapsed_ms} ms to stop"
r="$WORK/serve/runs/$run3/results.json"
[[ -s "$r" ]] || fail "the interrupted run wrote no results.json"
[[ $(jqr "$r" .verdict) == INTERRUPTED ]] || fail "the interrupted run says $(jqr "$r" .verdict)"
sleep 0.2
process_gone "$child" || fail "child stagegate run $child left running"
process_gone "$backend" || fail "the run's backend $backend left running"
grep -q 'SIGTERM' "$WORK/serve.log" || fail "serve did not log the stop"
grep -q "$TOKEN" "$WORK/serve.log" && fail "the token is in serve's log"
echo "ok (runs PASS and FAIL, 409/429, SIGTERM stopped the run in ${elapsed_ms} ms)"
