// The k6 command-line builder (the first of the three parts of the k6 plugin, as in
// Taurus' k6 module): maps one stage of the generic load spec to `k6 run` flags and
// STAGEGATE_* environment variables. Pure: no processes, no files, unit-tested directly.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

/// Everything needed to run k6 for one stage, and where its artifacts go.
struct K6Command {
    std::vector<std::string> argv;  ///< argv[0] is the k6 binary as given
    /// Added to the inherited environment.
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path summary_export;  ///< `<out>/k6-<stage>-summary.json`
    std::filesystem::path ndjson;          ///< `<out>/k6-<stage>.ndjson` (`--out json=`)
    std::filesystem::path log;             ///< `<out>/k6-<stage>.log` (stdout + stderr)
};

/// Builds `k6 run` for `stage`:
/// - closed model, no ramps: `--vus N --duration D`;
/// - closed model with `ramp_up`/`ramp_down`: `--stage RAMP_UP:N --stage HOLD:N
///   [--stage RAMP_DOWN:0]` (HOLD = duration - ramps, omitted when not positive), so the
///   ramps lie inside `duration` as with the builtin executor;
/// - open model (`rate`): no load flags at all (k6 has no CLI flag for an arrival rate, and
///   `--vus`/`--duration` would replace the script's scenarios): the script reads
///   STAGEGATE_RATE, STAGEGATE_RATE_TO, STAGEGATE_MAX_VUS and STAGEGATE_DURATION_S and
///   declares its own arrival-rate scenario (plugins/executors/k6/README.md);
/// then `--summary-export <summary_export> --out json=<ndjson> --no-usage-report`,
/// `scenario.extra_args`, and the script path last. `binary` and `script` are used as given (pass
/// absolute paths: k6 runs with the output folder as its working directory). Environment:
/// STAGEGATE_STAGE, STAGEGATE_VUS (max_vus in the open model), STAGEGATE_MAX_VUS, STAGEGATE_RATE
/// (per second; "0" in the closed model), STAGEGATE_RATE_TO (end of a rate ramp; = STAGEGATE_RATE
/// for a fixed rate), STAGEGATE_DURATION_S, STAGEGATE_RAMP_UP_S, STAGEGATE_TIMEOUT_S
/// (target.timeout), STAGEGATE_BASE_URL and BASE_URL (both target.base_url), and
/// K6_NO_USAGE_REPORT=true (with `--no-usage-report`: k6 must not send usage reports off the
/// machine).
K6Command build_k6_command(const Pipeline& pipeline, const StageSpec& stage,
                           const std::string& binary, const std::filesystem::path& script,
                           const std::filesystem::path& out_dir);

}  // namespace orch
