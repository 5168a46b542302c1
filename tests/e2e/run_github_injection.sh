# Hostile names and response bodies cannot inject a GitHub workflow command. The pipeline
# (pipelines/hostile.yaml) carries `::error::`, `::set-output`, `::add-mask::`, `##[...]`,
# CR/LF, `%0A`, commas, colons, `<script>` and `|` in its name, criterion names and (echoed
# by the demo backend) every response body; the run fails, so annotations are printed.
# Shown: every line of stdout/stderr that a runner would take as a workflow command is one
# of stagegate's own, well formed, with properties escaped; GITHUB_OUTPUT holds exactly the
# three outputs; the step summary's tables stay tables and carry no raw HTML; with the
# variables unset nothing is written. Stage and operation names cannot carry any of this:
# the loader rejects them (letters, digits, _ . -), and its diagnostics are checked too.
source "$(dirname "$0")/lib.sh"
need jq
export PORT=$(free_port)
# The pipeline's own path is hostile too: a folder inside the workspace whose name carries a
# line feed, a workflow command, ",", ":" and "%", so the annotations' file= property must
# escape it.
export GITHUB_WORKSPACE="$WORK/ws"
hostile_dir=$'evil,dir: %0A\n::error::pwned-file ##[error]x'
mkdir -p "$GITHUB_WORKSPACE/$hostile_dir"
pipeline="$GITHUB_WORKSPACE/$hostile_dir/hostile.yaml"
cp "$PIPELINES/hostile.yaml" "$pipeline"

# Lines (split at LF and at CR, as the runner does) that the runner would parse as a
# workflow command: "::" after leading white space, or the legacy "##[" anywhere.
command_lines() { tr '\r' '\n' <"$1" | grep -a -E '^[[:space:]]*::|##\[' || true; }

export GITHUB_STEP_SUMMARY="$WORK/summary.md" GITHUB_OUTPUT="$WORK/gh-output.txt" GITHUB_ACTIONS=true
run_stagegate run "$pipeline" --out "$WORK/out" --log-level info
expect_rc 1
r="$WORK/out/results.json"

# The hostile text really went through the run (else nothing below proves anything).
jq -e '.stages[0].criteria[0].name | contains("\n::error::pwned-criterion")' "$r" >/dev/null ||
    fail "the hostile criterion name did not reach results.json"
grep -q 'set-output name=x::pwned' "$WORK/out/report.md" || fail "no response body in the report"
grep -q 'hint: .*pwned-body ::set-output name=x::pwned' "$WORK/stdout.txt" ||
    fail "the console's hint does not show the response body"

# 1. stdout: the only command lines are our annotations, one per failed criterion, each
#    `::error|warning title=PROPERTY::DATA` with no raw : , CR or LF in the property.
failed=$(jq '[.stages[].criteria[] | select(.pass == false)] | length' "$r")
((failed == 3)) || fail "expected 3 failed criteria, got $failed"
command_lines "$WORK/stdout.txt" >"$WORK/all-commands.txt"
# Each stage's lines are folded in a ::group:: block, named after the stage (whose name the
# loader restricts to letters, digits, _ . -); every other command is an annotation.
group_re='^::(group::stage [0-9]+/[0-9]+ [A-Za-z0-9_.-]+|endgroup::)$'
grep -a -q -E '^::group::stage 1/' "$WORK/all-commands.txt" || fail "no ::group:: for the stage"
grep -a -v -E "$group_re" "$WORK/all-commands.txt" >"$WORK/commands.txt" || true
while IFS= read -r line; do
    [[ "$line" =~ ^::(error|warning)\ file=[^:,]*,line=[0-9]+,col=[0-9]+,title=stagegate\ [^:,]*::.*$ ]] ||
        fail "not one of stagegate's annotations: $line"
done <"$WORK/commands.txt"
# Unescaped as the runner does, file= is the pipeline's path relative to the workspace, and
# line/col are where the failed criteria are written.
unescape='gsub("%0D"; "\r") | gsub("%0A"; "\n") | gsub("%3A"; ":") | gsub("%2C"; ",") | gsub("%25"; "%")'
jq -Rs "[split(\"\n\")[] | select(length > 0) | capture(\"file=(?<f>[^:,]*),\").f | $unescape] | unique" \
    "$WORK/commands.txt" >"$WORK/files.json"
