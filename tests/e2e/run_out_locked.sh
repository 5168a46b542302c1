# --out DIR is locked for the whole run: a second run into it fails at once with exit 3
# naming the first run's pid (it used to run and overwrite the first run's files). A later
# run into a used folder replaces everything the earlier run wrote there.
source "$(dirname "$0")/lib.sh"
out="$WORK/out"
mkdir -p "$out"
# Files of an earlier run that this run would not write again (another executor's artifacts,
# a temp file of an interrupted write): none may stay beside the new results.
echo stale >"$out/k6-old-summary.json"
echo stale >"$out/results.json.tmp.4242"
echo "earlier run's backend line" >"$out/backend.log"
echo "keep me" >"$out/notes.txt"

export PORT=$(free_port) SMOKE_DURATION=60s
start_stagegate "$PIPELINES/basic.yaml" "$out"
wait_for_output "$out" 'stage 1/'
[[ ! -e "$out/k6-old-summary.json" && ! -e "$out/results.json.tmp.4242" ]] \
  || fail "an earlier run's files stayed beside the new results"
! grep -q "earlier run's backend line" "$out/backend.log" || fail "backend.log starts fresh"
[[ -e "$out/notes.txt" ]] || fail "a file stagegate did not write was removed"

# The second run (its own port, so only the lock can stop it) fails at once.
PORT=$(free_port) run_stagegate run "$PIPELINES/basic.yaml" --out "$out" --no-progress
expect_rc 3
grep -q "in use by another stagegate run (pid $SG" "$WORK/stderr.txt" \
  || { cat "$WORK/stderr.txt"; fail "the error names the holder's pid $SG"; }
(( ELAPSED_MS < 10000 )) || fail "the second run did not fail at once (${ELAPSED_MS} ms)"

# The first run is unharmed: stop it (SIGINT), it writes its own report.
kill -INT "$SG"
set +e; wait "$SG"; rc=$?; set -e
[[ $rc == 130 ]] || { cat "$out.stdout"; fail "first run: expected 130, got $rc"; }
[[ $(jqr "$out/results.json" .verdict) == INTERRUPTED ]] || fail "first run's results.json"
echo "ok"
