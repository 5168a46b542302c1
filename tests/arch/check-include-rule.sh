#!/usr/bin/env bash
# check-include-rule.sh CXX SOURCE_DIR ok|missing HEADER [-I<dir>...]
# Compiles one translation unit, `#include "HEADER"`, with the given include flags only
# (-fsyntax-only). EXPECT ok: it must compile. EXPECT missing: it must fail because HEADER is
# not found; any other failure is an error of the check itself. HEADER must exist in the
# source tree (orchestrator/HEADER or HEADER), so a "missing" result means "not visible".
set -uo pipefail
cxx="$1" src="$2" expect="$3" header="$4"
shift 4
if [[ ! -f "$src/orchestrator/$header" && ! -f "$src/$header" ]]; then
  echo "check-include-rule: $header does not exist in $src: fix the test" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Not in the header's folder: quoted includes must resolve through the -I roots alone.
printf '#include "%s"\n' "$header" > "$tmp/probe.cpp"
echo "include flags: $*"
"$cxx" -std=c++20 -fsyntax-only "$@" "$tmp/probe.cpp" > "$tmp/out" 2>&1
rc=$?
case "$expect" in
  ok)
    if [[ $rc -ne 0 ]]; then
      cat "$tmp/out"
      echo "FAIL: #include \"$header\" should compile with these roots" >&2
      exit 1
    fi
    echo "ok: #include \"$header\" compiles";;
  missing)
    if [[ $rc -eq 0 ]]; then
      echo "FAIL: #include \"$header\" compiled, but the dependency rule forbids it" >&2
      exit 1
    fi
    if ! grep -q "${header}: No such file or directory" "$tmp/out"; then
      cat "$tmp/out"
      echo "FAIL: the compile failed for another reason than \"$header\" not being found" >&2
      exit 1
    fi
    echo "ok: #include \"$header\" is rejected: $(grep -m1 'No such file' "$tmp/out")";;
  *) echo "check-include-rule: EXPECT is ok or missing, not '$expect'" >&2; exit 2;;
esac
