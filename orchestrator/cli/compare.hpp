// `stagegate compare BEFORE AFTER`: the "before vs after" tables (metric, before, after,
// change, better/worse, with units) per stage and operation, matched by stage name.
// Changes within noise are hidden unless asked for (`--all`): latency must move by at
// least 5% and at least 0.2 ms to count, every other metric by at least 1%.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "report/run_report.hpp"

namespace orch::cli {

// --- Interface ---

/// Latency changes below this share or below this many milliseconds are noise.
inline constexpr double k_latency_noise_percent = 5;
inline constexpr double k_latency_noise_ms = 0.2;
/// Other metrics (counts, rates, percentages): changes below this share are noise.
inline constexpr double k_count_noise_percent = 1;

struct ComparisonRow {
    std::string stage;
    std::string operation;  ///< empty for the stage totals
    std::string metric;     ///< Snapshot name, e.g. "send.p95"
    MetricUnit unit = MetricUnit::number;
    double before = 0;
    double after = 0;
    double change_percent = 0;  ///< (after - before) / before * 100; 0 when before == 0
    std::string direction;      ///< "better", "worse" or "same" (within noise)
    bool noise = false;         ///< the change is within noise (direction "same")
};

/// Every compared metric of the stages in both runs, noise included (see `noise`).
std::vector<ComparisonRow> compare_runs(const RunReport& before, const RunReport& after);
/// The Markdown tables; rows within noise only when `all`.
std::string comparison_markdown(const RunReport& before, const RunReport& after,
                                const std::vector<ComparisonRow>& rows, bool all = false);
/// `stagegate.compare/v1`: rows (within noise only when `all`) and the count hidden.
nlohmann::json comparison_json(const std::vector<ComparisonRow>& rows, bool all = false);

}  // namespace orch::cli
