#!/usr/bin/env bash
# One short fuzz run for ctest (tests fuzz.*): runs FUZZER for SECONDS on a copy of CORPUS
# (the repo is never written) and fails on any crash, hang (>5 s per input), leak or
# memory blow-up (>1 GB); the input that did it is kept in ARTIFACTS.
#   run_fuzzer.sh FUZZER CORPUS SECONDS ARTIFACTS [DICT]
set -euo pipefail
fuzzer="$1" corpus="$2" seconds="$3" artifacts="$4" dict="${5:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/stagegate-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$corpus" "$work/corpus"
mkdir -p "$artifacts"
args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1
      -artifact_prefix="$artifacts/")
if [[ -n "$dict" ]]; then
  args+=(-dict="$dict")
fi
status=0
"$fuzzer" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || status=$?
if ((status != 0)); then
  cat "$work/log"
  echo "run_fuzzer: $(basename "$fuzzer") failed (exit $status); the input is in $artifacts:" >&2
  ls -l "$artifacts" >&2 || true
  echo "reproduce: $fuzzer $artifacts/<file>" >&2
  exit 1
fi
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|INITED|cov:' "$work/log" | tail -n 5
