# report.html of a real short run of pipelines/chat-progressive.yaml renders in headless
# Chromium (light and dark): a screenshot of non-trivial size, no console errors, nothing fetched from the network,
# and every chart the report promises is there as inline SVG.
source "$(dirname "$0")/lib.sh"
need chromium
need jq
need xmllint
# pipelines/chat-progressive.yaml itself, shortened with --set (issue 5's "done when").
run_example_pipeline chat-progressive 3s 1s
expect_rc 0
# All five outputs, and junit.xml valid against the Jenkins JUnit XSD.
for f in report.md report.html results.json junit.xml backend.log; do
  [[ -s "$WORK/out/$f" ]] || fail "no $f in the output folder"
done
# (The testcases' file= and line=, which GitLab reads and that XSD does not list, set aside.)
sed -E 's/ (file|line)="[^"]*"//g' "$WORK/out/junit.xml" >"$WORK/junit-xsd.xml"
xmllint --noout --schema "$SOURCE_DIR/tests/fixtures/junit/junit-10.xsd" "$WORK/junit-xsd.xml" ||
  fail "junit.xml does not validate against junit-10.xsd"
html="$WORK/out/report.html"

# Self-contained: no http(s) URL in a src/href/url(), and a CSP that forbids fetching.
if grep -Eo '(src|href)="[^"]*"|url\([^)]*\)' "$html" | grep -Ei 'https?:'; then
  fail "report.html refers to the network"
fi
grep -q "default-src 'none'" "$html" || fail "report.html has no fetch-forbidding CSP"
# The charts: rps, error rate, latency p50/p95/p99 of successful requests (and p95 of failed
# ones, when any) and of each operation, RSS.
grep -qF 'aria-label="Latency p50, p95 and p99 of successful requests' "$html" ||
  fail "chart missing: latency of successful requests"
for label in "Requests per second across the run" "Error rate (percent of requests) across the run" \
             "Latency p50, p95 and p99 of send across the run" \
             "Latency p50, p95 and p99 of history across the run" "Backend RSS across the run"; do
  grep -qF "aria-label=\"$label\"" "$html" || fail "chart missing: $label"
done
grep -q '<rect class="cooldown"' "$html" || fail "cooldown not marked"
grep -q '<line class="boundary"' "$html" || fail "stage boundary not marked"
grep -q 'class="badge v-pass">PASS' "$html" || fail "criteria table has no pass colour"
grep -q '@media (prefers-color-scheme: dark)' "$html" || fail "no dark theme"
[[ $(jq '.stages[1].cooldown_s' "$WORK/out/results.json") == 1 ]] || fail "cooldown_s not recorded"
[[ $(jq '.stages[0].series[0].operations.send.p95 | type' "$WORK/out/results.json") == '"number"' ]] ||
  fail "per-operation series missing"
[[ $(jq '.stages[0].series[0].succeeded_p95 | type' "$WORK/out/results.json") == '"number"' ]] ||
  fail "series of successful requests missing"
# results.json with the new series fields still validates (when the npm tools are there).
ajv="$SOURCE_DIR/tests/schema/node_modules/.bin/ajv"
if [[ -x "$ajv" ]]; then
  "$STAGEGATE" schema results >"$WORK/results.schema.json"
  "$ajv" validate --spec=draft7 -c ajv-formats -s "$WORK/results.schema.json" \
    -d "$WORK/out/results.json" >"$WORK/ajv.txt" 2>&1 || { cat "$WORK/ajv.txt" >&2; fail "results.json invalid"; }
fi

# Chromium needs a writable home and profile; it must not phone home either.
export HOME="$WORK/home"
mkdir -p "$HOME"
shoot() {  # $1 name, rest: extra flags
  local name=$1
  shift
  set +e
  timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/profile-$name" --enable-logging=stderr --v=0 \
    --window-size=1280,2000 --screenshot="$WORK/$name.png" "$@" "file://$html" \
    >"$WORK/chromium-$name.out" 2>"$WORK/chromium-$name.err"
  local rc=$?
  set -e
  [[ $rc == 0 ]] || { cat "$WORK/chromium-$name.err" >&2; fail "chromium ($name) exited $rc"; }
  [[ -f "$WORK/$name.png" ]] || fail "no $name screenshot"
  local size
  size=$(stat -c %s "$WORK/$name.png")
  ((size > 20000)) || fail "$name screenshot is only $size bytes"
  if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR' "$WORK/chromium-$name.err"; then
    fail "console errors in $name rendering"
  fi
  echo "$name: $size bytes"
}
shoot light --blink-settings=preferredColorScheme=1
shoot dark --force-dark-mode --blink-settings=preferredColorScheme=0
# The two themes differ (the page follows prefers-color-scheme).
cmp -s "$WORK/light.png" "$WORK/dark.png" && fail "light and dark screenshots are identical"
echo "ok"
