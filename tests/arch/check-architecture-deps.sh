#!/usr/bin/env bash
# check-architecture-deps.sh ARCHITECTURE.md MODULE_DEPS [PLUGIN_MODULES]
# ARCHITECTURE.md's block between "<!-- module-deps:begin -->" and "<!-- module-deps:end -->"
# (inside a ```text fence) must list exactly the lines of MODULE_DEPS, which CMake writes from
# the stagegate_module() declarations (cmake/StagegateModule.cmake). PLUGIN_MODULES (one name
# a line: the modules plugins/*/*/plugin.cmake declare) relaxes that for plugins: a plugin's
# line may be left out of the block (adding a plugin touches only its folder and one registry
# line), but a listed one must be true, and no plugin may declare another plugin.
set -uo pipefail
doc="$1" graph="$2" plugins_file="${3:-}"
[[ -f "$doc" ]] || { echo "no $doc" >&2; exit 2; }
[[ -f "$graph" ]] || { echo "no $graph (configure the build first)" >&2; exit 2; }
begin=$(grep -n '<!-- module-deps:begin -->' "$doc" | cut -d: -f1)
end=$(grep -n '<!-- module-deps:end -->' "$doc" | cut -d: -f1)
if [[ -z "$begin" || -z "$end" ]]; then
  echo "$doc: no <!-- module-deps:begin --> ... <!-- module-deps:end --> block" >&2
  exit 1
fi
documented=$(sed -n "$((begin + 1)),$((end - 1))p" "$doc" | grep -v '^```')
declare -A plugin=() listed=()
if [[ -n "$plugins_file" && -f "$plugins_file" ]]; then
  while read -r name; do
    [[ -n "$name" ]] && plugin[$name]=1
  done < "$plugins_file"
fi
while read -r line; do
  [[ -n "$line" ]] && listed[${line%%:*}]=1
done <<<"$documented"

# No plugin declares another plugin (the build lets a module see what it declares).
status=0
expected=""
while read -r line; do
  name=${line%%:*}
  if [[ -n "${plugin[$name]+x}" ]]; then
    for dep in ${line#*:}; do
      if [[ -n "${plugin[$dep]+x}" ]]; then
        echo "plugin $name declares plugin $dep: plugins never depend on each other" \
          "(its plugin.cmake under plugins/)" >&2
        status=1
      fi
    done
    if [[ -z "${listed[$name]+x}" ]]; then
      echo "note: plugin $name is not listed in $doc (allowed): $line"
      continue
    fi
  fi
  expected+="$line"$'\n'
done < "$graph"
if ! diff -u --label "$doc (documented, line $begin)" --label "CMake declarations" \
    <(printf '%s\n' "$documented") <(printf '%s' "$expected"); then
  echo >&2
  echo "$doc:$begin: the module dependency list differs from the CMake declarations" \
    "(stagegate_module() in orchestrator/CMakeLists.txt, stagegate_plugin() in" \
    "plugins/*/*/plugin.cmake)." >&2
  echo "Fix the declaration, or replace the block's lines with $graph:" >&2
  cat "$graph" >&2
  exit 1
fi
[[ $status -eq 0 ]] || exit 1
echo "ok: $doc lists the $(wc -l <<<"$documented") declared modules and their dependencies"
