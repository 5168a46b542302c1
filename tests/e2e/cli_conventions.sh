# The command-line conventions of issue 14 item 6: `stagegate help VERB`, shell completion
# (sourced in a real bash and asked to complete `stagegate r<TAB>` and pipeline paths), the
# man page built from the help texts, and colour: FORCE_COLOR forces it, NO_COLOR counts
# only when not empty, TERM=dumb gets neither colour nor redraw (checked on a real
# pseudo-terminal from script(1)).
source "$(dirname "$0")/lib.sh"
export PORT=$(free_port)

# --- help VERB is VERB --help; an unknown verb is INVALID with a suggestion.
for verb in run validate report compare schema render completion; do
  run_stagegate help "$verb"; expect_rc 0; cp "$WORK/stdout.txt" "$WORK/help.txt"
  run_stagegate "$verb" --help; expect_rc 0
  cmp -s "$WORK/help.txt" "$WORK/stdout.txt" || fail "help $verb differs from $verb --help"
done
run_stagegate help rport; expect_rc 2
grep -q 'did you mean "report"' "$WORK/stderr.txt" || fail "help: no did-you-mean"
run_stagegate help; expect_rc 0; grep -q "stagegate completion bash|zsh|fish" "$WORK/stdout.txt" || fail "overview"

