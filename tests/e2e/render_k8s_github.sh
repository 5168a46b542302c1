# `stagegate render k8s|github` (issue 13 item 4). The rendered ConfigMap and Jobs validate
# strictly against the Kubernetes v1.32 schemas, the workflow against action-validator, and
# both checks have teeth. Then the two Job scripts run here, as the pods would (the claim a
# folder, three segment pods at once): they agree on one start time, run `stagegate run
# --segment I/3 --start-at T --no-backend --out PART`, and the merge waits for the parts and
# runs `stagegate merge PARTS... --out DIR` (--allow-missing once the wait is over).
# Stand-in: until `run --segment` and `merge` are in this binary, a recording shim answers
# for `stagegate` in those scripts (it checks and records the argv); once they are, the lead
# points SHIM at the real binary. Every bad input is INVALID (2) with a message.
source "$(dirname "$0")/lib.sh"
need node
need jq
modules="$SOURCE_DIR/tests/schema/node_modules"
[[ -d "$modules/ajv" && -d "$modules/js-yaml" && -x "$modules/.bin/action-validator" ]] \
  || { echo "SKIP: run 'npm ci' in tests/schema first" >&2; exit 125; }
export NODE_PATH="$modules"
pipeline="$SOURCE_DIR/pipelines/chat-quick.yaml"

# --- k8s: schema-valid, the shape the SPEC asks, names from the file name.
run_stagegate render k8s "$pipeline" --parallelism 3 --image ghcr.io/stagegate/stagegate:1 \
  --results-claim stagegate-results
expect_rc 0
cp "$WORK/stdout.txt" "$WORK/k8s.yaml"
grep -q "launches a backend; every segment runs with --no-backend" "$WORK/stderr.txt" \
  || fail "no note that the pipeline's backend is not launched by the segments"
mkdir -p "$WORK/k8s"
node "$SOURCE_DIR/tests/render/check-k8s.js" "$SOURCE_DIR" "$WORK/k8s.yaml" 3 stagegate-results \
  "$WORK/k8s" || fail "the rendered manifests do not validate (see above)"
cmp -s "$pipeline" "$WORK/k8s/pipeline.yaml" || fail "the ConfigMap does not hold the pipeline as it is"
grep -q "^  name: chat-quick-" "$WORK/k8s.yaml" || fail "object names are not from the file name"

# --- the pods' scripts, run here with the claim as a folder.
shim="$WORK/bin/stagegate"
mkdir -p "$WORK/bin" "$WORK/results"
cat >"$shim" <<'SHIM'
#!/usr/bin/env bash
# Records its argv (one line per argument) and answers as stagegate would.
set -euo pipefail
verb=$1
out=""
prev=""
for a in "$@"; do [[ $prev == --out ]] && out=$a; prev=$a; done
log="$SHIM_LOG/$verb.$$"
printf '%s\n' "$@" >"$log"
mkdir -p "$out"
if [[ $verb == run ]]; then
  echo '{}' >"$out/results.json"
  index=${JOB_COMPLETION_INDEX:-0}
  rc_var="SHIM_RC_$index"
  exit "${!rc_var:-0}"
fi
exit "${SHIM_MERGE_RC:-0}"
SHIM
chmod +x "$shim"
export SHIM_LOG="$WORK/argv"
mkdir -p "$SHIM_LOG"
# The scripts as the pods get them, with the mounts mapped here.
sed "s#/p/pipeline.yaml#$WORK/k8s/pipeline.yaml#g" "$WORK/k8s/segment.sh" >"$WORK/segment.sh"
cp "$WORK/k8s/merge.sh" "$WORK/merge.sh"
run_dir=$(sed -n 's/^RUN_DIR=//p' "$WORK/k8s/segment.env")
[[ $run_dir == /results/chat-quick-* ]] || fail "RUN_DIR $run_dir is not on the claim"
RUN_DIR="$WORK/results/$(basename "$run_dir")"
pods=()
for i in 0 1 2; do
  (PATH="$WORK/bin:$PATH" JOB_COMPLETION_INDEX=$i N=3 RUN_DIR="$RUN_DIR" LEAD_S=30 SHIM_RC_1=1 \
    sh "$WORK/segment.sh" >"$WORK/pod-$i.log" 2>&1; echo $? >"$WORK/pod-$i.rc") &
  pods+=($!)
  STARTED_PIDS+=($!)
