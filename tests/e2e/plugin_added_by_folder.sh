# Adding a shipped executor or reporter touches only its folder and one registry line (issue
# 16). In a copy of the source tree (a fresh git repository): copy the echo executor and the
# echo reporter (tests/fixtures/plugins/echo_{executor,reporter}/, shaped as shipped plugins)
# to plugins/executors/echo/ and plugins/reporters/echo/, add ORCH_EXECUTOR(echo) and
# ORCH_REPORTER(echo, "echo") to orchestrator/cli/builtin_plugins.def, run scripts/gen-schema,
# configure and build the stagegate binary of the copy. Then: `git status` shows only the two
# folders, the two registry lines and the generated schema; the copy's stagegate validates and
# runs a pipeline with `executor: echo`, refuses its key errors by line:col, its embedded
# schema (and the JSON Schema validator) know the executor, and `stagegate report --format
# echo` renders with the new reporter.
# The build goes through ccache (with the cache warm from this tree's own build, the copy's
# compiles are hits: 5-15 s on 2 cores); without ccache, or with a cold cache, it would take
# longer than a test may, so the test is skipped.
source "$(dirname "$0")/lib.sh"
need git
need cmake
need ninja
need python3
need ccache
need jq

src="$SOURCE_DIR"
tree="$WORK/tree"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
  { echo "SKIP: $src is not a git checkout (the copy is made of its files git knows)"; exit 125; }

# 1. A copy of the source tree (committed and new files, not build folders), as its own repository.
mkdir -p "$tree"
(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$src" && tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$tree"
[[ -f "$tree/orchestrator/cli/builtin_plugins.def" ]] || fail "set-up: the copy has no registry list"
git_tree() { git -C "$tree" -c user.name=test -c user.email=test@localhost "$@"; }
git_tree init -q
git_tree add -A
git_tree commit -qm "the tree as it is"

# 2. The new executor and reporter: each its folder, and its one registry line after the last
# of its kind.
registry="$tree/orchestrator/cli/builtin_plugins.def"
cp -r "$src/tests/fixtures/plugins/echo_executor" "$tree/plugins/executors/echo"
cp -r "$src/tests/fixtures/plugins/echo_reporter" "$tree/plugins/reporters/echo"
last=$(grep -n '^ORCH_EXECUTOR(' "$registry" | tail -1 | cut -d: -f1)
sed -i "${last}a ORCH_EXECUTOR(echo)" "$registry"
last=$(grep -n '^ORCH_REPORTER(' "$registry" | tail -1 | cut -d: -f1)
sed -i "${last}a ORCH_REPORTER(echo, \"echo\")" "$registry"
python3 "$tree/scripts/gen-schema" --root "$tree" || fail "scripts/gen-schema failed"

# 3. What changed: the folders, one line each in the registry list, the generated schema.
status=$(git_tree status --porcelain --untracked-files=normal)
expected=$' M orchestrator/cli/builtin_plugins.def\n M schemas/pipeline.schema.json\n?? plugins/executors/echo/\n?? plugins/reporters/echo/'
[[ "$status" == "$expected" ]] || fail "git status of the copy:"$'\n'"$status"$'\n'"expected:"$'\n'"$expected"
added=$(git_tree diff -U0 -- orchestrator/cli/builtin_plugins.def | grep '^[-+][^-+]')
[[ "$added" == $'+ORCH_EXECUTOR(echo)\n+ORCH_REPORTER(echo, "echo")' ]] ||
  fail "the registry list changed by more than one added line per plugin:"$'\n'"$added"

# 4. Configure and build the copy's binary only, with this build's compiler, build type and
# sanitizer setting, so ccache finds the compiles (paths are hashed relative to
# CCACHE_BASEDIR, which holds both trees). A cold cache makes that a full build, longer than a
# test may take: then the test is skipped, saying so (PLUGIN_PROOF_BUILD_TIMEOUT: seconds).
export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros}"
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "${BUILD_DIR:?run through ctest}/CMakeCache.txt"; }
start=$(date +%s)
cmake -S "$tree" -B "$tree/build" -G Ninja -DSTAGEGATE_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE="$(cache_var CMAKE_BUILD_TYPE)" \
  -DSTAGEGATE_SANITIZE="$(cache_var STAGEGATE_SANITIZE)" \
  -DCMAKE_CXX_COMPILER="$(cache_var CMAKE_CXX_COMPILER)" \
  -DCMAKE_C_COMPILER="$(cache_var CMAKE_C_COMPILER)" >"$WORK/configure.log" 2>&1 ||
  { tail -30 "$WORK/configure.log"; fail "the copy does not configure"; }
for lib in executor_echo reporter_echo; do
  grep -q "libstagegate_$lib.a" "$tree/build/build.ninja" ||
    fail "the copy's build has no $lib library (plugins/*/*/plugin.cmake not found?)"
done
status=0
timeout "${PLUGIN_PROOF_BUILD_TIMEOUT:-140}" cmake --build "$tree/build" --target stagegate -j2 >"$WORK/build.log" 2>&1 || status=$?
if [[ $status -eq 124 ]]; then
  echo "SKIP: building the copy took over ${PLUGIN_PROOF_BUILD_TIMEOUT:-140} s (ccache cold?): $(grep -c '^\[' "$WORK/build.log") steps done"
  rm -rf "$tree"
  exit 125
