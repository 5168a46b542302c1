// The stage result a `command` executor program writes (schemas/stage-result.schema.json,
// "stagegate.stage-result/v1"): parsed and checked here, every problem named by its JSON
// path, then replayed into StageMetrics (stage_result_replay.hpp). Pure: text in, struct out.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_box.hpp"
#include "core/result.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

/// Latency of the requests that got a response, as the tool reported it.
struct StageResultLatency {
    enum class Form { none, histogram, percentiles };
    Form form = Form::none;
    /// [upper bound in ms, count], upper bounds strictly increasing.
    std::vector<std::pair<double, std::uint64_t>> histogram;
    /// [percentile in 0..100, ms], percentiles increasing, values not decreasing. `min` is
    /// percentile 0, `max` 100, `p999` 99.9.
    std::vector<std::pair<double, double>> percentiles;
    std::optional<double> avg_ms;  ///< informational: not reproduced by the replay
};

/// One operation's (or the totals') counts.
struct StageResultOperation {
    std::string name;  ///< empty for `totals`
    std::uint64_t requests = 0;
    std::array<std::uint64_t, k_error_kind_count> errors{};    ///< by ErrorKind
    std::vector<std::pair<int, std::uint64_t>> status_counts;  ///< status ascending
    StageResultLatency latency;

    std::uint64_t error_total() const;
    /// Requests that got no response (connection_refused, timeout, connection_reset, dns,
    /// tls, interrupted, other).
    std::uint64_t unanswered() const;
};

struct StageResult {
    double duration_s = 0;
    bool per_operation = true;  ///< `operations` given (else a single `totals` entry)
    std::vector<StageResultOperation> operations;
    std::optional<std::uint64_t> iterations;
    std::optional<std::uint64_t> scheduled;
    std::optional<std::uint64_t> dropped;
    JsonBox tool;  ///< the free-form `tool` object, or null
};

/// Parses and checks a stage result. On failure: infrastructure Error whose message is
/// `<label>: <json path>: <problem>` for the first problem (e.g.
/// `out/command-smoke-result.json: operations[1].errors.status_5xx: must be a whole
/// number >= 0 (got -1)`) and whose context lists every problem, one per line.
Result<StageResult> parse_stage_result(std::string_view text, const std::string& label);

/// Reads and parses the file at `path` (named in messages as given).
Result<StageResult> read_stage_result(const std::filesystem::path& path);

}  // namespace orch
