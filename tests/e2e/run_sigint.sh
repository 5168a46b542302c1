# SIGINT mid-stage: the load stops, the backend is stopped, results.json and the report
# are written with verdict INTERRUPTED, exit 130.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) SMOKE_DURATION=30s
"$STAGEGATE" run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress >"$WORK/stdout.txt" 2>&1 &
sg=$!
STARTED_PIDS+=("$sg")
for _ in $(seq 1 100); do
  grep -q 'stage 1/2' "$WORK/stdout.txt" 2>/dev/null && break
  sleep 0.1
done
sleep 1.5
backend_pid=$(pgrep -P "$sg" || true)
kill -INT "$sg"
set +e; wait "$sg"; RC=$?; set -e
expect_rc 130
[[ $(jqr "$WORK/out/results.json" .verdict) == INTERRUPTED ]] || fail "verdict INTERRUPTED"
[[ $(jqr "$WORK/out/results.json" '.stages[0].metrics.requests > 0') == true ]] || fail "partial data kept"
[[ -s "$WORK/out/report.md" ]] || fail "report written"
if [[ -n "$backend_pid" ]]; then process_gone "$backend_pid" || fail "backend $backend_pid left running"; fi
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "backend port still open"
echo "ok"
