#!/usr/bin/env bash
# check-architecture-deps.sh ARCHITECTURE.md MODULE_DEPS
# ARCHITECTURE.md's block between "<!-- module-deps:begin -->" and "<!-- module-deps:end -->"
# (inside a ```text fence) must list exactly the lines of MODULE_DEPS, which CMake writes from
# the stagegate_module() declarations (cmake/StagegateModule.cmake).
set -uo pipefail
doc="$1" graph="$2"
[[ -f "$doc" ]] || { echo "no $doc" >&2; exit 2; }
[[ -f "$graph" ]] || { echo "no $graph (configure the build first)" >&2; exit 2; }
begin=$(grep -n '<!-- module-deps:begin -->' "$doc" | cut -d: -f1)
end=$(grep -n '<!-- module-deps:end -->' "$doc" | cut -d: -f1)
if [[ -z "$begin" || -z "$end" ]]; then
  echo "$doc: no <!-- module-deps:begin --> ... <!-- module-deps:end --> block" >&2
  exit 1
fi
documented=$(sed -n "$((begin + 1)),$((end - 1))p" "$doc" | grep -v '^```')
if ! diff -u --label "$doc (documented, line $begin)" --label "CMake declarations" \
    <(printf '%s\n' "$documented") "$graph"; then
  echo >&2
  echo "$doc:$begin: the module dependency list differs from the CMake declarations" \
    "(stagegate_module() in orchestrator/CMakeLists.txt and plugins/CMakeLists.txt)." >&2
  echo "Fix the declaration, or replace the block's lines with $graph:" >&2
  cat "$graph" >&2
  exit 1
fi
echo "ok: $doc lists the $(wc -l < "$graph") declared modules and their dependencies"
