// `stagegate compare BEFORE AFTER`: the "before vs after" table (metric, before, after,
// change, better/worse) per stage and operation, matched by stage name.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "report/run_report.hpp"

namespace orch::cli {

// --- Interface ---

struct ComparisonRow {
    std::string stage;
    std::string metric;  ///< Snapshot name, e.g. "send.p95"
    double before = 0;
    double after = 0;
    double change_percent = 0;  ///< (after - before) / before * 100; 0 when before == 0
    std::string direction;      ///< "better", "worse" or "same" (within 1%)
};

std::vector<ComparisonRow> compare_runs(const RunReport& before, const RunReport& after);
std::string comparison_markdown(const RunReport& before, const RunReport& after,
                                const std::vector<ComparisonRow>& rows);
nlohmann::json comparison_json(const std::vector<ComparisonRow>& rows);

}  // namespace orch::cli