fi
[[ $status -eq 0 ]] || { tail -30 "$WORK/build.log"; fail "the copy does not build"; }
echo "copy configured and built in $(($(date +%s) - start)) s"
sg="$tree/build/orchestrator/stagegate"
[[ -x "$sg" ]] || fail "no $sg"

# 5. The copy's stagegate knows the executor: validate, key errors, schema, a run.
port=$(free_port)
cat >"$WORK/echo.yaml" <<EOF
version: 1
target: { base_url: "http://127.0.0.1:$port" }
backend:
  command: ["$CHAT_BACKEND"]
  env: { PORT: "$port" }
  startup_timeout: 10s
health: { url: /health }
scenario:
  executor: echo
  message: hello
  requests: 3
  operations: [ { name: ping }, { name: pong } ]
stages:
  - { name: smoke, vus: 1, duration: 1s, criteria: [ "ping.requests == 3", "requests == 6" ] }
EOF
"$sg" validate "$WORK/echo.yaml" >"$WORK/validate.txt" 2>&1 || { cat "$WORK/validate.txt"; fail "the copy's stagegate refuses executor: echo"; }
if "$STAGEGATE" validate "$WORK/echo.yaml" >"$WORK/validate-here.txt" 2>&1; then
  fail "this tree's stagegate (without the echo line) accepts executor: echo: the test proves nothing"
fi
grep -q '"echo" is not one of' "$WORK/validate-here.txt" || { cat "$WORK/validate-here.txt"; fail "this tree's refusal"; }

sed 's/  message: hello/  mesage: hello/' "$WORK/echo.yaml" >"$WORK/echo-typo.yaml"
status=0
"$sg" validate "$WORK/echo-typo.yaml" >"$WORK/typo.txt" 2>&1 || status=$?
[[ $status -eq 2 ]] || { cat "$WORK/typo.txt"; fail "a misspelt echo key: exit $status, not 2"; }
grep -q 'echo-typo.yaml:10:3: scenario.mesage: unknown key "mesage" (did you mean "message"?)' "$WORK/typo.txt" ||
  { cat "$WORK/typo.txt"; fail "a misspelt echo key: no line:col with did-you-mean"; }

"$sg" schema pipeline >"$WORK/schema.json"
cmp -s "$WORK/schema.json" "$tree/schemas/pipeline.schema.json" ||
  fail "the copy's embedded schema is not its generated schemas/pipeline.schema.json"
[[ $(jq -c '.definitions.scenario.properties.executor.anyOf[0].enum' "$WORK/schema.json") == *'"echo"'* ]] ||
  fail "the generated schema does not list executor echo"
ajv_dir="$src/tests/schema"
if [[ -x "$ajv_dir/node_modules/.bin/ajv" ]] && command -v node >/dev/null 2>&1; then
  verdicts=$(cd "$ajv_dir" && node schema-verdicts.js "$WORK/schema.json" "$WORK/echo.yaml" "$WORK/echo-typo.yaml")
  [[ $(awk -F'\t' 'NR == 1 { print $2 }' <<<"$verdicts") == valid ]] || fail "schema: $verdicts"
  [[ $(awk -F'\t' 'NR == 2 { print $2 }' <<<"$verdicts") == invalid ]] || fail "schema: $verdicts"
  echo "the JSON Schema accepts the echo pipeline and refuses the misspelt key"
fi

STAGEGATE="$sg" run_stagegate run "$WORK/echo.yaml" --out "$WORK/out" --no-progress
expect_rc 0
[[ $(jqr "$WORK/out/results.json" .verdict) == PASS ]] || fail "verdict not PASS"
[[ $(jqr "$WORK/out/results.json" '.stages[0].extra.echo') == hello ]] ||
  fail "the run did not go through the echo executor (stages[0].extra.echo)"
"$sg" report "$WORK/out/results.json" --format echo -o "$WORK/echo.txt" >"$WORK/report.txt" 2>&1 ||
  { cat "$WORK/report.txt"; fail "the copy's stagegate report --format echo failed"; }
[[ $(cat "$WORK/echo.txt") == "echo: "*" PASS 1 stages" ]] ||
  fail "the echo reporter's output: $(cat "$WORK/echo.txt")"
"$sg" --help | grep -q -- '--format md|html|junit|json|openmetrics|gitlab-load-performance|echo\]' ||
  fail "the copy's usage does not list the echo format"
"$sg" help report | grep -q '^  echo  *one line: pipeline, verdict, stages$' ||
  fail "the copy's help report does not describe the echo format by its reporter's summary"
"$sg" completion bash | grep -q 'words="md html junit json openmetrics gitlab-load-performance echo"' ||
  fail "the copy's bash completion does not offer the echo format"
if "$STAGEGATE" report "$WORK/out/results.json" --format echo >/dev/null 2>&1; then
  fail "this tree's stagegate (without the echo line) renders --format echo"
fi
echo "ok: the echo executor and reporter, added by their folders and one registry line each, work"
rm -rf "$tree"  # kept when a check fails, to look at