jq -n --arg f "$hostile_dir/hostile.yaml" '[$f]' >"$WORK/expected-files.json"
cmp -s "$WORK/files.json" "$WORK/expected-files.json" || {
    cat "$WORK/files.json" "$WORK/expected-files.json"
    fail "annotation file= does not round-trip to the pipeline's workspace-relative path"
}
jq -r '[.stages[0].criteria[] | select(.pass == false) | "line=\(.line),col=\(.column),"] | .[]' "$r" >"$WORK/expected-lines.txt"
grep -o 'line=[0-9]*,col=[0-9]*,' "$WORK/commands.txt" >"$WORK/lines.txt"
cmp -s "$WORK/lines.txt" "$WORK/expected-lines.txt" || {
    cat "$WORK/lines.txt" "$WORK/expected-lines.txt"
    fail "annotation line/col are not the criteria's positions"
}
grep -q '^line=[1-9]' "$WORK/lines.txt" || fail "no line in the annotations"
[[ $(wc -l <"$WORK/commands.txt") -eq 3 ]] || {
    cat "$WORK/commands.txt"
    fail "expected 3 annotation lines"
}
[[ $(grep -c '^::warning ' "$WORK/commands.txt") -eq 1 ]] || fail "the warn criterion is a ::warning"
# Unescaped as the runner does, the titles are exactly the stage and criterion names.
jq -Rr 'capture(",title=(?<t>[^:]*)::").t
        | gsub("%0D"; "\r") | gsub("%0A"; "\n") | gsub("%3A"; ":") | gsub("%2C"; ",")
        | gsub("%25"; "%")' "$WORK/commands.txt" | jq -Rs . >"$WORK/titles.json"
jq -r '[.stages[0] as $s | $s.criteria[] | select(.pass == false)
        | "stagegate " + $s.name + ": " + .name] | join("\n")' "$r" | jq -Rs . \
    >"$WORK/expected-titles.json"
cmp -s "$WORK/titles.json" "$WORK/expected-titles.json" || {
    cat "$WORK/titles.json" "$WORK/expected-titles.json"
    fail "annotation titles do not round-trip to the criterion names"
}
# 2. stderr starts no command at all.
[[ -z "$(command_lines "$WORK/stderr.txt")" ]] || fail "a command line on stderr"

# 3. GITHUB_OUTPUT: exactly verdict, results, highest-passed-stage, one line each.
expected_output="verdict=FAIL
results=$WORK/out/results.json
highest-passed-stage="
[[ "$(cat "$GITHUB_OUTPUT")" == "$expected_output" ]] || {
    cat -A "$GITHUB_OUTPUT"
    fail "GITHUB_OUTPUT is not exactly the three outputs"
}

# 4. The step summary: hostile text escaped, no raw HTML, tables keep their columns.
summary="$GITHUB_STEP_SUMMARY"
grep -q 'pwned-criterion' "$summary" || fail "the criterion is not in the summary"
# Outside code spans (where Markdown shows HTML as text) no tag survives.
sed 's/`[^`]*`//g' "$summary" >"$WORK/summary-text.md"
! grep -qiE '(^|[^\\])<script' "$WORK/summary-text.md" || fail "raw <script> in the step summary"
! grep -qE '(^|[^\\])<b>' "$WORK/summary-text.md" || fail "raw HTML in the step summary"
grep -q '\\<script\\>' "$WORK/summary-text.md" || fail "the escaped <script> is not in the summary"
! grep -a -q $'\r' "$summary" || fail "a CR in the step summary"
# Each failed criterion in the summary says where it is written (file:line:col), as its
# annotation does.
grep -q '^| Stage | Criterion | Target | Actual | Distance | Where |$' "$summary" ||
    fail "the summary's failed criteria have no Where column"
