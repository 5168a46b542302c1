# Firing at a closed port: the backend is healthy, but base_url names a port nothing listens
# on. Without any criterion the built-in guard stops the stage after its first second with
# ERROR (exit 3) and "nothing is listening at URL" (it used to fire refused requests for the
# whole stage and PASS).
source "$(dirname "$0")/lib.sh"
health_port=$(free_port)
closed_port=$(free_port)
[[ $health_port != "$closed_port" ]] || closed_port=$(free_port)
cat >"$WORK/closed.yaml" <<YAML
version: 1
name: e2e closed port
target: { base_url: "http://127.0.0.1:$closed_port", timeout: 2s }
backend:
  command: ["$CHAT_BACKEND"]
  env: { PORT: "$health_port" }
  startup_timeout: 10s
health: { url: "http://127.0.0.1:$health_port/health", interval: 100ms }
scenario:
  think_time: 20ms
  operations: [{ name: home, path: "/conversations/c1/messages?userId=1" }]
stages:
  - { name: one, vus: 2, duration: 60s }
  - { name: two, vus: 2, duration: 1s }
YAML
run_stagegate run "$WORK/closed.yaml" --out "$WORK/out" --no-progress
expect_rc 3
grep -q "nothing is listening at http://127.0.0.1:$closed_port" "$WORK/stdout.txt" \
  || { cat "$WORK/stdout.txt"; fail "console says nothing is listening at the URL"; }
r="$WORK/out/results.json"
[[ $(jqr "$r" .verdict) == ERROR ]] || fail "verdict ERROR"
[[ $(jqr "$r" '.stages[0].verdict') == ERROR ]] || fail "stage ERROR"
[[ $(jqr "$r" '.stages[1].verdict') == SKIPPED ]] || fail "the next stage does not run"
# Generous bound: the 60 s stage stops after its first second, not at its end.
[[ $(jqr "$r" '.stages[0].duration_s < 30') == true ]] || fail "the stage was stopped"
echo "ok (${ELAPSED_MS} ms)"
