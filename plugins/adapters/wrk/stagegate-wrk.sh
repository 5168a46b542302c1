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

ADAPTER=stagegate-wrk
# shellcheck source=plugins/adapters/adapter-common.sh
source "$here/../adapter-common.sh"
adapter_start wrk "Debian/Ubuntu: apt-get install wrk"

adapter_path_args "$@"
set -- ${adapter_rest[@]+"${adapter_rest[@]}"}

adapter_refuse_rate "wrk has no open model (use vus:, or an arrival-rate tool such as wrk2 or k6)"

# wrk's -d takes whole seconds: ceil rounds up (at least 1).
connections="${STAGEGATE_VUS:-1}"
((connections >= 1)) || connections=1
threads="${WRK_THREADS:-1}"
((threads <= connections)) || threads="$connections"
duration="$(ceil "${STAGEGATE_DURATION_S:-10}")"
timeout="$(ceil "${STAGEGATE_TIMEOUT_S:-10}")"

url="$(adapter_url)"
echo "stagegate-wrk: wrk -t $threads -c $connections -d ${duration}s --timeout ${timeout}s $* $url"
exec wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout "${timeout}s" \
    -s "$here/stagegate.lua" "$@" "$url"
