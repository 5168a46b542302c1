# Open-model sizing (issue 17 item 6): without max_vus a stage gets one second of requests
# at its peak rate (20/s -> 20, not a fixed 100); with a max_vus too small for rate x
# latency (50/s x 200 ms needs ~10, max_vus 2), the arrivals that find every VU busy are
# dropped, the console says so with the max_vus that would fit, and the stage is
# INCONCLUSIVE (exit 4) rather than a latency FAIL made of the generator's own queue; and
# the default is bounded by the open-files limit.
source "$(dirname "$0")/lib.sh"
need jq

export PORT=$(free_port)
run_stagegate run "$PIPELINES/open-sizing.yaml" --out "$WORK/out" --no-progress
expect_rc 4
r="$WORK/out/results.json"
[[ $(jqr "$r" '.stages[0].verdict') == PASS ]] || fail "sized: $(jqr "$r" '.stages[0].reason')"
[[ $(jqr "$r" '.stages[0].load.max_vus') == 20 ]] || fail "sized: default max_vus $(jqr "$r" '.stages[0].load.max_vus'), expected 20"
[[ $(jqr "$r" '.stages[0].extra.max_in_flight') == 20 ]] || fail "sized: the engine used $(jqr "$r" '.stages[0].extra.max_in_flight')"

[[ $(jqr "$r" '.stages[1].verdict') == INCONCLUSIVE ]] || fail "narrow: $(jqr "$r" '.stages[1].verdict'): $(jqr "$r" '.stages[1].reason')"
reason=$(jqr "$r" '.stages[1].reason')
[[ "$reason" == *"dropped because all 2 allowed VUs (max_vus) were busy: max_vus "*" would fit (peak rate 50/s x p99 "* ]] ||
  fail "narrow: reason: $reason"
fits=$(sed -n 's/.*were busy: max_vus \([0-9]*\) would fit.*/\1/p' <<<"$reason")
# 50/s x p99 of ~200 ms (more on a loaded machine): about 10, never below it.
(( fits >= 10 && fits <= 100 )) || fail "narrow: max_vus that would fit: $fits"
(( $(jqr "$r" '.stages[1].extra.dropped_all_busy') > 0 )) || fail "narrow: dropped_all_busy"
grep -q "narrow.*INCONCLUSIVE.*were busy: max_vus $fits would fit" "$WORK/stdout.txt" ||
  fail "narrow: the console names the max_vus that would fit"
grep -q "hint: .*max_vus $fits would fit.*generator's own queue" "$WORK/stdout.txt" ||
  fail "narrow: the hint on the console"

# The default is bounded by the open-files limit: under 64 descriptors the same stage gets
# fewer than 20 VUs (what fits) and runs, instead of being refused or failing with EMFILE.
need prlimit
export PORT=$(free_port)
set +e
prlimit --nofile=64:64 "$STAGEGATE" run "$PIPELINES/open-sizing.yaml" --only sized \
  --out "$WORK/bounded" --no-progress >"$WORK/bounded.stdout" 2>&1
RC=$?
set -e
[[ $RC == 0 ]] || { cat "$WORK/bounded.stdout"; fail "bounded: expected PASS, got exit $RC"; }
r="$WORK/bounded/results.json"
used=$(jqr "$r" '.stages[0].extra.max_in_flight')
(( used >= 4 && used < 20 )) || fail "bounded: the engine used $used VUs under a 64-file limit"
[[ $(jqr "$r" '.stages[0].metrics.errors.generator') == 0 ]] || fail "bounded: generator errors"
echo "ok"
