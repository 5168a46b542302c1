#!/usr/bin/env bash
# stagegate adapter for wrk (https://github.com/wg/wrk; Debian: apt-get install wrk): run it
# as a `command` executor program. It maps the stage stagegate passes in STAGEGATE_* to wrk
# flags, and wrk's Lua done() hook (stagegate.lua, next to this file) writes the stage
# result to $STAGEGATE_RESULT_FILE. Guide: plugins/executors/command/README.md.
#
#   scenario:
#     executor: command
#     command: [../plugins/adapters/wrk/stagegate-wrk.sh, /conversations/c1/messages?userId=1]
#
# Usage: stagegate-wrk.sh [PATH] [-- WRK_OPTIONS...]
#   PATH          appended to $STAGEGATE_BASE_URL (default /)
#   WRK_OPTIONS   passed to wrk as they are (e.g. --latency)
# Mapping: STAGEGATE_VUS -> -c (connections), STAGEGATE_DURATION_S -> -d (whole seconds,
# rounded up), STAGEGATE_TIMEOUT_S -> --timeout, WRK_THREADS -> -t (default 1).
# Request shape (method, body, headers) and the operation's name: WRK_* variables, see
# stagegate.lua. wrk has a closed model only: a stage with `rate:` is refused.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
    echo "stagegate-wrk: $*" >&2
    exit 2
}

command -v wrk > /dev/null || die "wrk not found on PATH (Debian/Ubuntu: apt-get install wrk)"
[[ -n "${STAGEGATE_RESULT_FILE:-}" ]] || die "STAGEGATE_RESULT_FILE is not set: run me from stagegate's command executor"
[[ -n "${STAGEGATE_BASE_URL:-}" ]] || die "STAGEGATE_BASE_URL is not set"

path="/"
if (($# > 0)) && [[ "$1" != "--" ]]; then
    path="$1"
    shift
fi
if (($# > 0)) && [[ "$1" == "--" ]]; then
    shift
fi

rate="${STAGEGATE_RATE:-0}"
if awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }'; then
    die "stage ${STAGEGATE_STAGE:-?} has rate ${rate}/s, but wrk has no open model (use vus:, or an arrival-rate tool such as wrk2 or k6)"
fi

# Whole seconds, rounded up (wrk's -d takes integers), at least 1.
ceil() { awk -v v="$1" 'BEGIN { n = int(v); if (n < v) n++; if (n < 1) n = 1; print n }'; }

connections="${STAGEGATE_VUS:-1}"
((connections >= 1)) || connections=1
threads="${WRK_THREADS:-1}"
((threads <= connections)) || threads="$connections"
duration="$(ceil "${STAGEGATE_DURATION_S:-10}")"
timeout="$(ceil "${STAGEGATE_TIMEOUT_S:-10}")"

url="${STAGEGATE_BASE_URL%/}/${path#/}"
echo "stagegate-wrk: wrk -t $threads -c $connections -d ${duration}s --timeout ${timeout}s $* $url"
exec wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout "${timeout}s" \
    -s "$here/stagegate.lua" "$@" "$url"
