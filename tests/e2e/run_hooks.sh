# Hooks (SPEC "Additions for rollouts"): run and stage hooks run with the STAGEGATE_*
# variables, results.json is written before each, their output goes to hooks.log redacted,
# their exit status and duration to results.json and every report. A failing before hook
# is ERROR (exit 3) and the stage does not run; a hanging one is stopped at its timeout with
# its whole process group; on_fail runs on FAIL/ERROR and on SIGTERM (then exit 130). Also:
# a traffic step, an observe stage (no load) and a stage with its own target.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port) ALT_PORT=$(free_port) API_TOKEN="hook-secret-7d41c0"
export HOOK_DIR="$WORK/hooks"
start_backend "$ALT_PORT" LOG_REQUESTS=1
alt_log="$WORK/backend-$ALT_PORT.log"
pipeline="$PIPELINES/hooks.yaml"
env_of() { grep "^$2=" "$HOOK_DIR/$1.env" | cut -d= -f2-; }
fresh() { rm -rf "$HOOK_DIR"; mkdir -p "$HOOK_DIR"; : >"$alt_log"; }

# 1. Everything passes.
fresh
export BEFORE_CMD='exit 0'
run_stagegate run "$pipeline" --out "$WORK/pass" --no-progress
expect_rc 0
r="$WORK/pass/results.json"
run_id=$(jqr "$r" .run.id)
[[ $(env_of before_run STAGEGATE_RUN_ID) == "$run_id" ]] || fail "STAGEGATE_RUN_ID"
[[ $(env_of before_run STAGEGATE_PIPELINE) == "e2e hooks" ]] || fail "STAGEGATE_PIPELINE"
[[ $(env_of before_run STAGEGATE_OUT) == "$WORK/pass" ]] || fail "STAGEGATE_OUT"
[[ $(env_of before_run STAGEGATE_RESULTS) == "$WORK/pass/results.json" ]] || fail "STAGEGATE_RESULTS"
[[ -z $(env_of before_run STAGEGATE_STAGE) ]] || fail "no stage at run level"
[[ $(env_of before-canary-10 STAGEGATE_STAGE) == canary-10 ]] || fail "STAGEGATE_STAGE"
[[ $(env_of before-canary-10 STAGEGATE_STAGE_INDEX) == 0 ]] || fail "STAGEGATE_STAGE_INDEX"
[[ $(env_of before-canary-10 STAGEGATE_TRAFFIC) == 10 ]] || fail "STAGEGATE_TRAFFIC"
[[ -z $(env_of before-canary-10 STAGEGATE_VERDICT) ]] || fail "no verdict before the stage"
[[ $(env_of after-canary-10 STAGEGATE_VERDICT) == PASS ]] || fail "after hook gets the verdict"
[[ $(env_of after_run STAGEGATE_VERDICT) == PASS ]] || fail "after_run gets the run's verdict"
[[ ! -e "$HOOK_DIR/run_on_fail.env" ]] || fail "on_fail ran on a PASS"
# results.json was there, with this run's stages, when the before hook ran.
[[ $(jqr "$HOOK_DIR/results-before-canary.json" '.run.id') == "$run_id" ]] || fail "results so far"
[[ $(jqr "$r" '[.hooks[] | "\(.stage // "-"):\(.kind):\(.exit_code)"] | join(" ")') == \
   "-:before_run:0 canary-10:before:0 canary-10:after:0 elsewhere:before:0 -:after_run:0" ]] \
  || fail "hooks in results.json: $(jq -c .hooks "$r")"
[[ $(jqr "$r" '.hooks[1].argv[0]') == sh ]] || fail "argv recorded"
[[ $(jqr "$r" '[.hooks[].duration_s >= 0] | all') == true ]] || fail "durations recorded"
[[ $(jqr "$r" '.stages[0].traffic') == 10 ]] || fail "stage traffic in results.json"
[[ $(jqr "$r" '.stages[1].observe') == true ]] || fail "observe stage marked"
[[ $(jqr "$r" '.stages[1].verdict') == PASS ]] || fail "observe stage judged"
[[ $(jqr "$r" '.stages[1].metrics.requests // 0') == 0 ]] || fail "observe stage sent load"
[[ $(jqr "$r" '.stages[1].criteria | map(.expr) | join(",")') == "backend.crashes == 0,backend.crashes == 0" ]] \
  || fail "observe stage: only backend criteria (defaults' load criteria dropped)"
