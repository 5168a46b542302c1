// Figures that every human-facing report derives from a RunReport the same way: stages
// passed, requests and success rate over the whole run, per-operation lookups, the error
// kinds worth listing. Computed from measured numbers only; nothing here is estimated.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

struct RunTotals {
    int stages = 0;         ///< in the pipeline
    int stages_run = 0;     ///< not SKIPPED
    int stages_passed = 0;  ///< PASS
    double requests = 0;    ///< over every stage that ran
    double failed_requests = 0;
    std::optional<double> success_rate;  ///< percent, weighted by requests; none without requests
    double load_duration_s = 0;          ///< sum of the stages' measured durations
};

RunTotals run_totals(const RunReport& report);

/// True when the stage ran (its verdict is not SKIPPED).
bool stage_ran(const StageReport& stage);

/// True when the stage ran without a single `fail` criterion: nothing could fail it, so
/// its PASS says nothing. Every output marks such a stage "no gate"; `--strict` refuses it.
bool stage_has_no_gate(const StageReport& stage);

/// What every output says about a stage without a gate.
inline constexpr const char* k_no_gate_note =
    "no gate: the stage has no fail criterion, so nothing could fail it";

/// Metric `name` of `operation` in `stage` ("send" + "p95" -> "send.p95"); `operation`
/// empty means the stage totals.
std::optional<double> stage_metric(const StageReport& stage, std::string_view operation,
                                   std::string_view name);

/// Error kinds ("timeout", "status_5xx", "body.prisma") with a non-zero count in the
/// stage totals or in any operation: fixed kinds in SPEC order, then body patterns.
std::vector<std::string> error_kinds_seen(const StageReport& stage);

/// The timing.* phases present in the stage totals or any operation, in request order.
std::vector<std::string> timing_phases_seen(const StageReport& stage);

/// Columns of a latency distribution: metric name and label ("p999" reads "p99.9").
struct LatencyColumn {
    std::string_view metric;
    std::string_view label;
};
inline constexpr LatencyColumn k_latency_distribution[] = {
    {"p50", "p50"}, {"p75", "p75"},    {"p90", "p90"}, {"p95", "p95"},
    {"p99", "p99"}, {"p999", "p99.9"}, {"max", "max"}};

}  // namespace orch
