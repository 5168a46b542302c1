# A second SIGTERM to `stagegate serve` while it waits for a run to stop is passed on to the
# run: the run's backend ignores SIGTERM (stop_timeout 30 s), so after the first signal the
# run waits for it; the second makes `stagegate run` kill the backend's group and exit, and
# serve exits 0 right after, leaving no process behind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/serve.sh"
need curl
need jq
serve_setup
export MISBEHAVE=ignore-sigterm STOP_TIMEOUT=30s MISBEHAVE_PIDS="$WORK/pids.txt" SMOKE_DURATION=60s
start_serve
api POST /runs '{"pipeline":"canary"}'
expect_status 202 "the run"
run=$(body .id)
console="$WORK/serve/runs/$run/console.log"
for _ in $(seq 1 200); do grep -q 'stage 1/3' "$console" 2>/dev/null && break; sleep 0.1; done
grep -q 'stage 1/3' "$console" || fail "the run did not start its stage"
sleep 1
child=$(pgrep -P "$SERVE_PID")
kill -TERM "$SERVE_PID"
for _ in $(seq 1 100); do grep -q 'stopping backend' "$console" && break; sleep 0.1; done
grep -q 'stopping backend' "$console" || { cat "$console"; fail "the run did not start stopping its backend"; }
sleep 0.5
process_gone "$SERVE_PID" && fail "serve did not wait for the run"
second=$(date +%s%N)
kill -TERM "$SERVE_PID"
set +e; wait "$SERVE_PID"; rc=$?; set -e
elapsed_ms=$(( ($(date +%s%N) - second) / 1000000 ))
[[ "$rc" == 0 ]] || { cat "$WORK/serve.log"; fail "serve exited $rc"; }
(( elapsed_ms < 5000 )) || fail "the second signal took ${elapsed_ms} ms to end serve"
grep -q 'second signal' "$WORK/serve.log" || fail "serve did not log the second signal"
[[ $(jqr "$WORK/serve/runs/$run/results.json" .verdict) == INTERRUPTED ]] || fail "results not written"
sleep 0.2
process_gone "$child" || fail "the run $child is left"
expect_pids_gone "$WORK/pids.txt"
echo "ok (second signal ended serve in ${elapsed_ms} ms)"
