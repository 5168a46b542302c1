# Segments and merge on the demo backend: --segment 0/3, 1/3, 2/3 as three processes that
# start together (--start-at), merged. The merged request count equals what the backend
# served, the open stage's merged per-second rate follows its schedule within 1%, and
# every INVALID input of merge (duplicate, missing, other pipeline, corrupt histogram,
# other results version, no part) exits 2 naming the file.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
start_backend "$PORT" DISABLE_RATE_LIMIT=true
P="$PIPELINES/segments.yaml"

# Usage errors of the new run options: exit 2 with what is wrong, before anything runs.
for bad in "--segment 3/3" "--segment 1/0" "--segment x/3" "--segment 1" \
           "--start-at tomorrow" "--start-at 2026-12-03T10:00:00"; do
  # shellcheck disable=SC2086
  run_stagegate run "$P" $bad --out "$WORK/bad"
  expect_rc 2
  grep -qE "segment|start-at" "$WORK/stderr.txt" || fail "$bad: no message: $(cat "$WORK/stderr.txt")"
done

# An executor that runs a whole tool cannot take a share of a stage: INVALID before the run.
WRK_ADAPTER=/bin/true run_stagegate run "$PIPELINES/same-table-wrk.yaml" --segment 1/2 \
  --out "$WORK/bad"
expect_rc 2
grep -q "the command executor does not split a stage (executors that do: builtin)" \
  "$WORK/stderr.txt" || fail "--segment with command: $(cat "$WORK/stderr.txt")"

at=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
pids=()
for i in 0 1 2; do
  extra=()
  [[ $i != 0 ]] && extra=(--no-backend)
  "$STAGEGATE" run "$P" --segment "$i/3" --start-at "$at" "${extra[@]}" --threads 1 \
    --out "$WORK/part$i" --no-progress >"$WORK/part$i.txt" 2>&1 &
  pids+=($!)
  STARTED_PIDS+=($!)
done
for i in 0 1 2; do
  wait "${pids[$i]}" || fail "segment $i/3 exited $?: $(tail -5 "$WORK/part$i.txt")"
done
parts=("$WORK/part0/results.json" "$WORK/part1/results.json" "$WORK/part2/results.json")
for i in 0 1 2; do
  [[ $(jqr "${parts[$i]}" '.segment.index') == "$i" ]] || fail "part $i has no segment"
done

run_stagegate merge "${parts[@]}" --out "$WORK/merged"
expect_rc 0
M="$WORK/merged/results.json"
[[ $(jqr "$M" .verdict) == PASS ]] || fail "merged verdict $(jqr "$M" .verdict)"
merged=$(jqr "$M" '[.stages[].metrics.requests] | add')
served=$(curl -fsS "http://127.0.0.1:$PORT/stats" | jq -r .requests_total)
[[ "$merged" == "$served" ]] || fail "merged $merged requests, the backend served $served"
summed=$(jq -s '[.[].stages[].metrics.requests] | add' "${parts[@]}")
[[ "$merged" == "$summed" ]] || fail "merged $merged, the parts hold $summed"

# Closed model 5 VUs over 3: the segments ran 2, 2 and 1 VUs (VU numbers 0,3 / 1,4 / 2).
vus=$(jq -s -c '[.[].stages[0].part.series | map(.vus) | max]' "${parts[@]}")
[[ "$vus" == "[2,2,1]" ]] || fail "closed-model shares $vus, expected [2,2,1]"

# Open model 150/s for 4 s: 600 requests in all, each full second within 1% of 150.
[[ $(jqr "$M" '.stages[1].metrics.requests') == 600 ]] || fail "open stage: $(jqr "$M" '.stages[1].metrics.requests') requests, scheduled 600"
jq -e '.stages[1].series | length >= 4' "$M" >/dev/null || fail "merged series too short"
off=$(jq -r '.stages[1].series[] | select(.rps > 0) | .rps' "$M" | sed -n '2,3p' |
  awk '{ d = ($1 - 150) / 150; if (d < 0) d = -d; if (d > 0.01) print $1 }')
