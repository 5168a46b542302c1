# Capacity across stages: the demo backend with a pool of 2 connections and 20 ms queries
# (throughput stops growing once both are busy, from 2 VUs on) under 1, 2, 4 and 8 VUs.
# The USL fit must place the peak within one stage of the first stage whose throughput no
# longer grew, say where the stages sit, and recommend a next stage; report.md and
# report.html show it. Asserts placement relative to the measured stages, never figures.
# Then two stages only: no fit, and the reports say why.
source "$(dirname "$0")/lib.sh"
need jq
export PORT=$(free_port)
run_stagegate run "$PIPELINES/capacity.yaml" --out "$WORK/out" --no-progress
expect_rc 0
results="$WORK/out/results.json"
[[ $(jqr "$results" '.capacity.model') == usl ]] || fail "results.json has no USL capacity fit"
[[ $(jqr "$results" '.capacity.stages | length') == 4 ]] || fail "four measured stages"

# The first stage whose throughput grew by less than 10% over the one before it, and the
# concurrency of its neighbours.
knee=$(jq '[.capacity.stages as $s | range(1; $s | length)
             | select($s[.].throughput < 1.1 * $s[. - 1].throughput)] | first // empty' "$results")
[[ -n $knee ]] || fail "throughput never stopped growing: $(jq -c '[.capacity.stages[].throughput]' "$results")"
low=$(jq ".capacity.stages[$knee - 1].concurrency" "$results")
high=$(jq ".capacity.stages[[$knee + 1, (.capacity.stages | length) - 1] | min].concurrency" "$results")
peak=$(jqr "$results" '.capacity.peak_concurrency')
[[ $peak != null ]] || fail "the fit found no peak"
jq -e --argjson low "$low" --argjson high "$high" \
  '.capacity.peak_concurrency >= $low and .capacity.peak_concurrency <= $high' "$results" >/dev/null ||
  fail "peak at N=$peak, not within one stage ($low..$high) of stage $knee where throughput stopped growing: $(jq -c '.capacity' "$results")"
# Where the stages sit: the first still scales, the last is past the peak it measured.
[[ $(jqr "$results" '.capacity.stages[0].position') == scaling ]] || fail "first stage not scaling"
[[ $(jqr "$results" '.capacity.stages[-1].position') == "past peak" ]] || fail "last stage not past peak"
# The next stage is sized near the peak, not at the doubling a linear projection gives.
jq -e --argjson low "$low" --argjson high "$high" \
  '.capacity.next_stage.vus >= $low and .capacity.next_stage.vus <= $high' "$results" >/dev/null ||
  fail "next stage $(jq -c '.capacity.next_stage' "$results") not near the peak"
# Little's law: closed model without think time, so in flight is about the VUs.
jq -e '.capacity.stages | all(.littles_law_ratio > 0.5 and .littles_law_ratio <= 1.05)' "$results" >/dev/null ||
  fail "Little's law check: $(jq -c '[.capacity.stages[].littles_law_ratio]' "$results")"
jq -e '.capacity.fit_error >= 0' "$results" >/dev/null || fail "fit error"

grep -q '^## Capacity' "$WORK/out/report.md" || fail "report.md has no Capacity section"
grep -q 'Estimated peak: .* at a concurrency of' "$WORK/out/report.md" || fail "report.md: no peak in words"
grep -q 'past peak' "$WORK/out/report.md" || fail "report.md: stage positions"
grep -q '<h2>Capacity</h2>' "$WORK/out/report.html" || fail "report.html has no Capacity section"
grep -q 'class="series s0 usl-fit"' "$WORK/out/report.html" || fail "report.html: no fitted curve"
[[ $(grep -c '<circle class="measured"' "$WORK/out/report.html") == 4 ]] || fail "report.html: four measured points"

# Two stages: said, not fitted.
export PORT=$(free_port) STAGE_DURATION=1s
run_stagegate run "$PIPELINES/capacity.yaml" --out "$WORK/two" --no-progress --only vus-1 --only vus-2
expect_rc 0
[[ $(jqr "$WORK/two/results.json" 'has("capacity")') == false ]] || fail "capacity fitted from two stages"
grep -q 'No capacity fit: 2 stages with load ran; a capacity fit needs three or more' "$WORK/two/report.md" ||
  fail "report.md does not say why there is no fit"
grep -q 'No capacity fit: 2 stages' "$WORK/two/report.html" || fail "report.html does not say why"
echo "ok"
