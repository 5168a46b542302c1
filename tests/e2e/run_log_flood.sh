# A backend that floods its log (20 MB/s through helpers/misbehave) with backend.log_max
# 256KiB: backend.log keeps its head and its newest tail with one line saying how many bytes
# were skipped, stays within the bound (it used to grow without limit), and the backend is
# never blocked (its health checks and requests keep passing).
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) MISBEHAVE="flood-log=20000000" SMOKE_DURATION=2s
sed 's/^  stop_timeout: \(.*\)$/  stop_timeout: \1\n  log_max: 256KiB/' "$PIPELINES/faults.yaml" >"$WORK/flood.yaml"
grep -q "log_max: 256KiB" "$WORK/flood.yaml" || fail "test set-up: log_max not added"
run_stagegate run "$WORK/flood.yaml" --out "$WORK/out" --no-progress --only smoke
expect_rc 0
log="$WORK/out/backend.log"
size=$(stat -c %s "$log")
(( size <= 256 * 1024 + 1024 )) || fail "backend.log is $size bytes, more than log_max 256KiB"
head -n 1 "$log" | grep -q "misbehave: flood starts" || fail "backend.log keeps its head"
marker=$(grep -a "of backend output skipped here" "$log" || true)
[[ $(grep -ac "of backend output skipped here" "$log") == 1 ]] || fail "one skipped-bytes line: $marker"
skipped=$(sed -n 's/^\[stagegate: \([0-9]*\) bytes.*/\1/p' <<<"$marker")
(( skipped > 1000000 )) || fail "skipped $skipped bytes: the flood was not drained at its rate"
# The newest tail: complete lines after the marker, numbered past everything in the head.
head_last=$(sed -n '/of backend output skipped here/q;s/^flood line \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
tail_first=$(sed -n '/of backend output skipped here/,$p' "$log" | sed -n '2p')
[[ "$tail_first" =~ ^flood\ line\ ([0-9]+)\ x+$ ]] || fail "the tail starts at a whole line: $tail_first"
(( ${BASH_REMATCH[1]} > head_last )) || fail "the tail is newer than the head"
[[ -z $(find "$WORK/out" -name '.backend.log.*') ]] || fail "tail segments left in the output folder"
echo "ok (backend.log $size bytes, $skipped skipped)"
