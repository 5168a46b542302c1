# The Dockerfile (issue 14 item 1), checked without a registry or a Docker daemon (the
# release workflow builds it): multi-stage, the final stage on debian:12-slim installs the
# .deb the build stage made, runs as a non-root user, ENTRYPOINT ["stagegate"]; every COPY
# source exists in the repository; every file the CMake build reads at the top level is
# copied in (else the image build would fail where this test does not).
source "$(dirname "$0")/lib.sh"
df="$SOURCE_DIR/Dockerfile"
[[ -f "$df" ]] || fail "no Dockerfile"
# Join continuation lines, drop comments.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$df" | grep -v -E '^\s*(#|$)' >"$WORK/df.txt"
froms=$(grep -c -E '^FROM ' "$WORK/df.txt")
((froms >= 2)) || fail "not multi-stage ($froms FROM)"
[[ "$(grep -E '^FROM ' "$WORK/df.txt" | tail -n 1)" =~ ^FROM\ debian:12-slim(\ |$) ]] ||
  fail "the final stage is not debian:12-slim"
grep -E '^FROM debian:12 AS build$' "$WORK/df.txt" >/dev/null || fail "no Debian 12 build stage"
# The final stage: from the last FROM on.
awk '/^FROM /{n++} n=='"$froms"'' "$WORK/df.txt" >"$WORK/final.txt"
grep -q -E 'apt-get install .*/stagegate_\*\.deb' "$WORK/final.txt" || fail "the final stage does not install the .deb"
grep -q -E '^COPY --from=build ' "$WORK/final.txt" || fail "the final stage copies nothing from the build"
user=$(grep -E '^USER ' "$WORK/final.txt" | tail -n 1 | awk '{print $2}')
[[ -n "$user" && "${user%%:*}" != root && "${user%%:*}" != 0 ]] || fail "the image runs as root (USER '$user')"
[[ "$(grep -E '^ENTRYPOINT ' "$WORK/final.txt" | tail -n 1)" == 'ENTRYPOINT ["stagegate"]' ]] ||
  fail "ENTRYPOINT is not [\"stagegate\"]"
# COPY sources (not --from) exist.
while read -r -a words; do
  sources=("${words[@]:1:${#words[@]}-2}")
  for src in "${sources[@]}"; do
    [[ "$src" == --* ]] && continue
    [[ -e "$SOURCE_DIR/$src" ]] || fail "COPY source $src does not exist"
  done
done < <(grep -E '^COPY ' "$WORK/df.txt" | grep -v -- '--from=')
# What the top-level CMakeLists.txt and cmake/Packaging.cmake need is copied in.
for needed in cmake orchestrator plugins examples schemas pipelines packaging CMakeLists.txt; do
  grep -q -E "^COPY ([^ ]+ )*$needed( |/|\$)" "$WORK/df.txt" || fail "the build stage does not copy $needed"
done
echo "ok"
