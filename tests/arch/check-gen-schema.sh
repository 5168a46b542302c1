#!/usr/bin/env bash
# check-gen-schema.sh SOURCE_DIR
# scripts/gen-schema's failure paths: on a copy of its inputs (the base schema, the registry
# list, the executors' parts and the generated file), each broken one way, it must stop with
# FILE:LINE:COL, what is wrong and what to do, and --check must name the command that fixes a
# stale schemas/pipeline.schema.json. Exit 125 (skip) without python3.
set -uo pipefail
src="$1"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 125; }
gen="$src/scripts/gen-schema"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fresh() {  # a pristine copy of gen-schema's inputs and output in $tmp/root
  rm -rf "$tmp/root"
  mkdir -p "$tmp/root/schemas" "$tmp/root/orchestrator/cli"
  cp "$src/schemas/pipeline.base.json" "$src/schemas/pipeline.schema.json" "$tmp/root/schemas/"
  cp "$src/orchestrator/cli/builtin_plugins.def" "$tmp/root/orchestrator/cli/"
  local file name
  for file in "$src"/plugins/executors/*/schema.json; do
    name=$(basename "$(dirname "$file")")
    mkdir -p "$tmp/root/plugins/executors/$name"
    cp "$file" "$tmp/root/plugins/executors/$name/"
  done
}

expect() {  # DESCRIPTION EXIT-CODE MESSAGE-FRAGMENT [gen-schema ARGS...]
  local what="$1" code="$2" fragment="$3"
  shift 3
  local out rc=0
  out=$(python3 "$gen" --root "$tmp/root" "$@" 2>&1) || rc=$?
  if [[ $rc -ne $code ]] || ! grep -qF -- "$fragment" <<<"$out"; then
    echo "FAIL: $what: expected exit $code and \"$fragment\", got exit $rc:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  else
    echo "ok: $what: $(grep -F -m1 -- "$fragment" <<<"$out")"
  fi
}

part="$tmp/root/plugins/executors/k6/schema.json"

fresh
expect "the checked-in schema is the composition" 0 "is the composition of its parts" --check

fresh
sed -i 's/"minLength": 1,/"minLength": 2,/' "$part"
expect "a part changed, the schema not regenerated" 1 "run scripts/gen-schema" --check
expect "regenerating writes it" 0 "wrote schemas/pipeline.schema.json"
expect "and then it is the composition" 0 "is the composition of its parts" --check

fresh
sed -i '3s/,$//' "$part"
expect "a part that is not JSON" 2 "plugins/executors/k6/schema.json:4:3: not valid JSON"

fresh
sed -i 's/"allOf"/"allof"/' "$part"
expect "an unknown key in a part" 2 \
  "plugins/executors/k6/schema.json:26:3: unknown key \"allof\" (did you mean \"allOf\"?)"

fresh
sed -i 's/"executor": "k6"/"executor": "builtin"/' "$part"
expect "two parts naming one executor" 2 \
  "plugins/executors/k6/schema.json:3:3: executor \"builtin\" is also plugins/executors/builtin/schema.json's name"

fresh
sed -i '/"executor": "k6",/d' "$part"
expect "a part without its executor's name" 2 \
  "plugins/executors/k6/schema.json:1:1: \"executor\" missing"

fresh
sed -i 's/"operation_tag"/"command"/' "$part"
expect "a key two executors claim" 2 \
  "plugins/executors/command/schema.json:5:5: scenario key \"command\" is already plugins/executors/k6/schema.json's"

fresh
sed -i 's/"binary": {/"think_time": {/' "$part"
expect "a key the base schema has" 2 \
  "plugins/executors/k6/schema.json:10:5: scenario key \"think_time\" is already schemas/pipeline.base.json's"

fresh
sed -i 's/"const": "k6"/"const": "command"/' "$part"
expect "a rule about another executor" 2 \
  "plugins/executors/k6/schema.json:28:7: a rule of the k6 executor applies to it alone: its \"if\" is {\"properties\": {\"executor\": {\"const\": \"k6\"}}, \"required\": [\"executor\"]}"

fresh
rm "$part"
expect "a registered executor without its part" 2 \
  "plugins/executors/k6/schema.json: missing: every executor of orchestrator/cli/builtin_plugins.def has its schema part there"

fresh
sed -i 's/^ORCH_EXECUTOR(k6)$/ORCH_EXECUTOR(k6, extra)/' "$tmp/root/orchestrator/cli/builtin_plugins.def"
line=$(grep -n 'ORCH_EXECUTOR(k6' "$tmp/root/orchestrator/cli/builtin_plugins.def" | cut -d: -f1)
expect "a malformed registry line" 2 "orchestrator/cli/builtin_plugins.def:$line:1: not ORCH_EXECUTOR(NAME)"

fresh
sed -i 's/"records_response_tags": true/"records_response_tags": "yes"/' \
  "$tmp/root/plugins/executors/builtin/schema.json"
expect "records_response_tags not a boolean" 2 \
  "plugins/executors/builtin/schema.json:4:3: \"records_response_tags\" is true or false"

# The tag_responses rule follows the parts: builtin no longer recording makes it list builtin.
fresh
sed -i 's/"records_response_tags": true/"records_response_tags": false/' \
  "$tmp/root/plugins/executors/builtin/schema.json"
expect "records_response_tags false regenerates" 0 "wrote schemas/pipeline.schema.json"
if python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
rule = s["definitions"]["scenario"]["allOf"][0]
sys.exit(0 if rule["if"]["properties"]["executor"]["enum"] == ["builtin", "k6", "command"] else 1)
' "$tmp/root/schemas/pipeline.schema.json"; then
  echo "ok: tag_responses is refused for every executor whose part does not record it"
else
  echo "FAIL: the tag_responses rule does not list builtin, k6, command"
  failures=$((failures + 1))
fi

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "OK"
