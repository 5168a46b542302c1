# issue 11.8: ramps longer than the stage are refused (after --set) with line:col and both
# values; --time-scale shortens a run keeping its shape (the README recipe); `--` ends the
# options, so a file whose name starts with "-" can be run.
source "$(dirname "$0")/lib.sh"
export PORT
PORT=$(free_port)

run_stagegate validate "$PIPELINES/basic.yaml" --set stages.load.ramp_up=2s --set stages.load.ramp_down=1s
expect_rc 2
grep -qF -- '--set: stages[1].ramp_up: ramp_up 2s + ramp_down 1s is longer than duration 2s' \
  "$WORK/stderr.txt" || fail "ramp check after --set"
grep -qF -- '(from --set stages.load.ramp_up=2s)' "$WORK/stderr.txt" || fail "names the --set"

cp "$PIPELINES/basic.yaml" "$WORK/ramps.yaml"
sed -i 's/^    duration: \${LOAD_DURATION:-2s}$/    duration: ${LOAD_DURATION:-2s}\n    ramp_up: 3s/' "$WORK/ramps.yaml"
run_stagegate validate "$WORK/ramps.yaml"
expect_rc 2
grep -qE "ramps.yaml:[0-9]+:14: stages\[1\].ramp_up: ramp_up 3s \+ ramp_down 0s is longer than duration 2s" \
  "$WORK/stderr.txt" || fail "ramp check names line:col and both values"

# The recipe: --time-scale scales durations, ramps and cooldowns together.
run_stagegate validate "$PIPELINES/basic.yaml" --time-scale 0
expect_rc 2
grep -q -- "--time-scale 0: use a number above 0" "$WORK/stderr.txt" || fail "--time-scale range"
cd "$WORK"
cp "$PIPELINES/basic.yaml" ./-weird-name.yaml
run_stagegate run --out "$WORK/out" --no-progress --only smoke --time-scale 0.5 \
  --set stages.smoke.ramp_up=1s -- -weird-name.yaml
expect_rc 0
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].load.duration_s') == 1 ]] || fail "2s scaled by 0.5 is 1s"
grep -q 'stage 1/1 "smoke": 3 VUs (ramp up 500ms, down 0s) for 1s' "$WORK/stdout.txt" ||
  fail "the start line shows the scaled ramp and duration"
grep -q -- '^stagegate: note: --time-scale 0.5: ' "$WORK/stdout.txt" || fail "the console says the run was scaled"
grep -q -- '--time-scale 0.5: stage durations, ramps and cooldowns are 0.5 times' "$WORK/out/report.md" ||
  fail "report.md says the run was scaled"
jqr "$r" '.warnings[]' | grep -q -- '--time-scale 0.5' || fail "results.json says the run was scaled"
run_stagegate validate -- -weird-name.yaml
expect_rc 0
echo "ok"
