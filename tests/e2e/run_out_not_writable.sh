# An output folder that cannot be written: exit 3, nothing started.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
touch "$WORK/a-file"
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/a-file/out" --no-progress
expect_rc 3
grep -q "output folder" "$WORK/stderr.txt" || fail "message names the output folder"
! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || fail "a backend was started"
echo "ok"
