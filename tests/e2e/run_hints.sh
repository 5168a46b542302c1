# Root-cause hints on the console and in the report, each naming its evidence:
# requests refused (load sent to a port nothing listens on), 4xx on one operation only
# (the seed's made-up history cursor), and latency rising with load while the backend is
# alive (a one-connection pool with slow queries), with Little's law's in-flight count.
# (429 -> rate limiting: run_rate_limit_abort; body pattern: run_fail_error_rate.)
source "$(dirname "$0")/lib.sh"

# Runs hints.yaml into $WORK/$1 with the environment already exported; checks the exit code
# ($2, default 1).
run_case() {
  run_stagegate run "$PIPELINES/hints.yaml" --out "$WORK/$1" --no-progress
  expect_rc "${2:-1}"
  cp "$WORK/stdout.txt" "$WORK/$1.stdout"
}

# 1. Refused: the backend runs on PORT, the load goes to TARGET_PORT. The closed-port guard
# makes that ERROR (exit 3, run_closed_port.sh); the hint still says why.
export PORT=$(free_port) TARGET_PORT=$(free_port)
[[ "$PORT" != "$TARGET_PORT" ]] || export TARGET_PORT=$(free_port)
run_case refused 3
grep -q "hint: .* requests were refused: the backend is not running or listens on another port than http://127.0.0.1:$TARGET_PORT (evidence: errors.connection_refused)" \
  "$WORK/refused.stdout" || fail "refused hint on the console"
grep -q "requests were refused" "$WORK/refused/report.md" || fail "refused hint in the report"

# 2. A made-up cursor on the history operation only: 400 there, 201 on send.
export PORT=$(free_port) HISTORY_QUERY="&cursor=fake123"
export TARGET_PORT=$PORT
run_case cursor
grep -q 'hint: .* client errors (4xx) on operation "history" only: its request is likely wrong in the load script.*(evidence: history.errors.status_4xx)' \
  "$WORK/cursor.stdout" || fail "4xx-on-one-operation hint on the console"
grep -q 'on operation "history" only' "$WORK/cursor/report.md" || fail "hint in the report"
! grep -q 'on operation "send" only' "$WORK/cursor.stdout" || fail "send is not to blame"
unset HISTORY_QUERY

# 3. Saturation: FAULT_QUERY_DELAY_MS holds the only pool connection for 50 ms, so 8 VUs
# queue for it; stage one (1 VU) passes p95 < 200ms, stage two does not.
export PORT=$(free_port) DATABASE_POOL_SIZE=1 FAULT_QUERY_DELAY_MS=50 ONE_VUS=1 TWO_VUS=8 MAX_P95=200ms
export TARGET_PORT=$PORT
run_case saturation
r="$WORK/saturation/results.json"
[[ $(jqr "$r" '.stages[0].verdict') == PASS ]] || fail "stage one passes: $(jqr "$r" '.stages[0].reason')"
[[ $(jqr "$r" '.stages[1].verdict') == FAIL ]] || fail "stage two fails"
hint=$(jqr "$r" '.stages[1].hints[] | select(test("Little"))')
[[ "$hint" == *"while the backend stayed up: saturation or pool exhaustion"* ]] || fail "saturation hint: $hint"
# In-flight = rps x mean latency: about the 8 VUs waiting for the one connection.
in_flight=$(sed -n 's/.*= rps x mean latency = \([0-9.]*\) requests.*/\1/p' <<<"$hint")
awk -v n="$in_flight" 'BEGIN { exit !(n >= 4 && n <= 9) }' || fail "in-flight $in_flight, expected about 8: $hint"
grep -q "hint: .*Little's law" "$WORK/saturation.stdout" || fail "saturation hint on the console"
grep -q "Little's law" "$WORK/saturation/report.md" || fail "saturation hint in the report"
echo "ok"
