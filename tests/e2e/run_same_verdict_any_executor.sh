# The same criteria table gives the same verdict whichever executor produced the numbers:
# the builtin engine and a real third-party tool (wrk, through the command executor and
# the adapter in plugins/adapters/wrk) against the demo backend, healthy and failing.
source "$(dirname "$0")/lib.sh"
need wrk
export WRK_ADAPTER="$SOURCE_DIR/plugins/adapters/wrk/stagegate-wrk.sh" WRK_OPERATION=history
for fault in 0 0.2; do
  for exe in builtin wrk; do
    export PORT=$(free_port) FAULT_ERROR_RATE=$fault
    run_stagegate run "$PIPELINES/same-table-$exe.yaml" --out "$WORK/$exe-$fault" --no-progress
    expected=0; [[ $fault == 0 ]] || expected=1
    expect_rc "$expected"
    r="$WORK/$exe-$fault/results.json"
    (( $(jqr "$r" '.stages[0].metrics.requests') > 10 )) || fail "$exe: too few requests"
    jqr "$r" '[.stages[0].criteria[] | "\(.expr)=\(.pass)"] | join(" ")' > "$WORK/$exe-$fault.criteria"
  done
  cmp "$WORK/builtin-$fault.criteria" "$WORK/wrk-$fault.criteria" ||
    fail "criteria differ at FAULT_ERROR_RATE=$fault: $(cat "$WORK/builtin-$fault.criteria") vs $(cat "$WORK/wrk-$fault.criteria")"
done
grep -q "success_rate > 99%=false" "$WORK/wrk-0.2.criteria" || fail "wrk run saw the 5xx errors"
echo "ok"
