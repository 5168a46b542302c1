# The output folder's disk fills during a run (a 2 MB tmpfs, filled by the test once the
# first stage runs): the run ends with ERROR (exit 3) naming the file and the error, the
# backend is stopped, and nothing on disk claims another verdict (it used to print PASS,
# exit 0, with reports missing). Needs root to mount the tmpfs: skipped otherwise.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: mounting a tmpfs needs root" >&2; exit 125; }
mnt="$WORK/tmpfs"
mkdir -p "$mnt"
mount -t tmpfs -o size=2m stagegate-e2e-disk-full "$mnt" 2>"$WORK/mount.txt" \
  || { echo "SKIP: cannot mount a tmpfs here: $(cat "$WORK/mount.txt")" >&2; exit 125; }
trap 'cleanup; umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true' EXIT

out="$mnt/out"
export PORT=$(free_port) SMOKE_DURATION=4s
# The console goes to $WORK (not start_stagegate's OUT.stdout, which would be on the tmpfs).
"$STAGEGATE" run "$PIPELINES/basic.yaml" --out "$out" --no-progress >"$WORK/run.stdout" 2>&1 &
SG=$!
STARTED_PIDS+=("$SG")
wait_for_output "$WORK/run" 'stage 1/'
# Fill the disk: whatever stagegate writes next finds no room.
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
set +e; wait "$SG"; rc=$?; set -e
stdout="$WORK/run.stdout"
[[ $rc == 3 ]] || { cat "$stdout"; fail "expected exit 3, got $rc"; }
grep -q "No space left on device" "$stdout" || { cat "$stdout"; fail "the console names the error"; }
grep -qE "cannot write $out/[a-z.]+" "$stdout" || { cat "$stdout"; fail "the console names the file"; }
grep -q "verdict: ERROR (exit 3)" "$stdout" || { cat "$stdout"; fail "the console verdict is ERROR"; }
! grep -q "verdict: PASS" "$stdout" || fail "the console says PASS"
# What is on disk agrees: results.json, if there is one, says ERROR and parses.
if [[ -e "$out/results.json" ]]; then
  [[ $(jqr "$out/results.json" .verdict) == ERROR ]] || fail "results.json on disk says $(jqr "$out/results.json" .verdict)"
fi
for f in report.md report.html junit.xml; do
  if [[ -e "$out/$f" ]]; then grep -qi "error" "$out/$f" || fail "$f on disk does not say ERROR"; fi
done
# The backend was stopped.
backend_pid=$(sed -n 's/.*backend started (pid \([0-9]*\)).*/\1/p' "$out/stagegate.log" 2>/dev/null | head -1)
if [[ -n "$backend_pid" ]]; then process_gone "$backend_pid" || fail "backend $backend_pid left running"; fi
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "the backend still listens on $PORT"
# 2. The backend fills the disk with its own log (5 MB/s into backend.log on the 2 MB tmpfs):
# the stage stops as soon as backend.log cannot be written, ERROR naming it.
rm -rf "$mnt/filler" "$mnt/out2"
sed 's/^  stop_timeout: \(.*\)$/  stop_timeout: \1\n  log_max: 64MiB/' "$PIPELINES/faults.yaml" >"$WORK/flood.yaml"
PORT=$(free_port) MISBEHAVE="flood-log=5000000" SMOKE_DURATION=60s \
  run_stagegate run "$WORK/flood.yaml" --out "$mnt/out2" --no-progress --only smoke
expect_rc 3
grep -q "cannot write $mnt/out2/backend.log: No space left on device" "$WORK/stdout.txt" "$WORK/stderr.txt" \
  || { cat "$WORK/stdout.txt"; fail "the error names backend.log and the cause"; }
if [[ -e "$mnt/out2/results.json" ]]; then
  [[ $(jqr "$mnt/out2/results.json" .verdict) == ERROR ]] || fail "results.json of the flood run says $(jqr "$mnt/out2/results.json" .verdict)"
  [[ $(jqr "$mnt/out2/results.json" '.stages[0].duration_s < 30') == true ]] || fail "the 60 s stage was not stopped"
fi

on_disk=absent
[[ -e "$out/results.json" ]] && on_disk=$(jqr "$out/results.json" .verdict)
echo "ok (results.json on disk: $on_disk)"
