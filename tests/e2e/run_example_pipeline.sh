# pipelines/chat-quick.yaml as scripts/demo runs it: from the repository root, with the
# pipeline and the backend given as relative paths, shortened with --set. PASS, exit 0.
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)
# AddressSanitizer's quarantine and shadow memory make the demo backend's RSS grow faster.
if [[ "${SANITIZED:-0}" == 1 ]]; then export MAX_MEMORY_GROWTH=400; fi
cd "$SOURCE_DIR"
export STAGEGATE_BACKEND=$(realpath --relative-to="$SOURCE_DIR" "$CHAT_BACKEND")
run_stagegate run pipelines/chat-quick.yaml --out "$WORK/out" --no-progress \
  --set 'stages[*].duration=2s' --set 'stages[*].ramp_up=0s' --set defaults.cooldown=200ms \
  --set stages.stress.vus=20
expect_rc 0
r="$WORK/out/results.json"
[[ $(jqr "$r" '[.stages[].verdict] | join(",")') == PASS,PASS,PASS ]] || fail "three stages pass"
grep -q "verdict: PASS" "$WORK/stdout.txt" || fail "console verdict"
echo "ok"
