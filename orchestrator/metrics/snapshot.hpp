// Snapshot: an immutable flat `metric name -> value` map computed from StageMetrics, the
// only thing criteria, reports and results.json read (as k6 thresholds read a flat map).
// Names are the SPEC's criteria names: "requests", "p95", "errors.status_429",
// "errors.body.prisma", "timing.waiting", "send.p95", "backend.rss_peak",
// "backend.health./database/errors". A name that is absent has no data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

class Snapshot {
  public:
    Snapshot() = default;

    /// Value of `name`, or nullopt when the metric has no data.
    std::optional<double> get(std::string_view name) const;
    void set(std::string name, double value) { m_values[std::move(name)] = value; }
    const std::map<std::string, double, std::less<>>& values() const { return m_values; }

  private:
    std::map<std::string, double, std::less<>> m_values;
};

/// Names of the operations and body patterns, in the index order RequestSample uses.
struct MetricNames {
    std::vector<std::string> operations;
    std::vector<std::string> body_patterns;
    std::vector<std::string> tags;  ///< scenario tag_responses names, in StageMetrics order
};

/// Summarizes `metrics` measured over `duration_s` seconds into a Snapshot with, for the
/// totals (no prefix) and for each operation that sent at least one request ("OP." prefix):
///   requests, rps, success_rate, error_rate (percent), errors, errors.<kind> for every kind
///   (0 when none), errors.body.<pattern>, and when at least one response arrived: min avg
///   p50 p75 p90 p95 p99 p999 max (ms), timing.<phase> (ms, when phases were measured).
/// Also for the totals: dropped, scheduled, iterations, and when the uncorrected latency
/// differs (open model) latency_uncorrected.p50/p95/p99.
/// An operation with no requests gets only "OP.requests" = 0 (so its latency has no data).
/// Each value of each tag with at least one request gets the request metrics of an
/// operation under "tags.TAG.VALUE." (e.g. "tags.version.v2.error_rate"); a value without
/// requests gets nothing (no data).
Snapshot summarize(const StageMetrics& metrics, const MetricNames& names, double duration_s);

/// The metric names a criterion may use without an operation prefix (for validation and
/// did-you-mean): requests, rps, success_rate, ..., errors.timeout, timing.waiting, ...
/// Excludes errors.body.* and backend.* (handled by their own rules).
const std::vector<std::string>& request_metric_names();

}  // namespace orch