# --- bash completion, sourced and driven as bash's programmable completion does.
run_stagegate completion bash; expect_rc 0; cp "$WORK/stdout.txt" "$WORK/stagegate.bash"
run_stagegate completion tcsh; expect_rc 2
mkdir -p "$WORK/files/sub dir"
touch "$WORK/files/quick.yaml" "$WORK/files/other.yml" "$WORK/files/results.json" "$WORK/files/notes.txt"
complete_words() {  # prints COMPREPLY, one per line, for the words given (last = current)
  (cd "$WORK/files" && bash --norc -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _stagegate; printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$WORK/stagegate.bash" "$@")
}
[[ "$(complete_words stagegate r)" == $'render\nreport\nrun' ]] || fail "stagegate r<TAB>: $(complete_words stagegate r)"
[[ "$(complete_words stagegate render '')" == $'github\nk8s' ]] || fail "render <TAB>: $(complete_words stagegate render '')"
[[ "$(complete_words stagegate render k8s q)" == "quick.yaml" ]] || fail "render k8s q<TAB>"
[[ "$(complete_words stagegate render k8s quick.yaml --par)" == "--parallelism" ]] || fail "render --par<TAB>"
[[ "$(complete_words stagegate run '')" == $'other.yml\nquick.yaml\nsub dir' ]] ||
  fail "stagegate run <TAB>: $(complete_words stagegate run '')"
[[ "$(complete_words stagegate validate q)" == "quick.yaml" ]] || fail "stagegate validate q<TAB>"
[[ "$(complete_words stagegate report '')" == $'results.json\nsub dir' ]] ||
  fail "stagegate report <TAB>: $(complete_words stagegate report '')"
[[ "$(complete_words stagegate report x.json --format o)" == "openmetrics" ]] || fail "--format o<TAB>"
[[ "$(complete_words stagegate run quick.yaml --no-p)" == "--no-progress" ]] || fail "run --no-p<TAB>"
[[ "$(complete_words stagegate completion '')" == $'bash\nfish\nzsh' ]] || fail "completion <TAB>"
# zsh: the script parses and registers with compinit. fish: it parses and completes verbs,
# pipelines only for run, results only for report, and --format values alone.
run_stagegate completion zsh; expect_rc 0; cp "$WORK/stdout.txt" "$WORK/_stagegate"
if command -v zsh >/dev/null 2>&1; then
  zsh -n "$WORK/_stagegate" || fail "zsh completion does not parse"
  [[ "$(zsh -f -c 'autoload -U compinit; compinit -u -d "$1/zcompdump"; source "$1/_stagegate"; print ${_comps[stagegate]}' _ "$WORK")" == _stagegate ]] ||
    fail "zsh completion does not register for stagegate"
else
  echo "note: zsh not installed (scripts/setup --test): its completion is not checked" >&2
fi
run_stagegate completion fish; expect_rc 0; cp "$WORK/stdout.txt" "$WORK/stagegate.fish"
if command -v fish >/dev/null 2>&1; then
  fish -n "$WORK/stagegate.fish" || fail "fish completion does not parse"
  fish_complete() {  # candidates (first column) for the command line $1
    (cd "$WORK/files" && fish --no-config -c "source '$WORK/stagegate.fish'; complete -C '$1'" | cut -f1 | sort)
  }
  [[ "$(fish_complete 'stagegate r')" == $'render
report
run' ]] || fail "fish: stagegate r<TAB>: $(fish_complete 'stagegate r')"
  [[ "$(fish_complete 'stagegate run ')" == $'other.yml
quick.yaml
sub dir/' ]] ||
    fail "fish: stagegate run <TAB>: $(fish_complete 'stagegate run ')"
  [[ "$(fish_complete 'stagegate report ')" == $'results.json
sub dir/' ]] ||
    fail "fish: stagegate report <TAB>: $(fish_complete 'stagegate report ')"
  [[ "$(fish_complete 'stagegate report x.json --format o')" == "openmetrics" ]] ||
    fail "fish: --format o<TAB>: $(fish_complete 'stagegate report x.json --format o')"
else
  echo "note: fish not installed (scripts/setup --test): its completion is not checked" >&2
fi

# --- the man page: roff generated from the help texts, clean for groff, with every verb.
run_stagegate help --man; expect_rc 0; cp "$WORK/stdout.txt" "$WORK/stagegate.1"
if command -v groff >/dev/null 2>&1; then
  groff -man -Tutf8 -ww -z "$WORK/stagegate.1" 2>"$WORK/groff.txt" || fail "groff failed"
  [[ ! -s "$WORK/groff.txt" ]] || { cat "$WORK/groff.txt"; fail "groff warns about the man page"; }
  groff -man -Tutf8 "$WORK/stagegate.1" 2>/dev/null | sed 's/.\x08//g' >"$WORK/man.txt"
  for verb in run validate report compare schema render completion help; do
    grep -q "^   $verb\$" "$WORK/man.txt" || fail "man page has no section for $verb"
  done
  grep -q -- "--set KEY.PATH=VALUE" "$WORK/man.txt" || fail "man page lost the options' hyphens"
  grep -q "FORCE_COLOR" "$WORK/man.txt" || fail "man page has no ENVIRONMENT"
fi
built_man="$(dirname "$STAGEGATE")/stagegate.1"
if [[ -f "$built_man" ]]; then
  cmp -s "$built_man" "$WORK/stagegate.1" || fail "the built man page differs from help --man"
fi

# --- colour and redraw. A short run of one stage; the verdict word is coloured or not.
export SMOKE_DURATION=1s COOLDOWN=0s
esc=$'\033['
env -u NO_COLOR FORCE_COLOR=1 TERM=xterm "$STAGEGATE" run "$PIPELINES/basic.yaml" --only smoke \
  --out "$WORK/out-force" >"$WORK/force.txt" 2>&1 || fail "FORCE_COLOR run failed"
grep -qF "${esc}1;32mPASS" "$WORK/force.txt" || fail "FORCE_COLOR=1 into a pipe: no colour"
! grep -q $'\r' "$WORK/force.txt" || fail "FORCE_COLOR into a pipe redraws progress"
# A pseudo-terminal: colour and in-place progress; NO_COLOR="" is not set; TERM=dumb: none.
on_tty() {  # usage: on_tty NAME ENV... ; output in $WORK/tty-NAME.txt
  local name=$1; shift
  env -u FORCE_COLOR -u NO_COLOR "$@" script -qefc "$(printf '%q ' "$STAGEGATE" run "$PIPELINES/basic.yaml" \
    --only smoke --out "$WORK/out-tty-$name")" /dev/null >"$WORK/tty-$name.txt" 2>&1 </dev/null ||
    fail "run on a pseudo-terminal ($name) failed: $(tail -5 "$WORK/tty-$name.txt")"
}
on_tty xterm TERM=xterm
grep -qF "${esc}1;32mPASS" "$WORK/tty-xterm.txt" || fail "no colour on a terminal"
grep -qF "${esc}2K" "$WORK/tty-xterm.txt" || fail "no progress redrawn in place on a terminal"
on_tty empty-no-color TERM=xterm NO_COLOR=
grep -qF "${esc}1;32mPASS" "$WORK/tty-empty-no-color.txt" || fail "an empty NO_COLOR turned colour off"
on_tty no-color TERM=xterm NO_COLOR=1
! grep -qF "${esc}1;" "$WORK/tty-no-color.txt" || fail "NO_COLOR=1 still coloured"
on_tty dumb TERM=dumb
! grep -qF "$esc" "$WORK/tty-dumb.txt" || fail "TERM=dumb got escape sequences"
grep -q "PASS" "$WORK/tty-dumb.txt" || fail "TERM=dumb run printed no verdict"
echo "ok"
