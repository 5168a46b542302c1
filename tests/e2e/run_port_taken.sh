# The launched backend's port is already taken: exit 3 before anything starts, naming the
# port and the process holding it (otherwise stagegate would test the wrong server).
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
start_backend "$PORT"
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 3
grep -q "port $PORT is already in use" "$WORK/stdout.txt" || fail "message names the port"
grep -q "chat-backend" "$WORK/stdout.txt" || fail "message names the holder"
[[ $(curl -fsS "http://127.0.0.1:$PORT/stats" | jq -r .requests_total) == 0 ]] || fail "no request was sent"
echo "ok"
