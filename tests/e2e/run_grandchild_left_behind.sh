# The backend starts a child that stays in its process group, a grandchild that leaves it
# with setsid(), and a daemon (a grandchild whose parent exits at once, so it is no longer
# in the backend's tree). After stagegate exits every one of those pids is gone.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) MISBEHAVE=grandchild,orphan MISBEHAVE_PIDS="$WORK/pids.txt"
run_stagegate run "$PIPELINES/faults.yaml" --only smoke --out "$WORK/out" --no-progress
expect_rc 0
for role in wrapper program child grandchild orphan; do
  grep -q "^$role " "$WORK/pids.txt" || fail "no $role pid recorded: $(cat "$WORK/pids.txt")"
done
expect_pids_gone "$WORK/pids.txt"
echo "ok"
