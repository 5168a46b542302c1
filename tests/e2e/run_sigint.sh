# SIGINT mid-stage: the load stops, the backend is stopped, results.json and the report
# are written with verdict INTERRUPTED, exit 130.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) SMOKE_DURATION=30s
start_stagegate "$PIPELINES/basic.yaml" "$WORK/out"
wait_for_output "$WORK/out" 'stage 1/2'
sleep 1.5
backend_pid=$(pgrep -P "$SG" || true)
kill -INT "$SG"
set +e; wait "$SG"; RC=$?; set -e
[[ "$RC" == 130 ]] || { cat "$WORK/out.stdout"; fail "exit $RC, expected 130"; }
[[ $(jqr "$WORK/out/results.json" .verdict) == INTERRUPTED ]] || fail "verdict INTERRUPTED"
[[ $(jqr "$WORK/out/results.json" '.stages[0].metrics.requests > 0') == true ]] || fail "partial data kept"
[[ -s "$WORK/out/report.md" ]] || fail "report written"
if [[ -n "$backend_pid" ]]; then process_gone "$backend_pid" || fail "backend $backend_pid left running"; fi
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "backend port still open"
echo "ok"
