# The load generator knows its own limits (issue 19 item 4), with both transports:
# 1. a stage whose connections cannot fit under the open-files limit is refused before the
#    load with ERROR (exit 3) and the `ulimit -n` to set, instead of failing thousands of
#    requests with EMFILE and blaming the backend;
# 2. a soft limit below the hard one is raised at start, so the same stage then runs;
# 3. generator-side failures at run time (here: ephemeral ports exhausted, EADDRNOTAVAIL,
#    in a network namespace of the test's own with an 8-port range) are errors.generator,
#    not requests and not refused connections: the stage is INCONCLUSIVE (exit 4) with a
#    hint about the generator and no hint about the backend.
source "$(dirname "$0")/lib.sh"
need prlimit
need jq

for transport in lean curl; do
  export TRANSPORT=$transport VUS=200

  # 1. soft = hard = 64: 200 connections cannot fit.
  export PORT=$(free_port)
  run_stagegate_limited() { # usage: run_stagegate_limited SOFT:HARD OUT
    local start
    start=$(date +%s%N)
    set +e
    prlimit --nofile="$1" "$STAGEGATE" run "$PIPELINES/limits.yaml" --out "$WORK/$2" \
      --no-progress >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"
    RC=$?
    set -e
    cp "$WORK/stdout.txt" "$WORK/$2.stdout"
  }
  run_stagegate_limited 64:64 "$transport-no-room"
  expect_rc 3
  r="$WORK/$transport-no-room/results.json"
  [[ $(jqr "$r" '.stages[0].verdict') == ERROR ]] || fail "$transport: stage verdict $(jqr "$r" '.stages[0].verdict')"
  reason=$(jqr "$r" '.stages[0].reason')
  [[ "$reason" == *'stage "wide" needs about'*'open-files limit is 64 (hard limit 64)'*'ulimit -n '[0-9]*'`'* ]] ||
    fail "$transport: the reason names the limit and the ulimit -n to set: $reason"
  [[ "$reason" == *"or lower vus to at most"* ]] || fail "$transport: the reason names vus: $reason"
  grep -q 'ulimit -n [0-9]' "$WORK/$transport-no-room.stdout" || fail "$transport: ulimit advice on the console"
  # Refused before the load: nothing was sent.
  [[ $(jqr "$r" '.stages[0].metrics.requests // 0') == 0 ]] || fail "$transport: requests were sent"

  # 2. soft 64, hard 4096: stagegate raises its soft limit and the stage runs.
  export PORT=$(free_port)
  run_stagegate_limited 64:4096 "$transport-raised"
  expect_rc 0
  r="$WORK/$transport-raised/results.json"
  [[ $(jqr "$r" '.stages[0].metrics.errors.generator') == 0 ]] || fail "$transport: generator errors after raising"
  grep -q 'open-files limit 4096 (hard limit 4096)' "$WORK/$transport-raised/stagegate.log" ||
    fail "$transport: stagegate.log records the raised limit"
done

# 3. Run-time generator failures: out of ephemeral ports towards the load's address.
if [[ $(id -u) != 0 ]] || ! command -v ip >/dev/null || ! command -v sysctl >/dev/null ||
  ! unshare -n true 2>/dev/null; then
  echo "ok (part 3 skipped: a network namespace needs root, ip (iproute2) and sysctl)"
  exit 0
fi
for transport in lean curl; do
  out="$WORK/$transport-ports"
  set +e
  # Inside its own network namespace: its own loopback, port range and ports, so nothing
  # outside is touched; the backend listens on every loopback address of that namespace.
  unshare -n env TRANSPORT=$transport VUS=30 PORT=18080 TARGET_HOST=127.0.0.2 \
    BACKEND_HOST=0.0.0.0 bash -c '
      ip link set lo up &&
      sysctl -qw net.ipv4.ip_local_port_range="40000 40007" &&
      exec "$0" run "$1" --out "$2" --no-progress' \
    "$STAGEGATE" "$PIPELINES/limits.yaml" "$out" >"$out.stdout" 2>&1
  RC=$?
  set -e
  [[ $RC == 4 ]] || { cat "$out.stdout"; fail "$transport: expected INCONCLUSIVE (exit 4), got $RC"; }
  r="$out/results.json"
  [[ $(jqr "$r" '.stages[0].verdict') == INCONCLUSIVE ]] || fail "$transport: stage verdict"
  generator=$(jqr "$r" '.stages[0].metrics.errors.generator')
  (( generator > 0 )) || fail "$transport: errors.generator is $generator"
  # Not requests sent, not failures of the backend, not refused connections.
  [[ $(jqr "$r" '.stages[0].metrics.errors.connection_refused') == 0 ]] || fail "$transport: counted as refused"
  [[ $(jqr "$r" '.stages[0].metrics.errors.total') == 0 ]] || fail "$transport: counted as failed requests: $(jqr "$r" '.stages[0].metrics.errors')"
  requests=$(jqr "$r" '.stages[0].metrics.requests')
  (( requests > 0 )) || fail "$transport: the connections that got a port sent nothing"
  reason=$(jqr "$r" '.stages[0].reason')
  [[ "$reason" == *"the load generator hit its own limits"*"could not be sent"* ]] || fail "$transport: reason: $reason"
  grep -q 'hint: .*requests were never sent: the load generator (stagegate itself, not the backend) ran out of' "$out.stdout" ||
    fail "$transport: generator hint on the console"
  ! grep -Eqi 'hint: .*(backend is not running|backend was alive|saturat|refused)' "$out.stdout" ||
    fail "$transport: a backend hint for the generator's failure: $(grep hint: "$out.stdout")"
done
echo "ok"
