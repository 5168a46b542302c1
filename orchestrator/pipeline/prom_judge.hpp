// The stage-end step that judges prom("PROMQL") criteria against the pipeline's Prometheus
// (metrics.prometheus). It needs only the stage's wall-clock window, not the load's
// metrics, so it runs for every stage that ran, whether or not synthetic load was sent.
#pragma once

#include <optional>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "criteria/criterion.hpp"

namespace orch {

// --- Interface ---

/// When the stage ran, in unix seconds (wall clock: Prometheus' time axis).
struct StageWindow {
    double start_s = 0;
    double end_s = 0;
};

/// Judges every prom("...") criterion of `stage` and writes its result over the entry at
/// the same index of `results` (which holds one result per `stage.criteria`, in order).
///
/// - Without `over`: one instant query at the stage's end (`/api/v1/query`, `time=end`).
/// - With `over W`: a range query (`/api/v1/query_range`) from start + W to the end, one
///   point every W (the first point is the end of the first full window, as for the
///   other windowed criteria), and every point must hold: the actual is the worst point,
///   and a point without a value fails the criterion ("no data at K of N points"). A stage
///   shorter than W is judged by the instant query at its end (the note says so).
/// - A scalar, or a vector of exactly one series, is the value. An empty result, or NaN,
///   is no data: the criterion fails (never passes), as other criteria without data do.
///
/// Returns an Error (ErrorCode::infrastructure: the stage and run end in ERROR, exit 3)
/// naming the criterion when Prometheus is unreachable (its URL and curl's error), when it
/// rejects the query (its own `error` message), or when the query returns several series
/// (the first labels named: aggregate them with sum(), max(), ...). Criteria judged before
/// the error keep their results.
Result<void> judge_prom_criteria(const std::optional<PrometheusSpec>& prometheus,
                                 const StageSpec& stage, StageWindow window,
                                 std::vector<CriterionResult>& results);

}  // namespace orch
