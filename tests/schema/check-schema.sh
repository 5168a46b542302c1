#!/usr/bin/env bash
# Schema agreement check: schemas/pipeline.schema.json compiles (ajv strict mode), accepts
# every example pipeline and valid fixture, and rejects every invalid fixture marked
# `# schema: reject`. With STAGEGATE_BIN set, `stagegate validate` must agree: exit 0 on
# every valid file, exit 2 on every invalid one. Exit 125 (skip) without node/ajv.
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
reject_files=()
for file in "${invalid_files[@]}"; do
    if head -n 3 "$file" | grep -q '^# schema: reject$'; then
        reject_files+=("$file")
    fi
done

# Runs ajv once over many files; prints "<file> valid|invalid" lines.
ajv_verdicts() {
    local data=()
    for file in "$@"; do
        data+=(-d "$file")
    done
    (cd "$here" && "$ajv" validate "${ajv_args[@]}" "${data[@]}" 2>&1 || true) |
        grep -E ' (valid|invalid)$' || true
}

# 2. Every example and valid fixture is accepted.
verdicts="$(ajv_verdicts "${valid_files[@]}")"
for file in "${valid_files[@]}"; do
    if ! grep -qxF "$file valid" <<<"$verdicts"; then
        fail "schema rejects ${file#"$root"/}:"
        (cd "$here" && "$ajv" validate "${ajv_args[@]}" --errors=text -d "$file" 2>&1 || true) |
            sed 's/^/    /'
    fi
done

# 3. Every invalid fixture marked `# schema: reject` is rejected.
verdicts="$(ajv_verdicts "${reject_files[@]}")"
for file in "${reject_files[@]}"; do
    if ! grep -qxF "$file invalid" <<<"$verdicts"; then
        fail "schema accepts ${file#"$root"/} (marked # schema: reject)"
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

echo "schema compiles; accepted ${#valid_files[@]} valid pipelines; rejected" \
     "${#reject_files[@]} of ${#invalid_files[@]} invalid fixtures (those marked # schema: reject);" \
     "stagegate validate checked on $checked_binary files"
if [[ $failures -gt 0 ]]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "OK"
