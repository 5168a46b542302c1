# report.md of a real short run renders as GitHub-flavoured Markdown (cmark-gfm): every
# table becomes an HTML <table> with as many <th> as its header has columns, and no row has
# a stray unescaped `|`. The report carries the seed report's sections.
source "$(dirname "$0")/lib.sh"
need cmark-gfm
export PORT=$(free_port) SMOKE_DURATION=2s LOAD_DURATION=2s COOLDOWN=1s
run_stagegate run "$PIPELINES/basic.yaml" --out "$WORK/out" --no-progress
expect_rc 0
md="$WORK/out/report.md"
for section in "### Criteria" "### Latency distribution" "### HTTP timing" \
               "### Estimated concurrency (Little's law)" "### Backend" "## Recommendation"; do
  grep -qF "$section" "$md" || fail "report.md has no \"$section\""
done
# The seed report's depth (issue 15): a summary paragraph from the data, expected vs actual
# load with the operation mix, p50..max per operation, health fields (strings too), errors,
# the root-cause checklist always (this run passes: every cause "not seen"), the next stage.
for section in "### Load: expected and actual" "### Errors by kind and status" \
               "### Root-cause checklist" "### Next stage: load"; do
  grep -qF "$section" "$md" || fail "report.md has no \"$section\""
done
grep -Eq '^smoke passed [0-9]+/[0-9]+ criteria; .* is [0-9.]+% of its [0-9.]+ (ms|s) limit\.' "$md" ||
  fail "no summary paragraph for smoke"
grep -q '^| Operation | Asked | Done | Requests |$' "$md" || fail "no operation mix"
grep -q '^| Operation | Requests | Success | Errors | p50 | p90 | p95 | p99 | Max | Avg |$' "$md" ||
  fail "operations table lacks p50..max"
grep -q '^| `status` | ok | ok |$' "$md" || fail "health string field \"status\" missing"
grep -q '^| Backend crashed | not seen | backend.crashes = 0 |$' "$md" || fail "checklist row"
grep -q '^| Think time | ' "$md" || fail "think time missing"
grep -Eq '^- \*\*Outlook:\*\* \*\*(likely to pass|at risk|unknown)\*\*' "$md" || fail "next-stage outlook"
# Sub-millisecond values keep their digits (loopback timing phases): never "0.0 ms".
if grep -E '(^|[^0-9.])0\.0 ms' "$md"; then   # "0.0 ms" alone, not the end of "20.0 ms"
  fail "a sub-millisecond value printed as 0.0 ms"
fi
grep -q '^| Criterion | Target | Actual | Status | Margin' "$md" || fail "criteria table has no margins"
grep -q '^| Operation | p50 | p75 | p90 | p95 | p99 | p99.9 | max |$' "$md" || fail "latency table"
for phase in blocked connecting tls sending waiting receiving; do
  grep -q "^| $phase |" "$md" || fail "timing table has no $phase row"
done
grep -q "RSS at start" "$md" && grep -q "RSS peak" "$md" && grep -q "memory growth" "$md" ||
  fail "resource utilisation missing"
grep -Eq "Next: 16 VUs ≈ [0-9]+ req/s, projected from this stage's [0-9.]+ req/s per VU" "$md" ||
  fail "recommendation does not state the projected load"

md_table_columns "$md" >"$WORK/md-columns.txt"
if grep -q BROKEN "$WORK/md-columns.txt"; then
  grep BROKEN "$WORK/md-columns.txt" >&2
  fail "a table row has the wrong number of cells"
fi
tables=$(wc -l <"$WORK/md-columns.txt")
((tables >= 8)) || fail "only $tables tables in report.md"

cmark-gfm -e table "$md" >"$WORK/report.html"
# <th> per <table> in the rendered HTML, in order.
awk '/<table>/ { n = 0; in_t = 1 } in_t { n += gsub(/<th[ >]/, "&") } /<\/thead>/ && in_t { print n; in_t = 0 }' \
  "$WORK/report.html" >"$WORK/html-columns.txt"
if ! diff "$WORK/md-columns.txt" "$WORK/html-columns.txt" >"$WORK/columns.diff"; then
  cat "$WORK/columns.diff" >&2
  fail "tables in report.md and in its GFM rendering differ (left: Markdown, right: HTML)"
fi
[[ $(grep -c '<table>' "$WORK/report.html") == "$tables" ]] || fail "table count differs"
echo "ok: $tables tables"
