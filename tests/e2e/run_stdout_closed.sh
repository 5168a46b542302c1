# issue 19.7: a closed stdout (`stagegate run P | head -1`) does not kill the run: the
# reports are written and the exit code is the verdict's (SIGPIPE is ignored).
source "$(dirname "$0")/lib.sh"
export PORT
PORT=$(free_port)
set +e
"$STAGEGATE" run "$PIPELINES/basic.yaml" --out "$WORK/out" --only smoke \
  --set stages.smoke.duration=1s 2>"$WORK/stderr.txt" | head -c 1 >/dev/null
codes=("${PIPESTATUS[@]}")
set -e
[[ ${codes[0]} == 0 ]] || fail "exit ${codes[0]} with stdout closed (141 is SIGPIPE)"
for f in report.md report.html results.json junit.xml; do
  [[ -s "$WORK/out/$f" ]] || fail "missing $f"
done
[[ $(jqr "$WORK/out/results.json" .verdict) == PASS ]] || fail "verdict"
echo "ok"