grep -Eq ':[0-9]+:[0-9]+ \|$' "$summary" || fail "a failed criterion in the summary has no position"
# Every table row has as many cells as its header ("\|" is an escaped pipe, not a column).
md_table_columns "$summary" >"$WORK/summary-columns.txt"
! grep BROKEN "$WORK/summary-columns.txt" || fail "a table row of the summary has the wrong number of cells"
if command -v cmark-gfm >/dev/null 2>&1; then
    # Rendered as GitHub does (raw HTML allowed, so our escaping is what keeps it out).
    cmark-gfm --unsafe -e table "$summary" >"$WORK/summary.html"
    ! grep -qi '<script' "$WORK/summary.html" || fail "<script> in the rendered summary"
    grep -q '<td[^>]*>rate ::error::pwned-criterion[^<]*| e | f (<code>' "$WORK/summary.html" ||
        fail "the criterion name's pipes left its table cell"
fi

# 5. Without the GitHub variables nothing is written and no annotation printed.
unset GITHUB_STEP_SUMMARY GITHUB_OUTPUT GITHUB_ACTIONS
cp "$summary" "$WORK/summary-before.md"
run_stagegate run "$pipeline" --out "$WORK/out2" --no-progress --set 'stages[*].duration=1s'
expect_rc 1
[[ -z "$(command_lines "$WORK/stdout.txt")$(command_lines "$WORK/stderr.txt")" ]] ||
    fail "a command line printed without GITHUB_ACTIONS"
cmp -s "$summary" "$WORK/summary-before.md" || fail "the old summary file changed"
[[ $(find "$WORK" -maxdepth 1 -newer "$WORK/summary-before.md" -type f | grep -v -E '/(stdout|stderr)\.txt$' | wc -l) -eq 0 ]] ||
    fail "files written outside the output folder without the GitHub variables"

# 6. Names the loader rejects: its diagnostics quote them without starting a command.
sed -e 's/^  - name: smoke\.x-1$/  - name: "smoke\\n::error::pwned-stage ##[error]x, a: b"/' \
    -e 's/^    - name: send-x_1$/    - name: "send\\r\\n  ::set-output name=x::pwned"/' \
    "$pipeline" >"$WORK/rejected.yaml"
grep -q 'pwned-stage' "$WORK/rejected.yaml" && grep -q 'set-output name=x' "$WORK/rejected.yaml" ||
    fail "could not write the rejected pipeline"
export GITHUB_ACTIONS=true
for verb in validate run; do
    extra=()
    [[ $verb == run ]] && extra=(--out "$WORK/out3")
    run_stagegate "$verb" "$WORK/rejected.yaml" "${extra[@]}"
    expect_rc 2
    grep -q 'not a valid stage name' "$WORK/stderr.txt" || fail "$verb: stage name not rejected"
    grep -q 'not a valid name' "$WORK/stderr.txt" || fail "$verb: operation name not rejected"
    # Each problem is annotated at its place (INVALID outputs): those lines are
    # stagegate's own, well formed, properties and data escaped; nothing else is a command.
    command_lines "$WORK/stdout.txt" >"$WORK/invalid-commands.txt"
    invalid_re='^::error file=[^:,]*,line=[0-9]+,col=[0-9]+,title=stagegate%3A invalid pipeline::.*$'
    [[ $(grep -c -E "$invalid_re" "$WORK/invalid-commands.txt") -eq 4 ]] || {
        cat "$WORK/invalid-commands.txt"
        fail "$verb: expected one annotation per problem (4)"
    }
    grep -v -E "$invalid_re" "$WORK/invalid-commands.txt" >"$WORK/other-commands.txt" || true
    grep -q 'pwned-stage' "$WORK/invalid-commands.txt" || fail "$verb: the stage problem is not annotated"
    [[ ! -s "$WORK/other-commands.txt" && -z "$(command_lines "$WORK/stderr.txt")" ]] || {
        cat "$WORK/other-commands.txt" "$WORK/stderr.txt"
        fail "$verb: a diagnostic starts a workflow command"
    }
done
echo "ok"
