// The Prometheus HTTP API client that prom("...") criteria use: one libcurl POST per query
// to /api/v1/query (instant, at a given time) or /api/v1/query_range (start, end, step),
// with the pipeline's metrics.prometheus headers and bounded timeouts, and the parser of
// Prometheus' JSON answer (kept apart and pure, so it is unit-tested without a server).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// One series of a query's result: its labels as PromQL writes them (`{code="500"}`,
/// `{}` for a scalar or an aggregate without labels) and its points. A point's value may
/// be NaN or infinite (Prometheus writes "NaN", "+Inf").
struct PromSeries {
    std::string labels;
    std::vector<std::pair<double, double>> points;  ///< (unix time in seconds, value)
};

/// Connect timeout and whole-request timeout of every query.
inline constexpr int k_prom_connect_timeout_s = 5;
inline constexpr int k_prom_request_timeout_s = 15;

/// Instant query `promql` evaluated at `time_s` (unix seconds). A vector answer gives one
/// PromSeries per element, a scalar one PromSeries with labels `{}`, an empty vector none.
/// Errors (ErrorCode::infrastructure, exit 3): unreachable (the URL and curl's error),
/// Prometheus' own `error` for a bad query, any other answer that is not its API's JSON.
Result<std::vector<PromSeries>> prom_query(const PrometheusSpec& prometheus,
                                           std::string_view promql, double time_s);

/// Range query `promql` from `start_s` to `end_s` every `step_s` seconds (a matrix: one
/// PromSeries per series, a point per step where it has a value). Errors as prom_query.
Result<std::vector<PromSeries>> prom_query_range(const PrometheusSpec& prometheus,
                                                 std::string_view promql, double start_s,
                                                 double end_s, double step_s);

/// Parses an answer of the query API: `status` is the HTTP status, `body` the body, `what`
/// names the request in messages ("Prometheus at http://...: query ..."). Pure.
Result<std::vector<PromSeries>> parse_prom_answer(long status, std::string_view body,
                                                  const std::string& what);

}  // namespace orch
