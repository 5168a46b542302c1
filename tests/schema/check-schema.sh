#!/usr/bin/env bash
# Schema agreement check (one truth for validity): schemas/pipeline.schema.json compiles
# (ajv strict mode); every example pipeline and valid fixture is accepted by it, and every
# invalid fixture is rejected by it, except a fixture whose problem is one of the checks a
# JSON Schema cannot express, marked in its first lines `# schema: cannot-express CHECK`
# with CHECK from the list below (a marked file the schema does reject fails the check:
# the marker is stale). With STAGEGATE_BIN set, `stagegate validate` must give the same
# answer: exit 0 on every valid file, exit 2 on every invalid one.
# Exit 125 (skip) without node/ajv.
#   cd tests/schema && npm ci && ./check-schema.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
schema="$root/schemas/pipeline.schema.json"
ajv="$here/node_modules/.bin/ajv"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node/npm not installed"
    exit 125
fi
if [[ ! -x "$ajv" || ! -d "$here/node_modules/ajv-formats" ]]; then
    echo "SKIP: run 'npm ci' in tests/schema first"
    exit 125
fi

# The fixtures read these; the invalid ones rely on others being unset.
export STAGEGATE_TEST_PORT=9000
unset STAGEGATE_TEST_UNSET_VARIABLE || true

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ajv_args=(--spec=draft7 -s "$schema" -c ajv-formats)

# 1. The schema itself.
if ! compiled="$(cd "$here" && "$ajv" compile "${ajv_args[@]}" 2>&1)"; then
    fail "schemas/pipeline.schema.json does not compile:"
    echo "$compiled" | sed 's/^/    /'
    exit 1
fi

# The checks a JSON Schema cannot express (keep this list short; README names it).
declare -A cannot_express=(
  [criteria]="criterion grammar, metric names and units (send.p95 < 250ms, 99% not 0.99)"
  [names]="names that must be unique or refer to other keys (stages, operations, {{vars}})"
  [environment]="\${VAR} values: unset variables, malformed references"
  [templates]="{{...}} syntax inside strings"
  [ranges]="relations between values (ramp_up + ramp_down <= duration, random_int order, a rate's size inside its text)"
  [limits]="the loader's bounds on what a file expands to (alias bombs, nesting depth)"
  [headers]="header names that differ only in case (JSON object keys are case-sensitive)"
  [merge-keys]="YAML merge keys (<<): the schema sees the mapping after the YAML reader merged it"
  [files]="files that must exist on disk (target.tls ca_file, client_cert...)"
)

# Strict mode (as editors' validators and SchemaStore's CI run it): every schema compiles.
for other in pipeline results stage-result; do
    if ! compiled="$(cd "$here" && "$ajv" compile --spec=draft7 --strict=true \
            -s "$root/schemas/$other.schema.json" -c ajv-formats 2>&1)"; then
        fail "schemas/$other.schema.json does not compile with --strict=true:"
        echo "$compiled" | sed 's/^/    /'
    fi
done
# For editors: a stable $id (the file's raw URL in the repository), the modeline naming it
# in every shipped pipeline, and the SchemaStore catalog entry pointing at it.
id="$(node -e 'console.log(require(process.argv[1]).$id)' "$schema")"
[[ "$id" == https://raw.githubusercontent.com/*/main/schemas/pipeline.schema.json ]] ||
    fail "the pipeline schema's \$id is not its raw URL in the repository: $id"
for file in "$root"/pipelines/*.yaml; do
    [[ "$(head -n 1 "$file")" == "# yaml-language-server: \$schema=$id" ]] ||
        fail "${file#"$root"/} does not start with the yaml-language-server modeline"
done
catalog="$root/schemas/schemastore-catalog-entry.json"
if ! node -e '
    const entry = require(process.argv[1]);
    const ok = entry.url === process.argv[2] && typeof entry.name === "string" &&
        typeof entry.description === "string" &&
        ["stagegate.yaml", "*.stagegate.yaml"].every((m) => entry.fileMatch.includes(m));
    process.exit(ok ? 0 : 1);' "$catalog" "$id"; then
    fail "schemas/schemastore-catalog-entry.json: name, description, fileMatch (stagegate.yaml, *.stagegate.yaml) and url = \$id"
fi

valid_files=("$root"/pipelines/*.yaml "$root"/tests/fixtures/pipelines/valid/*.yaml)
invalid_files=("$root"/tests/fixtures/pipelines/invalid/*.yaml)

# "<file>\t<valid|invalid|unreadable>\t<first problem>" for every file, one node process.
verdicts="$(cd "$here" && node schema-verdicts.js "$schema" "${valid_files[@]}" "${invalid_files[@]}")"
verdict_of() { awk -F'\t' -v f="$1" '$1 == f { print $2; exit }' <<<"$verdicts"; }
problem_of() { awk -F'\t' -v f="$1" '$1 == f { print $3; exit }' <<<"$verdicts"; }

# 2. Every example and valid fixture is accepted.
for file in "${valid_files[@]}"; do
    if [[ "$(verdict_of "$file")" != valid ]]; then
        fail "schema rejects ${file#"$root"/}: $(problem_of "$file")"
    fi
done

# 3. Every invalid fixture is rejected, unless marked with a check the schema cannot express.
rejected=0
excepted=0
for file in "${invalid_files[@]}"; do
    check="$(head -n 3 "$file" | sed -n 's/^# schema: cannot-express \([a-z-]*\)$/\1/p')"
    verdict="$(verdict_of "$file")"
    if [[ -n "$check" ]]; then
        if [[ -z "${cannot_express[$check]+x}" ]]; then
            fail "${file#"$root"/}: unknown check \"$check\" (known: ${!cannot_express[*]})"
        elif [[ "$verdict" != valid ]]; then
            fail "${file#"$root"/} is marked cannot-express $check, but the schema rejects it" \
                 "($(problem_of "$file")): remove the marker"
        fi
        excepted=$((excepted + 1))
    elif [[ "$verdict" == valid ]]; then
        fail "schema accepts ${file#"$root"/}, which stagegate refuses: tighten the schema, or" \
             "mark the file # schema: cannot-express CHECK (${!cannot_express[*]})"
    else
        rejected=$((rejected + 1))
    fi
done

# 4. The binary agrees, when there is one.
checked_binary=0
if [[ -n "${STAGEGATE_BIN:-}" ]]; then
    for file in "${valid_files[@]}"; do
        status=0
        "$STAGEGATE_BIN" validate "$file" >/dev/null 2>&1 || status=$?
        [[ $status -eq 0 ]] || fail "stagegate validate ${file#"$root"/} exited $status, not 0"
        checked_binary=$((checked_binary + 1))
    done
    for file in "${invalid_files[@]}"; do
        status=0
        "$STAGEGATE_BIN" validate "$file" >/dev/null 2>&1 || status=$?
        [[ $status -eq 2 ]] || fail "stagegate validate ${file#"$root"/} exited $status, not 2"
        checked_binary=$((checked_binary + 1))
    done
fi

echo "schema compiles; accepted ${#valid_files[@]} valid pipelines; rejected $rejected of" \
     "${#invalid_files[@]} invalid fixtures ($excepted excepted: checks a schema cannot express);" \
     "stagegate validate checked on $checked_binary files"
if [[ $failures -gt 0 ]]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "OK"