[[ -z "$off" ]] || fail "merged per-second rate off the schedule by more than 1%: $off"

# The merged result is valid against the results schema where the validator is installed.
ajv="$SOURCE_DIR/tests/schema/node_modules/.bin/ajv"
if [[ -x "$ajv" ]]; then
  for f in "$M" "${parts[0]}"; do
    (cd "$SOURCE_DIR/tests/schema" && "$ajv" validate --spec=draft7 -c ajv-formats \
      -s "$SOURCE_DIR/schemas/results.schema.json" -d "$f" >/dev/null 2>&1) ||
      fail "$f does not match results.schema.json"
  done
fi

# INVALID inputs: exit 2 and the offending file named.
invalid() {  # usage: invalid WHAT TEXT FILE...  (TEXT expected on stderr)
  local what=$1 text=$2
  shift 2
  run_stagegate merge "$@" --out "$WORK/invalid"
  [[ $RC == 2 ]] || fail "$what: exit $RC, expected 2"
  grep -qF -- "$text" "$WORK/stderr.txt" || fail "$what: expected \"$text\" in: $(cat "$WORK/stderr.txt")"
}
invalid duplicate "${parts[1]}" "${parts[0]}" "${parts[1]}" "${parts[1]}" "${parts[2]}"
invalid missing "segment 2/3 missing" "${parts[0]}" "${parts[1]}"
other="$WORK/other-pipeline.json"
jq '.segment.pipeline_hash = "0000000000000000"' "${parts[2]}" >"$other"
invalid "other pipeline" "$other" "${parts[0]}" "${parts[1]}" "$other"
corrupt="$WORK/corrupt.json"
jq '.stages[1].part.operations.history.histograms.latency.hdr |= (.[0:40] + (if .[40:41] == "A" then "B" else "A" end) + .[41:])' \
  "${parts[1]}" >"$corrupt"
invalid "corrupt histogram" "$corrupt" "${parts[0]}" "$corrupt" "${parts[2]}"
grep -qF "corrupt histogram" "$WORK/stderr.txt" || fail "corrupt: not said: $(cat "$WORK/stderr.txt")"
version="$WORK/other-version.json"
jq '.schema = "stagegate.results/v2"' "${parts[2]}" >"$version"
invalid "results version" "$version" "${parts[0]}" "${parts[1]}" "$version"
nopart="$WORK/no-segment.json"
jq 'del(.segment)' "${parts[2]}" >"$nopart"
invalid "not a part" "$nopart" "${parts[0]}" "${parts[1]}" "$nopart"

# --allow-missing: judged without the missing segment, INCONCLUSIVE (exit 4).
run_stagegate merge "${parts[0]}" "${parts[1]}" --allow-missing --out "$WORK/partial"
expect_rc 4
[[ $(jqr "$WORK/partial/results.json" .verdict) == INCONCLUSIVE ]] || fail "allow-missing verdict"

# A segment that starts more than 1 s after --start-at says so and records it.
past=$(date -u -d '-3 seconds' +%Y-%m-%dT%H:%M:%SZ)
run_stagegate run "$P" --only closed --segment 1/3 --start-at "$past" --out "$WORK/latepart" \
  --no-progress --set stages.closed.duration=1s
grep -q "after its planned time" "$WORK/stdout.txt" || fail "a late segment does not say so"
jq -e '.stages[0].part.late_s > 1' "$WORK/latepart/results.json" >/dev/null ||
  fail "late_s not recorded: $(jqr "$WORK/latepart/results.json" '.stages[0].part.late_s')"

# A segment more than 1 s late makes the merge INCONCLUSIVE.
late="$WORK/late.json"
jq '.stages[0].part.late_s = 2.5' "${parts[1]}" >"$late"
run_stagegate merge "${parts[0]}" "$late" "${parts[2]}" --out "$WORK/late"
expect_rc 4
grep -q "late" "$WORK/late/report.md" || fail "the report does not say which segment was late"
echo "ok ($merged requests merged = served)"
