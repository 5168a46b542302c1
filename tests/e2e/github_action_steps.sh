# The action's own shell steps, run as the runner would (steps.run and the gate, taken from
# .github/actions/stagegate/action.yml with js-yaml): extra arguments split at spaces and
# new lines, the baseline passed as --baseline, the exit code and the verdict outputs (also
# for a run rejected before it started), and the gate failing the step only on a non-zero
# exit. The build step is not run: the workspace's .stagegate-build points at this build.
source "$(dirname "$0")/lib.sh"
need node
need jq
js_yaml="$SOURCE_DIR/tests/schema/node_modules/js-yaml"
[[ -d "$js_yaml" ]] || { echo "SKIP: npm test tools not installed (scripts/setup --test)"; exit 125; }
# Both actions: the root one (action.yml, source-build branch: FROM is not "release") and
# the older .github/actions/stagegate.
for action in "$SOURCE_DIR/action.yml" "$SOURCE_DIR/.github/actions/stagegate/action.yml"; do
WORK_ALL="$WORK"
WORK="$WORK_ALL/$(basename "$(dirname "$action")")"
rm -rf "$WORK"; mkdir -p "$WORK"

# step_script ID|NAME: the run: script of that step.
step_script() {
    node -e '
        const yaml = require(process.argv[1]);
        const action = yaml.load(require("fs").readFileSync(process.argv[2], "utf8"));
        const step = action.runs.steps.find((s) => s.id === process.argv[3] || s.name === process.argv[3]);
        if (!step || !step.run) { process.exit(1); }
        process.stdout.write(step.run);
    ' "$js_yaml" "$action" "$1"
}
step_script run >"$WORK/run-step.sh" || fail "action.yml has no step with id run"
step_script "Gate on the verdict" >"$WORK/gate-step.sh" || fail "action.yml has no gate step"

workspace="$WORK/workspace"
mkdir -p "$workspace/.stagegate-build/orchestrator" "$workspace/.stagegate-build/examples/chat-backend"
ln -s "$STAGEGATE" "$workspace/.stagegate-build/orchestrator/stagegate"
ln -s "$CHAT_BACKEND" "$workspace/.stagegate-build/examples/chat-backend/chat-backend"
cp "$PIPELINES/basic.yaml" "$workspace/pipeline.yaml"
unset STAGEGATE_BACKEND GITHUB_STEP_SUMMARY GITHUB_ACTIONS

# run_step NAME PIPELINE OUT BASELINE ARGS: runs the step in the workspace as the runner
# does (bash -e, its own GITHUB_OUTPUT); sets STEP_RC and leaves the outputs in NAME.out.
run_step() {
    local name=$1
    : >"$WORK/$name.out"
    set +e
    (cd "$workspace" && PIPELINE=$2 OUT=$3 BASELINE=$4 ARGS=$5 GITHUB_OUTPUT="$WORK/$name.out" \
        bash --noprofile --norc -e -o pipefail "$WORK/run-step.sh") >"$WORK/$name.log" 2>&1
    STEP_RC=$?
    set -e
}
output() { sed -n "s/^$2=//p" "$WORK/$1.out"; }

# A passing run, shortened through `args` (a new line and spaces separate the arguments).
export PORT=$(free_port)
run_step pass pipeline.yaml out-pass "" $'--set stages[*].duration=1s\n  --only smoke --no-progress'
((STEP_RC == 0)) || { cat "$WORK/pass.log"; fail "the run step itself failed"; }
[[ $(output pass exit-code) == 0 ]] || { cat "$WORK/pass.log"; fail "exit-code output"; }
[[ $(output pass verdict) == PASS ]] || fail "verdict output (written by stagegate)"
[[ $(grep -c '^verdict=' "$WORK/pass.out") == 1 ]] || fail "verdict written once"
[[ $(output pass results) == out-pass/results.json ]] || fail "results output"
[[ $(output pass highest-passed-stage) == smoke ]] || fail "highest-passed-stage output"
[[ $(jq '.stages | length' "$workspace/out-pass/results.json") == 1 ]] || fail "--only smoke not passed"
[[ $(jq '.stages[0].load.duration_s' "$workspace/out-pass/results.json") == 1 ]] || fail "--set not passed"

# A run rejected before it started: the step still succeeds and reports INVALID.
run_step invalid missing.yaml out-invalid "" ""
((STEP_RC == 0)) || fail "the run step failed on an invalid pipeline"
[[ $(output invalid exit-code) == 2 ]] || fail "exit-code output for an invalid run"
[[ $(output invalid verdict) == INVALID ]] || fail "fallback verdict INVALID"
grep -q '^results=$' "$WORK/invalid.out" && grep -q '^highest-passed-stage=$' "$WORK/invalid.out" ||
    fail "empty results/highest-passed-stage outputs"

# The baseline reaches stagegate as --baseline (a missing file is a bad command line).
run_step baseline pipeline.yaml out-baseline "no-such-baseline.json" "--no-progress"
[[ $(output baseline exit-code) =~ ^[23]$ ]] || { cat "$WORK/baseline.log"; fail "a missing baseline is not rejected"; }
grep -q -- 'baseline' "$WORK/baseline.log" || fail "the rejection does not name the baseline"

# The gate fails the step with stagegate's exit code, and passes on 0.
for code in 0 1 3 4; do
    set +e
    CODE=$code VERDICT=X bash --noprofile --norc -e -o pipefail "$WORK/gate-step.sh" >/dev/null
    rc=$?
    set -e
    ((rc == code)) || fail "gate: exit $rc for code $code"
done
# With GITHUB_ACTIONS, stagegate itself writes verdict=INVALID for a bad pipeline; the
# step adds the empty results/highest-passed-stage once, and the verdict stays single.
printf 'version: 1\nname: bad\nstages: 3\n' >"$workspace/bad.yaml"
GITHUB_ACTIONS=true run_step invalid-gh bad.yaml out-invalid-gh "" ""
[[ $(output invalid-gh verdict) == INVALID && $(grep -c '^verdict=' "$WORK/invalid-gh.out") == 1 ]] ||
    { cat "$WORK/invalid-gh.out"; fail "verdict=INVALID written once"; }
grep -q '^results=$' "$WORK/invalid-gh.out" || fail "no empty results output after stagegate's verdict"
grep -q '^::error file=bad.yaml,line=' "$WORK/invalid-gh.log" || fail "no annotation at the bad pipeline's line"
WORK="$WORK_ALL"
done
echo "ok"
