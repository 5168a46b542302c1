# `stagegate serve` refuses a bad command line before it listens, each with a message that
# says what to do: missing options (2), a token file that is missing or too short (2), a
# malformed --listen or --max-queued (2), a --pipelines that is not a folder (2), an --out
# it cannot create (3), an address it cannot bind: taken (3) or not of this host (3, after
# the warning that it is not loopback). Then it serves on [::1] when asked.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/helpers/serve.sh"
need curl
serve_setup
port=$(free_port)
sg_serve() { run_stagegate serve --pipelines "$WORK/pipelines" --token-file "$WORK/token" "$@"; }

# expect_error RC TEXT: exit code and a stderr line containing TEXT; nothing left listening.
expect_error() {
  expect_rc "$1"
  grep -q -- "$2" "$WORK/stderr.txt" || { cat "$WORK/stderr.txt"; fail "stderr lacks \"$2\""; }
}

run_stagegate serve --token-file "$WORK/token"
expect_error 2 "needs --pipelines DIR and --token-file FILE"
run_stagegate serve --pipelines "$WORK/pipelines"
expect_error 2 "needs --pipelines DIR and --token-file FILE"
run_stagegate serve --pipelines "$WORK/pipelines" --token-file "$WORK/nope"
expect_error 2 "token-file"
printf 'short\n' >"$WORK/short-token"
run_stagegate serve --pipelines "$WORK/pipelines" --token-file "$WORK/short-token"
expect_error 2 "fewer than 16 characters"
sg_serve --listen "127.0.0.1"
expect_error 2 "expected ADDR:PORT"
sg_serve --listen "127.0.0.1:99999"
expect_error 2 "port is a number"
sg_serve --max-queued -1
expect_error 2 "max-queued"
sg_serve --max-queued lots
expect_error 2 "max-queued"
sg_serve --bogus
expect_error 2 "bogus"
run_stagegate serve --pipelines "$WORK/nope" --token-file "$WORK/token" --listen "127.0.0.1:$port"
expect_error 2 "is not a folder"
touch "$WORK/a-file"
sg_serve --out "$WORK/a-file/out" --listen "127.0.0.1:$port"
expect_error 3 "cannot create"

# A taken port: a listener of our own holds it.
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$port" &
holder=$!
STARTED_PIDS+=("$holder")
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
sg_serve --out "$WORK/out" --listen "127.0.0.1:$port"
expect_error 3 "cannot listen on 127.0.0.1:$port"
kill "$holder"
# An address of no interface here (TEST-NET-1): the non-loopback warning, then bind fails.
sg_serve --out "$WORK/out" --listen "192.0.2.1:$port"
expect_error 3 "cannot listen on 192.0.2.1"
grep -q "not loopback" "$WORK/stderr.txt" || fail "no warning for a non-loopback address"

# IPv6 loopback.
if (exec 3<>/dev/tcp/::1/1) 2>&1 | grep -q "Cannot assign"; then
  echo "SKIP part: no ::1" >&2
else
  v6=$(free_port)
  "$STAGEGATE" serve --listen "[::1]:$v6" --pipelines "$WORK/pipelines" --token-file "$WORK/token" \
    --out "$WORK/v6" >"$WORK/v6.log" 2>&1 &
  v6pid=$!
  STARTED_PIDS+=("$v6pid")
  code=000
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
      "http://[::1]:$v6/pipelines/canary/verdict" || true)
    [[ "$code" == 200 ]] && break
    sleep 0.05
  done
  [[ "$code" == 200 ]] || { cat "$WORK/v6.log"; fail "serve on [::1] answered $code"; }
  kill -TERM "$v6pid"
  set +e; wait "$v6pid"; rc=$?; set -e
  [[ "$rc" == 0 ]] || fail "serve on [::1] exited $rc"
fi
echo "ok (every bad command line refused)"
