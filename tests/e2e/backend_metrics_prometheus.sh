# A real Prometheus server (Debian's, on a loopback port with a temp config and data folder)
# scrapes the demo backend's /metrics every second, and the PromQL of issue 12 works on it:
# counts by code equal the requests sent, the 5xx rate and a latency quantile are computable.
source "$(dirname "$0")/lib.sh"
need prometheus
need curl
need jq
export PORT=$(free_port)
# Every second request of the history route fails with an injected 500 (deterministic).
start_backend "$PORT" DISABLE_RATE_LIMIT=true FAULT_ERROR_RATE=0.5

start_prometheus "$PORT"

# Waits (at most 60 s) until QUERY gives WANT.
wait_for() {
  local got=""
  for _ in $(seq 1 120); do
    got=$(prom_value "$1" 2>/dev/null || true)
    [[ "$got" == "$2" ]] && return 0
    sleep 0.5
  done
  tail -5 "$WORK/prometheus.log" >&2
  fail "$1 is \"$got\" after 60 s, expected $2"
}

history() {
  for _ in $(seq 1 "$1"); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/conversations/c1/messages?limit=5"
  done
}
# Two batches with a scrape in between, so every series has two different samples and rate()
# has something to say (a series is born with its first answered request, not at zero).
history 10
wait_for 'sum(http_requests_total)' 10
history 10
for _ in $(seq 1 7); do
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"userId":1,"content":"x","type":"t"}' "http://127.0.0.1:$PORT/conversations/c1/messages"
done
# FAULT_ERROR_RATE applies to every non-observability request in order: 27 requests, 13 fail.
wait_for 'sum(http_requests_total)' 27
[[ "$(prom_value 'sum(http_requests_total{code=~"5.."})')" == 13 ]] || fail "5xx count is not 13"
[[ "$(prom_value 'sum(http_requests_total{code=~"2.."})')" == 14 ]] || fail "2xx count is not 14"
[[ "$(prom_value 'chat_database_errors_total')" == 13 ]] || fail "database errors are not 13"
[[ "$(prom_value 'chat_database_pool_size')" == 10 ]] || fail "pool size is not 10"
[[ "$(prom_value 'sum(http_request_duration_seconds_count)')" == 27 ]] || fail "histogram count is not 27"
ratio=$(prom_value "sum(rate(http_requests_total{code=~'5..'}[1m])) / sum(rate(http_requests_total[1m]))")
[[ "$ratio" =~ ^[0-9.e+-]+$ ]] && awk -v r="$ratio" 'BEGIN { exit !(r > 0 && r <= 1) }' || fail "the 5xx ratio is \"$ratio\""
p95=$(prom_value 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))')
[[ "$p95" =~ ^[0-9.e+-]+$ ]] && awk -v p="$p95" 'BEGIN { exit !(p > 0) }' || fail "histogram_quantile gave \"$p95\""
echo "ok (Prometheus scraped 27 requests, 13 of them 5xx; 5xx ratio $ratio, p95 ${p95}s)"
