#include "cli/compare.hpp"

#include <cmath>
#include <cstdio>

namespace orch::cli {

namespace {

// Metric names compared for the stage totals and for each operation, and whether a
// higher value is better.
struct Compared {
    const char* name;
    bool higher_is_better;
};
constexpr Compared k_stage_metrics[] = {
    {"requests", true},    {"rps", true},  {"success_rate", true},
    {"error_rate", false}, {"p50", false}, {"p95", false},
    {"p99", false},        {"max", false}, {"errors", false},
};
constexpr Compared k_operation_metrics[] = {
    {"rps", true}, {"success_rate", true}, {"p50", false}, {"p95", false}, {"p99", false},
};

std::string escape_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

void add_row(std::vector<ComparisonRow>& rows, const std::string& stage, const std::string& metric,
             bool higher_is_better, const Snapshot& before, const Snapshot& after) {
    auto b = before.get(metric);
    auto a = after.get(metric);
    if (!b || !a) {
        return;
    }
    ComparisonRow row{stage, metric, *b, *a, 0, "same"};
    if (*b != 0) {
        row.change_percent = (*a - *b) / std::fabs(*b) * 100.0;
    }
    double relative = *b != 0 ? std::fabs(*a - *b) / std::fabs(*b) : (*a == 0 ? 0 : 1);
    if (relative > 0.01) {
        bool up = *a > *b;
        row.direction = (up == higher_is_better) ? "better" : "worse";
    }
    rows.push_back(row);
}

}  // namespace

std::vector<ComparisonRow> compare_runs(const RunReport& before, const RunReport& after) {
    std::vector<ComparisonRow> rows;
    for (const auto& stage_after : after.stages) {
        for (const auto& stage_before : before.stages) {
            if (stage_before.name != stage_after.name) {
                continue;
            }
            for (const auto& m : k_stage_metrics) {
                add_row(rows, stage_after.name, m.name, m.higher_is_better, stage_before.metrics,
                        stage_after.metrics);
            }
            for (const auto& op : stage_after.operations) {
                for (const auto& m : k_operation_metrics) {
                    add_row(rows, stage_after.name, op + "." + m.name, m.higher_is_better,
                            stage_before.metrics, stage_after.metrics);
                }
            }
        }
    }
    return rows;
}

std::string comparison_markdown(const RunReport& before, const RunReport& after,
                                const std::vector<ComparisonRow>& rows) {
    std::string out = "# stagegate comparison\n\n";
    out += "Before: " + escape_cell(before.run_id) + " (" + std::string(to_string(before.verdict)) +
           "), after: " + escape_cell(after.run_id) + " (" + std::string(to_string(after.verdict)) +
           ")\n\n";
    if (rows.empty()) {
        return out + "No stage ran in both runs.\n";
    }
    int worse = 0;
    std::string current_stage;
    for (const auto& row : rows) {
        if (row.stage != current_stage) {
            current_stage = row.stage;
            out += "\n## Stage " + escape_cell(row.stage) + "\n\n";
            out += "| metric | before | after | change | |\n|---|---:|---:|---:|---|\n";
        }
        char line[256];
        std::snprintf(line, sizeof line, "| %s | %.2f | %.2f | %+.1f%% | %s |\n",
                      escape_cell(row.metric).c_str(), row.before, row.after, row.change_percent,
                      row.direction.c_str());
        out += line;
        worse += row.direction == "worse" ? 1 : 0;
    }
    out += "\n" + std::to_string(worse) + " metric" + (worse == 1 ? "" : "s") + " worse.\n";
    return out;
}

nlohmann::json comparison_json(const std::vector<ComparisonRow>& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows) {
        out.push_back({{"stage", row.stage},
                       {"metric", row.metric},
                       {"before", row.before},
                       {"after", row.after},
                       {"change_percent", row.change_percent},
                       {"direction", row.direction}});
    }
    return {{"schema", "stagegate.compare/v1"}, {"rows", out}};
}

}  // namespace orch::cli
