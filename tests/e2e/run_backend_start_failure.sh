# A backend that fails to start: the console (not only report.md) shows how it ended (exit
# status, or the signal) and the last 20 lines of backend.log; exit 3.
source "$(dirname "$0")/lib.sh"
PORT=$(free_port)
write_pipeline() {  # usage: write_pipeline FILE SHELL-LINE
  cat >"$1" <<YAML
version: 1
name: e2e start failure
target: { base_url: "http://127.0.0.1:$PORT" }
backend:
  command: [/bin/sh, -c, "$2"]
  startup_timeout: 10s
health: { url: /health, interval: 100ms }
scenario:
  operations: [{ name: home, path: / }]
stages: [{ name: one, vus: 1, duration: 1s }]
YAML
}

# Exits with code 7 after 30 lines: lines 11..30 are the last 20.
write_pipeline "$WORK/exits.yaml" 'for i in $(seq 1 30); do echo log-line-$i; done; exit 7'
run_stagegate run "$WORK/exits.yaml" --out "$WORK/out1" --no-progress
expect_rc 3
out="$WORK/stdout.txt"
grep -q "exited with code 7" "$out" || { cat "$out"; fail "console names the exit status"; }
grep -q "log-line-30" "$out" || { cat "$out"; fail "console shows the log's last line"; }
grep -q "log-line-11$" "$out" || { cat "$out"; fail "console shows the last 20 lines"; }
! grep -q "log-line-10$" "$out" || fail "console shows only the last 20 lines"

# Killed by a signal: the console names it.
write_pipeline "$WORK/killed.yaml" 'echo about to die; kill -SEGV $$'
run_stagegate run "$WORK/killed.yaml" --out "$WORK/out2" --no-progress
expect_rc 3
grep -q "SIGSEGV" "$WORK/stdout.txt" || { cat "$WORK/stdout.txt"; fail "console names the signal"; }
grep -q "about to die" "$WORK/stdout.txt" || fail "console shows the log"
echo "ok"
