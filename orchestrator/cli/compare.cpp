#include "cli/compare.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "report/report_format.hpp"

namespace orch::cli {

namespace {

// Metric names compared for the stage totals and for each operation, their unit, and
// whether a higher value is better.
struct Compared {
    const char* name;
    MetricUnit unit;
    bool higher_is_better;
};
constexpr Compared k_stage_metrics[] = {
    {"requests", MetricUnit::count, true},       {"rps", MetricUnit::per_second, true},
    {"success_rate", MetricUnit::percent, true}, {"error_rate", MetricUnit::percent, false},
    {"p50", MetricUnit::milliseconds, false},    {"p95", MetricUnit::milliseconds, false},
    {"p99", MetricUnit::milliseconds, false},    {"max", MetricUnit::milliseconds, false},
    {"errors", MetricUnit::count, false},
};
constexpr Compared k_operation_metrics[] = {
    {"rps", MetricUnit::per_second, true},    {"success_rate", MetricUnit::percent, true},
    {"p50", MetricUnit::milliseconds, false}, {"p95", MetricUnit::milliseconds, false},
    {"p99", MetricUnit::milliseconds, false},
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

std::string unit_name(MetricUnit unit) {
    return unit == MetricUnit::count ? std::string("count") : std::string(unit_label(unit));
}

bool within_noise(double before, double after, MetricUnit unit) {
    double difference = std::fabs(after - before);
    double percent =
        before != 0 ? difference / std::fabs(before) * 100.0 : (difference == 0 ? 0.0 : 100.0);
    if (unit == MetricUnit::milliseconds) {
        return percent < k_latency_noise_percent || difference < k_latency_noise_ms;
    }
    return percent < k_count_noise_percent;
}

void add_row(std::vector<ComparisonRow>& rows, const std::string& stage,
             const std::string& operation, const Compared& compared, const Snapshot& before,
             const Snapshot& after) {
    std::string metric =
        operation.empty() ? std::string(compared.name) : operation + "." + compared.name;
    auto b = before.get(metric);
    auto a = after.get(metric);
    if (!b || !a) {
        return;
    }
    ComparisonRow row{stage, operation, metric, compared.unit, *b, *a, 0, "same", false};
    if (*b != 0) {
        row.change_percent = (*a - *b) / std::fabs(*b) * 100.0;
    }
    row.noise = within_noise(*b, *a, compared.unit);
    if (!row.noise) {
        bool up = *a > *b;
        row.direction = (up == compared.higher_is_better) ? "better" : "worse";
    }
    rows.push_back(row);
}

// "+12.4 ms (+5.3%)", "-0.8 pp", "+1,204 (+12%)".
std::string change_text(const ComparisonRow& row) {
    double difference = row.after - row.before;
    std::string sign = difference > 0 ? "+" : (difference < 0 ? "-" : "\u00b1");
    std::string amount = row.unit == MetricUnit::percent
                             ? format_significant(std::fabs(difference)) + " pp"
                             : format_short(std::fabs(difference), row.unit);
    std::string text = sign + amount;
    if (row.unit != MetricUnit::percent && row.before != 0) {
        text += fmt::format(" ({:+.1f}%)", row.change_percent);
    }
    return text;
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
                add_row(rows, stage_after.name, {}, m, stage_before.metrics, stage_after.metrics);
            }
            for (const auto& op : stage_after.operations) {
                for (const auto& m : k_operation_metrics) {
                    add_row(rows, stage_after.name, op, m, stage_before.metrics,
                            stage_after.metrics);
                }
            }
        }
    }
    return rows;
}

std::string comparison_markdown(const RunReport& before, const RunReport& after,
                                const std::vector<ComparisonRow>& rows, bool all) {
    std::string out = "# stagegate comparison\n\n";
    out += "Before: " + escape_cell(before.run_id) + " (" + std::string(to_string(before.verdict)) +
           "), after: " + escape_cell(after.run_id) + " (" + std::string(to_string(after.verdict)) +
           ")\n\n";
    if (rows.empty()) {
        return out + "No stage ran in both runs.\n";
    }
    int worse = 0;
    int better = 0;
    int hidden = 0;
    std::string current_stage;
    std::string current_operation = "\n";  // no group yet
    std::string body;
    for (const auto& row : rows) {
        worse += row.direction == "worse" ? 1 : 0;
        better += row.direction == "better" ? 1 : 0;
        if (row.noise && !all) {
            ++hidden;
            continue;
        }
        if (row.stage != current_stage) {
            current_stage = row.stage;
            current_operation = "\n";
            body += "\n## Stage " + escape_cell(row.stage) + "\n";
        }
        if (row.operation != current_operation) {
            current_operation = row.operation;
            body += "\n### " +
                    (row.operation.empty() ? std::string("All operations")
                                           : "Operation " + escape_cell(row.operation)) +
                    "\n\n| metric | before | after | change | |\n|---|---:|---:|---:|---|\n";
        }
        std::string name =
            row.operation.empty() ? row.metric : row.metric.substr(row.operation.size() + 1);
        body += "| " + escape_cell(name) + " | " + format_short(row.before, row.unit) + " | " +
                format_short(row.after, row.unit) + " | " + change_text(row) + " | " +
                (row.noise ? std::string("within noise") : row.direction) + " |\n";
    }
    out += std::to_string(worse) + " metric" + (worse == 1 ? "" : "s") + " worse, " +
           std::to_string(better) + " better";
    if (hidden > 0) {
        out += "; " + std::to_string(hidden) + " within noise not shown (`--all` shows them)";
    }
    out += ". Noise: latency that moved less than " + format_trimmed(k_latency_noise_percent, 1) +
           "% or less than " + format_trimmed(k_latency_noise_ms, 1) +
           " ms, anything else less than " + format_trimmed(k_count_noise_percent, 1) + "%.\n";
    if (body.empty()) {
        out += "\nEvery change is within noise.\n";
    }
    return out + body;
}

nlohmann::json comparison_json(const std::vector<ComparisonRow>& rows, bool all) {
    nlohmann::json out = nlohmann::json::array();
    int hidden = 0;
    for (const auto& row : rows) {
        if (row.noise && !all) {
            ++hidden;
            continue;
        }
        out.push_back({{"stage", row.stage},
                       {"operation", row.operation.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(row.operation)},
                       {"metric", row.metric},
                       {"unit", unit_name(row.unit)},
                       {"before", row.before},
                       {"after", row.after},
                       {"change", row.after - row.before},
                       {"change_percent", row.change_percent},
                       {"direction", row.direction},
                       {"noise", row.noise}});
    }
    return {{"schema", "stagegate.compare/v1"},
            {"noise",
             {{"latency_percent", k_latency_noise_percent},
              {"latency_ms", k_latency_noise_ms},
              {"other_percent", k_count_noise_percent}}},
            {"hidden", hidden},
            {"rows", out}};
}

}  // namespace orch::cli
