# pipelines/chat-quick.yaml as scripts/demo runs it: from the repository root, with the
# pipeline and the backend given as relative paths, shortened with --set. PASS, exit 0.
source "$(dirname "$0")/lib.sh"
run_example_pipeline chat-quick 2s 200ms
expect_rc 0
r="$WORK/out/results.json"
[[ $(jqr "$r" '[.stages[].verdict] | join(",")') == PASS,PASS,PASS ]] || fail "three stages pass"
grep -q "verdict: PASS" "$WORK/stdout.txt" || fail "console verdict"
echo "ok"
