#!/usr/bin/env bash
# The GitHub Action (.github/actions/*/action.yml) and every workflow (.github/workflows/)
# pass action-validator (npm @action-validator/cli: GitHub's published schemas for actions
# and workflows), and the validator really rejects: a broken copy of the action and of a
# workflow, in a temporary folder, must fail. Also checks what the schema cannot: the
# action's outputs are the keys stagegate writes to GITHUB_OUTPUT, and every workflow's
# local `uses: ./path` exists. Exit 125 (skip) without node or the npm tools.
#   scripts/setup --test && tests/schema/check-actions.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
validator="$here/node_modules/.bin/action-validator"

if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node not installed (scripts/setup --test)"
    exit 125
fi
if [[ ! -x "$validator" ]]; then
    echo "SKIP: @action-validator/cli not installed (scripts/setup --test)"
    exit 125
fi

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# validate FILE: prints the validator's findings on failure.
validate() {
    local output
    if output="$("$validator" "$1" 2>&1)"; then
        return 0
    fi
    echo "$output" | head -n 40 | sed 's/^/    /'
    return 1
}

shopt -s nullglob
actions=("$root"/action.yml "$root"/.github/actions/*/action.yml "$root"/.github/actions/*/action.yaml)
workflows=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
[[ -f "$root/action.yml" ]] || fail "no action.yml at the repository root (the Marketplace action)"
((${#actions[@]} >= 2)) || fail "no action in .github/actions/"
((${#workflows[@]} >= 3)) || fail "expected ci.yml, load-gate.yml and release.yml in .github/workflows/"

# 1. Every action and workflow is valid.
for file in "${actions[@]}" "${workflows[@]}"; do
    if validate "$file"; then
        echo "ok: ${file#"$root"/}"
    else
        fail "${file#"$root"/} is not a valid action/workflow"
    fi
done

# 2. The validator is not a rubber stamp: broken copies are rejected.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
action="$root/.github/actions/stagegate/action.yml"
# A composite step without `shell:` is invalid.
mkdir -p "$tmp/action"
sed '0,/^      shell: bash$/{/^      shell: bash$/d}' "$action" >"$tmp/action/action.yml"
if cmp -s "$action" "$tmp/action/action.yml"; then
    fail "could not break the action (no 'shell: bash' step found)"
elif "$validator" "$tmp/action/action.yml" >/dev/null 2>&1; then
    fail "action-validator accepted an action whose composite step has no shell"
fi
# A job with a misspelt key (runs_on) is invalid.
mkdir -p "$tmp/.github/workflows"
sed 's/^    runs-on:/    runs_on:/' "$root/.github/workflows/load-gate.yml" \
    >"$tmp/.github/workflows/load-gate.yml"
if cmp -s "$root/.github/workflows/load-gate.yml" "$tmp/.github/workflows/load-gate.yml"; then
    fail "could not break load-gate.yml (no runs-on found)"
elif "$validator" "$tmp/.github/workflows/load-gate.yml" >/dev/null 2>&1; then
    fail "action-validator accepted a workflow with runs_on instead of runs-on"
fi

# 3. What the schema cannot see.
# The actions' outputs come from the run step, whose keys stagegate writes itself.
for a in "$root/action.yml" "$action"; do
    for key in verdict results highest-passed-stage exit-code; do
        grep -q "^  $key:\$" "$a" || fail "${a#"$root"/} does not declare output $key"
        grep -q "value: \${{ steps.run.outputs.$key }}" "$a" ||
            fail "${a#"$root"/} output $key does not come from steps.run"
    done
    grep -q '^  baseline:$' "$a" && grep -q -- '--baseline "$BASELINE"' "$a" ||
        fail "${a#"$root"/} does not pass the baseline input as --baseline"
done
# The Marketplace needs name, description and branding at the root action.
for key in name description branding; do
    grep -q "^$key:" "$root/action.yml" || fail "action.yml has no $key (the Marketplace needs it)"
done
[[ -x "$root/scripts/action-install-release" ]] || fail "scripts/action-install-release (the action's install step) is missing"
# Every action used runs on Node 24: at least these majors (the first on Node 24).
declare -A node24=([actions/checkout]=5 [actions/cache]=5 [actions/cache/restore]=5
    [actions/cache/save]=5 [actions/upload-artifact]=6 [actions/download-artifact]=7
    [actions/setup-node]=5 [docker/setup-buildx-action]=4 [docker/login-action]=4
    [docker/build-push-action]=7 [docker/setup-qemu-action]=4)
while read -r file name major; do
    if [[ -z "${node24[$name]:-}" ]]; then
        fail "${file#"$root"/}: $name@v$major: not in the Node 24 list of check-actions.sh"
    elif ((major < node24[$name])); then
        fail "${file#"$root"/}: $name@v$major runs on an old Node runtime (use v${node24[$name]} or later)"
    fi
done < <(for f in "${actions[@]}" "${workflows[@]}"; do
    sed -n 's/^ *\(- \)\?uses: *\([A-Za-z0-9_.\/-]*\)@v\([0-9]*\).*/\2 \3/p' "$f" | sed "s|^|$f |"
done)
# A local action a workflow uses exists.
for file in "${workflows[@]}"; do
    while read -r path; do
        [[ -f "$root/$path/action.yml" || -f "$root/$path/action.yaml" ]] ||
            fail "${file#"$root"/} uses ./$path, which has no action.yml"
    done < <(sed -n 's/^ *\(- \)\?uses: *\.\/\([^ #]*\).*/\2/p' "$file")
done
# No expression is pasted into a run: script (an input or output could inject shell code):
# values reach the scripts through env:.
for a in "$root/action.yml" "$action"; do
    if ! pasted="$(node -e '
        const yaml = require(process.argv[1]);
        const action = yaml.load(require("fs").readFileSync(process.argv[2], "utf8"));
        const bad = action.runs.steps.filter((s) => typeof s.run === "string" && s.run.includes("${{"));
        for (const s of bad) console.log("step \"" + (s.name || s.id) + "\"");
        process.exit(bad.length ? 1 : 0);
    ' "$here/node_modules/js-yaml" "$a" 2>&1)"; then
        fail "${a#"$root"/} pastes an expression into a script (use env:): $pasted"
    fi
done

if ((failures)); then
    echo "$failures failure(s)"
    exit 1
fi
echo "check-actions: ${#actions[@]} action(s), ${#workflows[@]} workflow(s) valid; broken copies rejected"
