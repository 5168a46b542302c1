# report.html stays readable at scale (issue 15): 1, 8 and 200 operations, 60 stages, a
# 15-minute soak with p99 spikes, and the stored failed run, each rendered by
# `stagegate report` and checked in headless Chromium at 1280 and 390 px wide (light and,
# for two of them, dark): no horizontal overflow, no console error, text contrast at least
# 4.5:1 (computed in the page by helpers/html_probe.js), no SVG label outside its chart, no
# stage names drawn over each other, the summary card above the first chart. The page
# itself is checked too: at most ~12 charts, one chart per operation only for those that
# matter (none with one operation), round time ticks, spikes marked, tables <= 12 columns.
source "$(dirname "$0")/lib.sh"
need chromium
need python3
python3 "$SOURCE_DIR/tests/e2e/helpers/make_scale_results.py" "$WORK/in"
cp "$SOURCE_DIR/tests/fixtures/results/failed-run.json" "$WORK/in/failed-run.json"
export HOME="$WORK/home"
mkdir -p "$HOME"

count() { grep -o -- "$1" "$2" | wc -l; }

for input in "$WORK"/in/*.json; do
  name=$(basename "$input" .json)
  run_stagegate report "$input" --format html -o "$WORK/$name.html"
  expect_rc 0
  html="$WORK/$name.html"
  charts=$(count '<svg class="chart"' "$html")
  ((charts <= 12)) || fail "$name: $charts charts"
  # Criteria and verdict first: the card and failed criteria come before any chart.
  card_at=$(grep -bo 'id="summary-card"' "$html" | head -1 | cut -d: -f1)
  chart_at=$(grep -bo '<svg class="chart"' "$html" | head -1 | cut -d: -f1)
  ((card_at < chart_at)) || fail "$name: summary card after the first chart"
  # No table wider than 12 columns.
  widest=$(python3 - "$html" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(max([len(re.findall(r"<th[ >]", head)) for head in re.findall(r"<thead>(.*?)</thead>", text, re.S)] or [0]))
PY
)
  ((widest <= 12)) || fail "$name: a table has $widest columns"
done

# One operation: its latency chart would be the "all operations" chart again.
[[ $(count 'aria-label="Latency p50, p95 and p99 of send' "$WORK/ops-1.html") == 0 ]] ||
  fail "ops-1 draws the same latency chart twice"
# 8 operations: each charted; 200: at most 8 charted, the rest in a sortable table.
[[ $(count 'aria-label="Latency p50, p95 and p99 of op-' "$WORK/ops-8.html") == 8 ]] ||
  fail "ops-8 does not chart its 8 operations"
ops200=$(count 'aria-label="Latency p50, p95 and p99 of operation-' "$WORK/ops-200.html")
((ops200 <= 8)) || fail "ops-200 draws $ops200 operation charts"
grep -q 'others are in each stage' "$WORK/ops-200.html" || fail "ops-200 does not say where the rest are"
grep -q '<table id="ops-' "$WORK/ops-200.html" || fail "ops-200 operations table is not sortable"
# 60 stages: every boundary drawn, names thinned so they do not collide (checked below).
names=$(awk '/aria-label="Requests per second/ { on = 1 }
  on && /<text class="stage"/ { n++ } on && /<\/svg>/ { print n + 0; exit }' "$WORK/stages-60.html")
((names < 60 && names >= 5)) || fail "stages-60 shows $names stage names on a chart"
grep -q '100k/s\|[0-9]k/s' "$WORK/stages-60.html" || fail "stages-60: no k suffix on the rps axis"
# 15 minutes: round minute ticks, spikes marked above a clamped axis.
for tick in 1m 5m 10m 15m; do
  grep -q ">$tick</text>" "$WORK/soak-15m.html" || fail "soak-15m has no $tick tick"
done
grep -q 'spikes above the axis' "$WORK/soak-15m.html" || fail "soak-15m: spikes not marked"
# The failed run: dashed limits, failure samples, timing bars, Little's law, checklist.
for what in 'class="threshold"' '<h4>Failure samples</h4>' '<h3>Timing breakdown</h3>' \
            "Little's law:" '<h3>Root-cause checklist</h3>' 'First failed criterion'; do
  grep -qF "$what" "$WORK/failed-run.html" || fail "failed-run has no $what"
done

shoot() {  # name width scheme(light|dark)
  local name=$1 width=$2 scheme=$3 tag="$1-$2-$3"
  local probed="$WORK/$tag.html"
  # The copy without the page's CSP (which forbids every script), the probe at the end.
  { sed '/Content-Security-Policy/d; s#</body>##; s#</html>##' "$WORK/$name.html"
    printf '<script>\n'; cat "$SOURCE_DIR/tests/e2e/helpers/html_probe.js"
    printf '</script>\n</body>\n</html>\n'; } >"$probed"
  local flags=(--blink-settings=preferredColorScheme=1)
  [[ $scheme == dark ]] && flags=(--force-dark-mode --blink-settings=preferredColorScheme=0)
  set +e
  timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile-$tag" --enable-logging=stderr --v=0 \
    --window-size="$width,900" "${flags[@]}" --run-all-compositor-stages-before-draw \
    --virtual-time-budget=5000 --dump-dom "file://$probed" \
    >"$WORK/$tag.dom" 2>"$WORK/$tag.err"
  local rc=$?
  set -e
  [[ $rc == 0 ]] || { tail -5 "$WORK/$tag.err" >&2; fail "chromium ($tag) exited $rc"; }
  if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR' "$WORK/$tag.err"; then
    fail "console errors in $tag"
  fi
  sed -n '/^<pre id="probe-result">/,/<\/pre>/p' "$WORK/$tag.dom" |
    grep -E '^(overflow|contrast|clipped|overlap|charts|height|first-chart-y|card-y) ' >"$WORK/$tag.probe" || true
  grep -q '^contrast ' "$WORK/$tag.probe" || fail "$tag: the probe did not run"
  local overflow contrast clipped overlap card chart
  overflow=$(awk '$1 == "overflow" { print $2 }' "$WORK/$tag.probe")
  contrast=$(awk '$1 == "contrast" { print $2 }' "$WORK/$tag.probe")
  clipped=$(awk '$1 == "clipped" { print $2 }' "$WORK/$tag.probe")
  overlap=$(awk '$1 == "overlap" { print $2 }' "$WORK/$tag.probe")
  card=$(awk '$1 == "card-y" { print $2 }' "$WORK/$tag.probe")
  chart=$(awk '$1 == "first-chart-y" { print $2 }' "$WORK/$tag.probe")
  [[ $overflow == 0 ]] || fail "$tag: the page is $overflow px wider than the window"
  awk -v c="$contrast" 'BEGIN { exit !(c >= 4.5) }' ||
    fail "$tag: text contrast $(grep '^contrast' "$WORK/$tag.probe")"
  [[ $clipped == 0 ]] || fail "$tag: $clipped chart labels outside their chart"
  [[ $overlap == 0 ]] || fail "$tag: $overlap stage names overlap"
  ((card >= 0 && card < chart || chart < 0)) || fail "$tag: summary card below the first chart"
  echo "$tag: $(tr '\n' ' ' <"$WORK/$tag.probe")"
}

# The page as written (its CSP in force): the sort script runs (the CSP's hash matches it:
# it makes every header of the sortable table focusable), nothing is refused.
cp "$WORK/ops-200.html" "$WORK/ops-200-csp.html"
set +e
timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/profile-csp" --enable-logging=stderr --v=0 --window-size=1280,900 \
  --virtual-time-budget=5000 --dump-dom "file://$WORK/ops-200-csp.html" \
  >"$WORK/ops-200-csp.dom" 2>"$WORK/ops-200-csp.err"
rc=$?
set -e
[[ $rc == 0 ]] || fail "chromium (csp) exited $rc"
if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR' "$WORK/ops-200-csp.err"; then
  fail "the sort script is refused or fails under the page's CSP"
fi
grep -q 'tabindex="0" title="Sort by this column"' "$WORK/ops-200-csp.dom" ||
  fail "the sort script did not run under the page's CSP"

# Markdown at scale: no table wider than 12 columns either.
run_stagegate report "$WORK/in/ops-200.json" --format md -o "$WORK/ops-200.md"
expect_rc 0
md_columns=$(awk -F'|' '/^\|/ { if (NF - 2 > m) m = NF - 2 } END { print m + 0 }' "$WORK/ops-200.md")
((md_columns <= 12)) || fail "ops-200 report.md has a $md_columns-column table"

for name in failed-run ops-1 ops-8 ops-200 stages-60 soak-15m; do
  for width in 1280 390; do
    shoot "$name" "$width" light
  done
done
for name in failed-run stages-60; do
  for width in 1280 390; do
    shoot "$name" "$width" dark
  done
done
echo "ok"
