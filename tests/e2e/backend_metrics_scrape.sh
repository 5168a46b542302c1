# The demo backend's GET /metrics after a stagegate run: promtool accepts the exposition, and
# http_requests_total adds up to the requests stagegate sent (health polls and scrapes excluded).
source "$(dirname "$0")/lib.sh"
need promtool
export PORT=$(free_port)
start_backend "$PORT" DISABLE_RATE_LIMIT=true
run_stagegate run "$PIPELINES/attach.yaml" --out "$WORK/out" --no-progress
expect_rc 0
sent=$(jqr "$WORK/out/results.json" '[.stages[].metrics.requests] | add')
(( sent > 20 )) || fail "too few requests: $sent"

curl -fsS -D "$WORK/headers" "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/headers" \
  || fail "wrong Content-Type: $(grep -i '^content-type' "$WORK/headers")"
# promtool exits non-zero on a parse error or a lint problem (names, HELP, TYPE, units).
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.log" 2>&1 \
  || { cat "$WORK/promtool.log" >&2; fail "promtool check metrics rejects /metrics"; }

counted=$(awk '/^http_requests_total\{/ { sum += $NF } END { print sum + 0 }' "$WORK/metrics.txt")
[[ "$counted" == "$sent" ]] || fail "stagegate sent $sent requests, http_requests_total says $counted"
histogram=$(awk '/^http_request_duration_seconds_count\{/ { sum += $NF } END { print sum + 0 }' \
  "$WORK/metrics.txt")
[[ "$histogram" == "$sent" ]] || fail "the latency histogram counted $histogram of $sent requests"
served=$(curl -fsS "http://127.0.0.1:$PORT/stats" | jq -r .requests_total)
[[ "$served" == "$sent" ]] || fail "/stats says $served, /metrics says $counted"
grep -q '^chat_database_pool_size 10$' "$WORK/metrics.txt" || fail "no pool size gauge"
grep -q '^chat_database_errors_total 0$' "$WORK/metrics.txt" || fail "no database error counter"
echo "ok ($sent requests; promtool check metrics passed)"
