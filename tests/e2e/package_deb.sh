# The Debian package (issue 14 item 1): CPack builds stagegate_<version>_<arch>.deb from
# this build; its Depends come from dpkg-shlibdeps; lintian reports no error (when
# installed: scripts/setup --test); unpacked into a fresh root with dpkg-deb -x (the
# machine itself is not changed) the installed stagegate validates and runs the shipped
# chat-quick pipeline against the shipped demo backend, prints its schemas, and the man
# page, completions and schemas are where Debian tools look for them.
source "$(dirname "$0")/lib.sh"
need cpack
need dpkg-deb
need dpkg-shlibdeps
need jq
: "${BUILD_DIR:?run through ctest}"
[[ -f "$BUILD_DIR/CPackConfig.cmake" ]] || fail "no CPackConfig.cmake in $BUILD_DIR"
cpack --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log"; fail "cpack failed"; }
debs=("$WORK"/pkg/stagegate_*.deb)
[[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || fail "expected one stagegate_*.deb, got: ${debs[*]}"
deb=${debs[0]}
[[ "$(basename "$deb")" =~ ^stagegate_[0-9.]+_(amd64|arm64)\.deb$ ]] || fail "file name $(basename "$deb")"

# Control: shlibdeps put the shared libraries in Depends.
dpkg-deb -f "$deb" Depends >"$WORK/depends.txt"
for lib in libc6 libcurl4 libyaml-cpp0.7 libstdc++6; do
  grep -q "$lib" "$WORK/depends.txt" || fail "Depends lacks $lib: $(cat "$WORK/depends.txt")"
done
[[ "$(dpkg-deb -f "$deb" Package)" == stagegate ]] || fail "package name"

# The files, owned by root, where Debian's tools look.
dpkg-deb -c "$deb" >"$WORK/contents.txt"
for path in ./usr/bin/stagegate ./usr/lib/stagegate/chat-backend ./usr/share/man/man1/stagegate.1.gz \
    ./usr/share/bash-completion/completions/stagegate ./usr/share/zsh/vendor-completions/_stagegate \
    ./usr/share/fish/vendor_completions.d/stagegate.fish ./usr/share/stagegate/schemas/pipeline.schema.json \
    ./usr/share/stagegate/pipelines/chat-quick.yaml ./usr/share/doc/stagegate/copyright \
    ./usr/share/doc/stagegate/changelog.gz; do
  grep -q " $path\$" "$WORK/contents.txt" || fail "the package has no $path"
done
! grep -v ' root/root ' "$WORK/contents.txt" || fail "files not owned by root/root"

if command -v lintian >/dev/null 2>&1; then
  lintian --fail-on error --tag-display-limit 0 "$deb" >"$WORK/lintian.txt" 2>&1 ||
    { cat "$WORK/lintian.txt"; fail "lintian reports errors"; }
  ! grep -q '^E: ' "$WORK/lintian.txt" || { cat "$WORK/lintian.txt"; fail "lintian errors"; }
else
  echo "note: lintian not installed (scripts/setup --test installs it): not checked" >&2
fi

# A fresh root: unpack and run what was installed, nothing from the build tree.
root="$WORK/root"
dpkg-deb -x "$deb" "$root"
sg="$root/usr/bin/stagegate"
"$sg" --version | grep -q "^stagegate " || fail "installed --version"
"$sg" schema >"$WORK/schema.json" || fail "installed schema"
cmp -s "$WORK/schema.json" "$root/usr/share/stagegate/schemas/pipeline.schema.json" ||
  fail "the installed schema file differs from stagegate schema"
"$sg" schema results | jq -e '.title // .["$id"]' >/dev/null || fail "installed schema results"
export PORT=$(free_port)
"$sg" validate "$root/usr/share/stagegate/pipelines/chat-quick.yaml" || fail "installed validate"
zcat "$root/usr/share/man/man1/stagegate.1.gz" | grep -q '^\.TH STAGEGATE 1' || fail "man page"
bash -c "source '$root/usr/share/bash-completion/completions/stagegate' && complete -p stagegate" \
  >/dev/null || fail "the installed bash completion does not register"
# The shipped quick pipeline against the shipped demo backend, shortened.
STAGEGATE_BACKEND="$root/usr/lib/stagegate/chat-backend" "$sg" run \
  "$root/usr/share/stagegate/pipelines/chat-quick.yaml" --out "$WORK/out" --no-progress \
  --set 'stages[*].duration=1s' --set 'stages[*].ramp_up=0s' --set defaults.cooldown=0s \
  --set stages.stress.vus=10 >"$WORK/run.txt" 2>&1 || { cat "$WORK/run.txt"; fail "installed run"; }
jq -e '.verdict == "PASS"' "$WORK/out/results.json" >/dev/null || fail "installed run did not pass"
echo "ok"