[[ $(jqr "$r" '.stages[2].metrics.requests > 0') == true ]] || fail "elsewhere sent load"
grep -q "GET /conversations/c1/messages" "$alt_log" || fail "the stage target was not used"
grep -q "token=\*\*\*" "$WORK/pass/hooks.log" || fail "hook output in hooks.log, redacted"
grep -q "to stderr" "$WORK/pass/hooks.log" || fail "hook stderr in hooks.log"
if grep -rl "hook-secret-7d41c0" "$WORK/pass" "$WORK/stdout.txt" "$WORK/stderr.txt"; then
  fail "the secret leaked into the files above"
fi
grep -q "^## Hooks" "$WORK/pass/report.md" || fail "report.md lists the hooks"
grep -qF "stage canary-10 before \\[sh -c" "$WORK/pass/report.md" || fail "report.md hook line"
grep -q "traffic 10%" "$WORK/pass/report.md" || fail "report.md shows the traffic"
grep -q "<h2>Hooks</h2>" "$WORK/pass/report.html" || fail "report.html lists the hooks"
grep -q "traffic 10%" "$WORK/pass/report.html" || fail "report.html shows the traffic"
grep -q "hooks (output in hooks.log)" "$WORK/stdout.txt" || fail "console lists the hooks"
grep -q "observe" "$WORK/stdout.txt" || fail "console shows the observe stage"

# 2. A failing before hook: ERROR (exit 3), the stage does not run, both on_fail hooks run.
fresh
export BEFORE_CMD='echo "weights not set"; exit 7'
run_stagegate run "$pipeline" --out "$WORK/before-fails" --no-progress
expect_rc 3
r="$WORK/before-fails/results.json"
[[ $(jqr "$r" .verdict) == ERROR ]] || fail "run ERROR"
[[ $(jqr "$r" '.stages[2].verdict') == ERROR ]] || fail "stage ERROR"
jqr "$r" '.stages[2].reason' | grep -q "before hook .* exited with code 7" || fail "reason names the hook"
[[ $(jqr "$r" '.stages[2].metrics.requests // 0') == 0 ]] || fail "the stage ran"
! grep -q "GET /conversations" "$alt_log" || fail "load reached the stage's target"
[[ $(env_of on_fail-elsewhere STAGEGATE_VERDICT) == ERROR ]] || fail "stage on_fail ran with ERROR"
[[ $(env_of run_on_fail STAGEGATE_VERDICT) == ERROR ]] || fail "run on_fail ran with ERROR"
[[ $(env_of after_run STAGEGATE_VERDICT) == ERROR ]] || fail "after_run ran with ERROR"
grep -q "weights not set" "$WORK/before-fails/hooks.log" || fail "failing hook's output kept"

# 3. A hanging before hook (and a child it started) is stopped at its timeout.
fresh
export BEFORE_TIMEOUT=1s
export BEFORE_CMD='sleep 300 & echo $! > "$HOOK_DIR/child.pid"; sleep 300'
run_stagegate run "$pipeline" --out "$WORK/timeout" --no-progress
expect_rc 3
r="$WORK/timeout/results.json"
[[ $(jqr "$r" '.hooks[] | select(.stage == "elsewhere" and .kind == "before") | .timed_out') == true ]] \
  || fail "timed_out recorded: $(jq -c .hooks "$r")"
[[ $(jqr "$r" '.hooks[] | select(.stage == "elsewhere" and .kind == "before") | .exit_code') == null ]] \
  || fail "no exit code for a stopped hook"
child=$(cat "$HOOK_DIR/child.pid")
STARTED_PIDS+=("$child")
process_gone "$child" || fail "the hook's child $child outlived its timeout"
jqr "$r" '.stages[2].reason' | grep -q "timed out after 1s" || fail "reason says timed out"
unset BEFORE_TIMEOUT

# 4. SIGTERM during a stage: the rollback (on_fail) runs, then exit 130.
fresh
export BEFORE_CMD='exit 0' CANARY_DURATION=30s
start_stagegate "$pipeline" "$WORK/term"
wait_for_output "$WORK/term" 'stage 1/3'
sleep 1
kill -TERM "$SG"
set +e; wait "$SG"; RC=$?; set -e
[[ "$RC" == 130 ]] || { cat "$WORK/term.stdout"; fail "exit $RC, expected 130"; }
[[ $(env_of run_on_fail STAGEGATE_VERDICT) == INTERRUPTED ]] || fail "on_fail ran on SIGTERM"
[[ $(jqr "$WORK/term/results.json" '.hooks[] | select(.kind == "on_fail") | .exit_code') == 0 ]] \
  || fail "on_fail recorded"
echo "ok"