done
for pid in "${pods[@]}"; do wait "$pid"; done
for i in 0 1 2; do
  [[ $(cat "$WORK/pod-$i.rc") == 0 ]] || { cat "$WORK/pod-$i.log" >&2; fail "segment pod $i failed"; }
done
starts=()
for f in "$SHIM_LOG"/run.*; do
  mapfile -t argv <"$f"
  [[ ${argv[0]} == run && ${argv[1]} == "$WORK/k8s/pipeline.yaml" ]] || fail "argv ${argv[*]}"
  [[ ${argv[2]} == --segment && ${argv[3]} =~ ^[0-2]/3$ ]] || fail "no --segment I/3: ${argv[*]}"
  i=${argv[3]%/3}
  [[ ${argv[4]} == --start-at && ${argv[6]} == --no-backend ]] || fail "argv ${argv[*]}"
  [[ ${argv[7]} == --out && ${argv[8]} == "$RUN_DIR/part-$i" ]] || fail "argv ${argv[*]}"
  ((${#argv[@]} == 9)) || fail "extra arguments: ${argv[*]}"
  [[ ${argv[5]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] \
    || fail "--start-at ${argv[5]} is not RFC 3339 UTC"
  starts+=("${argv[5]}")
done
((${#starts[@]} == 3)) || fail "expected 3 segment runs, got ${#starts[@]}"
[[ ${starts[0]} == "${starts[1]}" && ${starts[1]} == "${starts[2]}" ]] \
  || fail "the pods disagree on the start: ${starts[*]}"
ahead=$(($(date -u -d "${starts[0]}" +%s) - $(date -u +%s)))
((ahead > 15 && ahead <= 30)) || fail "start-at is ${ahead}s ahead, want about LEAD_S=30"
[[ $(cat "$RUN_DIR/part-1.done") == 1 ]] || fail "part-1.done does not hold the segment's exit code"

# A segment that is INVALID or ERROR fails its pod (PASS, FAIL, INCONCLUSIVE do not).
(PATH="$WORK/bin:$PATH" JOB_COMPLETION_INDEX=0 N=3 RUN_DIR="$WORK/results/again" LEAD_S=0 \
  SHIM_RC_0=3 sh "$WORK/segment.sh" >/dev/null 2>&1) && fail "an ERROR segment did not fail its pod"

# The merge pod: every part present, merged in segment order.
rm -f "$SHIM_LOG"/merge.*
PATH="$WORK/bin:$PATH" N=3 RUN_DIR="$RUN_DIR" WAIT_S=60 sh "$WORK/merge.sh" >"$WORK/merge.log" 2>&1 \
  || { cat "$WORK/merge.log" >&2; fail "the merge pod failed"; }
mapfile -t argv <"$(ls "$SHIM_LOG"/merge.*)"
want=(merge "$RUN_DIR/part-0/results.json" "$RUN_DIR/part-1/results.json" "$RUN_DIR/part-2/results.json" --out "$RUN_DIR/merged")
[[ "${argv[*]}" == "${want[*]}" ]] || fail "merge argv: ${argv[*]}"
# The gate: the merge's exit code is the pod's (so the Job's).
rc=0
PATH="$WORK/bin:$PATH" N=3 RUN_DIR="$RUN_DIR" WAIT_S=0 SHIM_MERGE_RC=1 sh "$WORK/merge.sh" >/dev/null 2>&1 || rc=$?
((rc == 1)) || fail "a FAIL merge exited $rc, not 1"
# A part still missing when the wait is over: merged without it, --allow-missing.
rm -f "$RUN_DIR/part-2.done" "$SHIM_LOG"/merge.*
PATH="$WORK/bin:$PATH" N=3 RUN_DIR="$RUN_DIR" WAIT_S=0 sh "$WORK/merge.sh" >"$WORK/merge.log" 2>&1 \
  || fail "the merge pod failed with a part missing"
grep -q "2 of 3 parts after 0s" "$WORK/merge.log" || fail "the merge does not say a part is missing"
grep -qx -- --allow-missing "$SHIM_LOG"/merge.* || fail "no --allow-missing with a part missing"
grep -q "part-2/results.json" "$SHIM_LOG"/merge.* && fail "an unfinished part was merged"

# --- github: action-validator, with teeth; matrix, artifacts, merge gate.
run_stagegate render github "$pipeline" --parallelism 3
expect_rc 0
mkdir -p "$WORK/gh/.github/workflows"
wf="$WORK/gh/.github/workflows/segments.yml"
cp "$WORK/stdout.txt" "$wf"
"$modules/.bin/action-validator" "$wf" || fail "the rendered workflow is not valid (see above)"
node -e '
const yaml = require("js-yaml");
const wf = yaml.load(require("fs").readFileSync(process.argv[1], "utf8"));
const seg = wf.jobs.segment, merge = wf.jobs.merge;
const problems = [];
if (JSON.stringify(seg.strategy.matrix.index) !== "[0,1,2]") problems.push("matrix");
if (seg.strategy["fail-fast"] !== false) problems.push("fail-fast");
const run = seg.steps.find((s) => s.with && s.with.args);
if (!/^--segment \$\{\{ matrix.index \}\}\/3 --start-at \$\{\{ needs.plan.outputs.start-at \}\} --no-backend$/.test(run.with.args)) problems.push("args " + run.with.args);
if (run.with["artifact-name"] !== "part-${{ matrix.index }}") problems.push("artifact");
if (run.with.pipeline !== process.argv[2]) problems.push("pipeline " + run.with.pipeline);
if (merge.needs !== "segment") problems.push("needs");
const steps = merge.steps.map((s) => s.uses || s.run).join("|");
if (!steps.includes("actions/download-artifact@v7") || !steps.includes("stagegate merge parts/part-*/results.json --out merged")) problems.push("merge steps " + steps);
if (problems.length) { console.log(problems.join("\n")); process.exit(1); }
' "$wf" "$pipeline" || fail "the workflow does not have the matrix/merge shape"
sed 's/^    runs-on:/    runs_on:/' "$wf" >"$WORK/gh/.github/workflows/broken.yml"
"$modules/.bin/action-validator" "$WORK/gh/.github/workflows/broken.yml" >/dev/null 2>&1 \
  && fail "action-validator accepted a broken copy (no teeth)"

# --- bad input: INVALID (2), with what to do.
bad() {  # bad EXPECTED-TEXT ARGS...
  local text=$1
  shift
  run_stagegate render "$@"
  expect_rc 2
  grep -q -- "$text" "$WORK/stderr.txt" || { cat "$WORK/stderr.txt" >&2; fail "render $*: no \"$text\""; }
  [[ ! -s "$WORK/stdout.txt" ]] || fail "render $*: printed something on a bad input"
}
img=(--image ghcr.io/stagegate/stagegate:1 --results-claim c)
bad "use a whole number from 1 to 256" k8s "$pipeline" --parallelism 0 "${img[@]}"
bad "use a whole number from 1 to 256" github "$pipeline" --parallelism 257
bad "use a whole number from 1 to 256" github "$pipeline" --parallelism two
bad "needs --parallelism N" github "$pipeline"
bad "needs --image IMAGE" k8s "$pipeline" --parallelism 2 --results-claim c
bad "emptyDir is private to its pod" k8s "$pipeline" --parallelism 2 --image i
bad 'unknown target; use k8s or github (did you mean "k8s"?)' k9s "$pipeline" --parallelism 2
bad "cannot read the pipeline file" github "$WORK/nope.yaml" --parallelism 2
printf 'version: 1\nname: x\ntarget: { base_url: http://127.0.0.1:1 }\nstages:\n  - name: s\n    vus: 1\n    duration: 2 min\n' >"$WORK/invalid.yaml"
bad "invalid.yaml:7:" github "$WORK/invalid.yaml" --parallelism 2
bad "the pipeline is not valid" github "$WORK/invalid.yaml" --parallelism 2
bad "--results-claim is for render k8s" github "$pipeline" --parallelism 2 --results-claim c
bad "use whole seconds" k8s "$pipeline" --parallelism 2 "${img[@]}" --lead 99999
echo "ok"
