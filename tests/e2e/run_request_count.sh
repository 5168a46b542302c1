# Attach mode, and the count stagegate reports equals what the backend served.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
start_backend "$PORT" DISABLE_RATE_LIMIT=true
run_stagegate run "$PIPELINES/attach.yaml" --out "$WORK/out" --no-progress
expect_rc 0
sent=$(jqr "$WORK/out/results.json" '[.stages[].metrics.requests] | add')
served=$(curl -fsS "http://127.0.0.1:$PORT/stats" | jq -r .requests_total)
[[ "$sent" == "$served" ]] || fail "stagegate counted $sent requests, the backend served $served"
(( sent > 20 )) || fail "too few requests: $sent"
kill -0 "$BACKEND_PID" || fail "attach mode must not stop the backend"
echo "ok ($sent requests)"
