// The Prometheus text exposition of a run (`stagegate report --format openmetrics`), for
// node_exporter's textfile collector or a Pushgateway: per stage and operation request
// counts, error counts by kind, latency quantiles, and the verdicts as gauges. Checked
// by `promtool check metrics` in the tests.
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `metrics.prom` (format "openmetrics"). Families (every one with HELP and TYPE):
///   stagegate_run_info{pipeline,run_id,version,verdict} 1, stagegate_run_exit_code,
///   stagegate_stage_verdict{stage,verdict} 1, stagegate_stage_passed{stage} 0|1,
///   stagegate_stage_duration_seconds{stage},
///   stagegate_requests_total{stage,operation}, stagegate_errors_total{stage,operation,kind},
///   stagegate_latency_seconds{stage,operation,quantile} (summary: 0.5 0.9 0.95 0.99),
///   stagegate_criterion_passed{stage,criterion,severity} 0|1.
/// operation="all" is the stage's total. Label values are escaped (\ " and line feed)
/// and made valid UTF-8. Ends with "# EOF" (a comment to the Prometheus text parser).
std::unique_ptr<Reporter> make_openmetrics_reporter();

}  // namespace orch
