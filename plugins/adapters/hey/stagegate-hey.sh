#!/usr/bin/env bash
# stagegate adapter for hey (https://github.com/rakyll/hey; Debian: apt-get install hey): run
# it as a `command` executor program. It maps the stage stagegate passes in STAGEGATE_* to
# hey flags, runs hey for the stage's duration, and turns hey's summary (latency
# distribution, status code and error distribution) into the stage result
# (schemas/stage-result.schema.json) in $STAGEGATE_RESULT_FILE.
# Guide: plugins/executors/command/README.md.
#
#   scenario:
#     executor: command
#     command: [../plugins/adapters/hey/stagegate-hey.sh, --operation, history, /conversations/c1/messages?userId=1]
#
# Usage: stagegate-hey.sh [--operation NAME] [PATH] [-- HEY_OPTIONS...]
#   NAME          the operation's name in the result (default $HEY_OPERATION, else
#                 "request"): name it in the pipeline's scenario.operations
#   PATH          appended to $STAGEGATE_BASE_URL (default /)
#   HEY_OPTIONS   passed to hey as they are (e.g. -disable-keepalive)
# Mapping: STAGEGATE_VUS -> -c (workers), STAGEGATE_DURATION_S -> -z, STAGEGATE_TIMEOUT_S ->
# -t (whole seconds, rounded up). Request shape: HEY_METHOD (default GET), HEY_BODY,
# HEY_CONTENT_TYPE (default application/json with a body), HEY_HEADERS (one "Name: value"
# per line).
# hey's workers are a closed model: a stage with `rate:` is refused.
#
# How hey's numbers map (hey 0.1.4):
#   requests           = responses (status code distribution) + failed requests (error
#                        distribution)
#   errors.connection_refused / timeout / connection_reset / dns / tls / other: the error
#                        distribution, by its message; requests hey cancelled when -z ran out
#                        are errors.interrupted (in flight at the stage's end)
#   errors.status_429/4xx/5xx and status_counts: the status code distribution
#   latency_ms.percentiles: hey's latency distribution (p50 p75 p90 p95 p99) and its
#                        fastest / slowest / average, seconds * 1000
set -euo pipefail

ADAPTER=stagegate-hey
# shellcheck source=plugins/adapters/adapter-common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../adapter-common.sh"
adapter_start hey "Debian/Ubuntu: apt-get install hey"

operation="${HEY_OPERATION:-request}"
if (($# > 1)) && [[ "$1" == "--operation" ]]; then
    operation="$2"
    shift 2
fi
adapter_path_args "$@"
set -- ${adapter_rest[@]+"${adapter_rest[@]}"}

adapter_refuse_rate "hey's workers are a closed model (use vus:, or k6 / the builtin executor for an arrival rate)"
[[ "$operation" =~ ^[A-Za-z_][A-Za-z0-9_-]*$ ]] || die "operation \"$operation\" is not an operation name (letters, digits, _ -)"

workers="${STAGEGATE_VUS:-1}"
((workers >= 1)) || workers=1
duration="$(awk -v v="${STAGEGATE_DURATION_S:-10}" 'BEGIN { if (v < 0.1) v = 0.1; printf "%.3f", v }')"
timeout="$(ceil "${STAGEGATE_TIMEOUT_S:-10}")"

args=(-c "$workers" -z "${duration}s" -t "$timeout" -m "${HEY_METHOD:-GET}")
if [[ -n "${HEY_BODY:-}" ]]; then
    args+=(-d "$HEY_BODY" -T "${HEY_CONTENT_TYPE:-application/json}")
fi
while IFS= read -r header; do
    [[ -n "$header" ]] && args+=(-H "$header")
done <<<"${HEY_HEADERS:-}"
url="$(adapter_url)"
summary="${STAGEGATE_RESULT_FILE}.hey.txt"
echo "stagegate-hey: hey -c $workers -z ${duration}s -t $timeout -m ${HEY_METHOD:-GET} $* $url"
start=$(date +%s.%N)
hey "${args[@]}" "$@" "$url" >"$summary"
end=$(date +%s.%N)

# The summary's sections, one pass: Summary (Slowest/Fastest/Average in seconds), Latency
# distribution ("95% in 0.0123 secs"), Status code distribution ("[200]	950 responses"),
# Error distribution ("[3]	Get ...: connect: connection refused").
awk -v operation="$operation" -v duration="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" '
function ms(seconds) { return sprintf("%.4f", seconds * 1000) }
function kind(message) {
    if (message ~ /connection refused/) return "connection_refused"
    if (message ~ /context canceled/) return "interrupted"
    if (message ~ /Timeout exceeded|timeout|deadline exceeded/) return "timeout"
    if (message ~ /connection reset|broken pipe|EOF/) return "connection_reset"
    if (message ~ /no such host|server misbehaving/) return "dns"
    if (message ~ /tls|x509|certificate/) return "tls"
    return "other"
}
/^Summary:/ { section = "summary"; next }
/^Latency distribution:/ { section = "latency"; next }
/^Status code distribution:/ { section = "status"; next }
/^Error distribution:/ { section = "errors"; next }
/^[A-Z][A-Za-z ]*:$/ || /^Response time histogram:/ || /^Details/ { section = ""; next }
section == "summary" && $1 == "Total:" { total = $2 }
section == "summary" && $1 == "Slowest:" { slowest = $2 }
section == "summary" && $1 == "Fastest:" { fastest = $2 }
section == "summary" && $1 == "Average:" { average = $2 }
section == "latency" && $2 == "in" { p = $1; sub(/%$/, "", p); pct[p] = $3 }
section == "status" && match($0, /\[[0-9]+\][ \t]+[0-9]+/) {
    split(substr($0, RSTART, RLENGTH), f, /[][ \t]+/)
    status[f[2]] += f[3]; responses += f[3]
}
section == "errors" && match($0, /^[ \t]*\[[0-9]+\]/) {
    n = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", n)
    errs[kind(substr($0, RLENGTH + 1))] += n; failed += n
}
END {
    for (s in status) {
        if (s == 429) errs["status_429"] += status[s]
        else if (s >= 400 && s < 500) errs["status_4xx"] += status[s]
        else if (s >= 500) errs["status_5xx"] += status[s]
    }
    printf "{\"schema\": \"stagegate.stage-result/v1\", \"tool\": {\"name\": \"hey\", \"adapter\": \"plugins/adapters/hey\"}"
    if (total != "" && total != "NaN") duration = total
    printf ", \"duration_s\": %s, \"operations\": [{\"name\": \"%s\", \"requests\": %d", duration, operation, responses + failed
    printf ", \"errors\": {"; sep = ""
    for (k in errs) { printf "%s\"%s\": %d", sep, k, errs[k]; sep = ", " }
    printf "}, \"status_counts\": {"; sep = ""
    for (s in status) { printf "%s\"%s\": %d", sep, s, status[s]; sep = ", " }
    printf "}"
    if (responses > 0 && fastest != "" && fastest != "NaN") {
        printf ", \"latency_ms\": {\"percentiles\": {\"min\": %s", ms(fastest)
        split("50 75 90 95 99", want, " ")
        for (i = 1; i <= 5; i++) if (want[i] in pct) printf ", \"p%s\": %s", want[i], ms(pct[want[i]])
        printf ", \"max\": %s", ms(slowest)
        if (average != "NaN" && average != "") printf ", \"avg\": %s", ms(average)
        printf "}}"
    }
    printf "}]}\n"
}' "$summary" >"$STAGEGATE_RESULT_FILE.tmp"
mv "$STAGEGATE_RESULT_FILE.tmp" "$STAGEGATE_RESULT_FILE"
