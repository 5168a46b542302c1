# shellcheck shell=bash
# Sourced by the tool adapters (hey/stagegate-hey.sh, wrk/stagegate-wrk.sh): what each of
# them does the same way before it maps the stage to its tool's flags. Set ADAPTER (the
# adapter's name in messages) before sourcing. Not a program of its own.
#
#   adapter_start TOOL INSTALL_HINT   the tool is on PATH and stagegate's command executor
#                                     started us (STAGEGATE_RESULT_FILE, STAGEGATE_BASE_URL)
#   adapter_path_args "$@"            [PATH] [-- TOOL_OPTIONS...]: sets adapter_path (default
#                                     /) and adapter_rest (the tool options, an array)
#   adapter_refuse_rate WHAT_TO_USE   the tool has a closed model only: a stage with a rate
#                                     is refused, naming what to use instead
#   ceil SECONDS                      whole seconds, rounded up, at least 1
#   adapter_url                       $STAGEGATE_BASE_URL with adapter_path appended

die() {
    echo "${ADAPTER:-stagegate-adapter}: $*" >&2
    exit 2
}

adapter_start() {
    command -v "$1" >/dev/null || die "$1 not found on PATH ($2)"
    [[ -n "${STAGEGATE_RESULT_FILE:-}" ]] || die "STAGEGATE_RESULT_FILE is not set: run me from stagegate's command executor"
    [[ -n "${STAGEGATE_BASE_URL:-}" ]] || die "STAGEGATE_BASE_URL is not set"
}

adapter_path_args() {
    adapter_path="/"
    if (($# > 0)) && [[ "$1" != "--" ]]; then
        adapter_path="$1"
        shift
    fi
    if (($# > 0)) && [[ "$1" == "--" ]]; then
        shift
    fi
    # shellcheck disable=SC2034  # read by the adapter that sources this
    adapter_rest=("$@")
}

adapter_refuse_rate() {
    local rate="${STAGEGATE_RATE:-0}"
    if awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }'; then
        die "stage ${STAGEGATE_STAGE:-?} has rate ${rate}/s, but $1"
    fi
}

ceil() { awk -v v="$1" 'BEGIN { n = int(v); if (n < v) n++; if (n < 1) n = 1; print n }'; }

adapter_url() { echo "${STAGEGATE_BASE_URL%/}/${adapter_path#/}"; }
