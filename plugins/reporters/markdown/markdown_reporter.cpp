#include "plugins/reporters/markdown/markdown_reporter.hpp"

#include <cmath>
#include <cstdio>

#include "plugins/reporters/markdown/capacity_section.hpp"
#include "plugins/reporters/markdown/markdown_text.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"

namespace orch {

namespace {

using markdown::Align;
using markdown::code;
using markdown::escape;
using markdown::Table;

constexpr std::string_view k_dash = "\u2014";

std::string bold(std::string_view text) {
    return "**" + std::string(text) + "**";
}

std::string verdict_text(Verdict verdict) {
    return std::string(to_string(verdict));
}

std::string metric_cell(const StageReport& stage, std::string_view operation, std::string_view name,
                        MetricUnit unit) {
    return format_optional(stage_metric(stage, operation, name), unit, k_dash);
}

// "send" or "**all**" for the totals row.
std::string operation_label(std::string_view operation) {
    return operation.empty() ? bold("all") : escape(operation);
}

// Rows for every operation, then the totals ("all") when there is more than one.
std::vector<std::string> operation_rows(const StageReport& stage) {
    std::vector<std::string> rows = stage.operations;
    if (rows.size() != 1) {
        rows.emplace_back();
    }
    return rows;
}

std::string criterion_label(const Criterion& c) {
    if (c.name.empty() || c.name == c.expr) {
        return code(c.expr, true);
    }
    return escape(c.name) + " (" + code(c.expr, true) + ")";
}

void write_summary(std::string& out, const RunReport& report) {
    RunTotals totals = run_totals(report);
    out += "## Summary\n\n";
    out += "- **Verdict:** " + verdict_text(report.verdict) + " (exit code " +
           std::to_string(report.exit_code) + ")\n";
    if (!report.reason.empty()) {
        out += "- **Reason:** " + escape(report.reason) + "\n";
    }
    for (const auto& warning : report.warnings) {
        out += "- **Warning:** " + escape(warning) + "\n";
    }
    out += "- **Stages passed:** " + std::to_string(totals.stages_passed) + " of " +
           std::to_string(totals.stages);
    if (totals.stages_run != totals.stages) {
        out += " (" + std::to_string(totals.stages_run) + " ran)";
    }
    out += "\n";
    out += "- **Highest passed stage:** " +
           (report.highest_passed_stage.empty() ? std::string("none")
                                                : escape(report.highest_passed_stage)) +
           "\n";
    out += "- **Requests:** " + format_count(totals.requests) + " in total";
    if (totals.success_rate) {
        out += ", " + format_percent(*totals.success_rate) + " succeeded";
    }
    out += "\n";
    out += "- **Duration:** " + format_seconds(totals.load_duration_s) + " of load";
    if (!report.started_at.empty()) {
        out += " (run started " + escape(report.started_at);
        if (!report.finished_at.empty()) {
            out += ", finished " + escape(report.finished_at);
        }
        out += ")";
    }
    out += "\n";
    std::string run;
    if (!report.run_id.empty()) {
        run += "run " + code(report.run_id, false);
    }
    if (!report.executor.empty()) {
        run += (run.empty() ? "" : ", ") + std::string("executor ") + escape(report.executor);
    }
    if (!report.base_url.empty()) {
        run += (run.empty() ? "" : ", ") + std::string("target ") + code(report.base_url, false);
    }
    if (!report.version.empty()) {
        run += (run.empty() ? "" : ", ") + std::string("stagegate ") + escape(report.version);
    }
    if (!run.empty()) {
        out += "- **Run:** " + run + "\n";
    }
    if (!report.pipeline_file.empty()) {
        out += "- **Pipeline:** " + code(report.pipeline_file, false);
        if (!report.pipeline_sha256.empty()) {
            out += " (sha256 " + code(report.pipeline_sha256.substr(0, 12), false) + ")";
        }
        out += "\n";
    }
    out += "\n";
}

void write_stage_table(std::string& out, const RunReport& report) {
    out += "## Stages\n\n";
    Table table({{"Stage"},
                 {"Load"},
                 {"Requests", Align::right},
                 {"RPS", Align::right},
                 {"Success", Align::right},
                 {"p95", Align::right},
                 {"p99", Align::right},
                 {"Errors", Align::right},
                 {"Verdict"}});
    for (const auto& stage : report.stages) {
        bool ran = stage_ran(stage);
        auto cell = [&](std::string_view name, MetricUnit unit) {
            return ran ? metric_cell(stage, {}, name, unit) : std::string(k_dash);
        };
        table.add_row({escape(stage.name), escape(format_load(stage)),
                       cell("requests", MetricUnit::count), cell("rps", MetricUnit::per_second),
                       cell("success_rate", MetricUnit::percent),
                       cell("p95", MetricUnit::milliseconds), cell("p99", MetricUnit::milliseconds),
                       cell("errors", MetricUnit::count),
                       (stage.verdict == Verdict::pass ? verdict_text(stage.verdict)
                                                       : bold(verdict_text(stage.verdict))) +
                           (stage_has_no_gate(stage) ? " (no gate)" : "")});
    }
    out += table.render() + "\n";
}

void write_criteria(std::string& out, const StageReport& stage) {
    if (stage.criteria.empty()) {
        return;
    }
    bool any_note = false;
    for (const auto& r : stage.criteria) {
        any_note = any_note || !r.note.empty();
    }
    std::vector<Table::Column> columns = {
        {"Criterion"}, {"Target", Align::right}, {"Actual", Align::right}, {"Status"}, {"Margin"}};
    if (any_note) {
        columns.push_back({"Note"});
    }
    Table table(std::move(columns));
    for (const auto& r : stage.criteria) {
        std::string_view status = criterion_status(r);
        std::string label = criterion_label(r.criterion);
        if (r.criterion.severity == Severity::warn) {
            label += " (warn)";
        }
        if (r.criterion.abort) {
            label += " (abort)";
        }
        table.add_row({label, escape(format_target(r.criterion)), escape(format_actual(r)),
                       status == "PASS" ? std::string(status) : bold(status),
                       escape(format_margin(r.margin)), escape(r.note)});
    }
    out += "### Criteria\n\n" + table.render() + "\n";
}

// Baseline criteria: the baseline run's value next to this run's, and the change.
void write_baseline(std::string& out, const StageReport& stage) {
    Table table({{"Criterion"},
                 {"Baseline", Align::right},
                 {"Actual", Align::right},
                 {"Change", Align::right},
                 {"Target", Align::right}});
    bool any = false;
    for (const auto& r : stage.criteria) {
        const Criterion& c = r.criterion;
        if (!c.relative) {
            continue;
        }
        any = true;
        std::string change(k_dash);
        if (c.baseline && r.actual && *c.baseline != 0) {
            double percent = (*r.actual - *c.baseline) / std::fabs(*c.baseline) * 100.0;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%+.1f%%", percent);
            change = buf;
        }
        table.add_row({criterion_label(c), escape(format_optional(c.baseline, c.unit, "no data")),
                       escape(format_actual(r)), change, escape(format_target(c))});
    }
    if (any) {
        out += "### Baseline\n\n" + table.render() + "\n";
    }
}

void write_operations(std::string& out, const StageReport& stage) {
    Table table({{"Operation"},
                 {"Requests", Align::right},
                 {"Success", Align::right},
                 {"Errors", Align::right},
                 {"p50", Align::right},
                 {"p95", Align::right},
                 {"p99", Align::right},
                 {"Max", Align::right},
                 {"Avg", Align::right}});
    for (const auto& op : operation_rows(stage)) {
        table.add_row({operation_label(op), metric_cell(stage, op, "requests", MetricUnit::count),
                       metric_cell(stage, op, "success_rate", MetricUnit::percent),
                       metric_cell(stage, op, "errors", MetricUnit::count),
                       metric_cell(stage, op, "p50", MetricUnit::milliseconds),
                       metric_cell(stage, op, "p95", MetricUnit::milliseconds),
                       metric_cell(stage, op, "p99", MetricUnit::milliseconds),
                       metric_cell(stage, op, "max", MetricUnit::milliseconds),
                       metric_cell(stage, op, "avg", MetricUnit::milliseconds)});
    }
    out += "### Operations\n\n" + table.render() + "\n";
}

void write_latency_distribution(std::string& out, const StageReport& stage) {
    std::vector<Table::Column> columns = {{"Operation"}};
    for (const auto& column : k_latency_distribution) {
        columns.push_back({std::string(column.label), Align::right});
    }
    Table table(std::move(columns));
    bool any = false;
    for (const auto& op : operation_rows(stage)) {
        std::vector<std::string> row = {operation_label(op)};
        for (const auto& column : k_latency_distribution) {
            auto value = stage_metric(stage, op, column.metric);
            any = any || value.has_value();
            row.push_back(format_optional(value, MetricUnit::milliseconds, k_dash));
        }
        table.add_row(std::move(row));
    }
    if (any) {
        out += "### Latency distribution\n\n" + table.render() + "\n";
    }
}

// Little's law: requests in flight = arrival rate x mean time in the system. Estimated
// from the stage's measured rps and mean latency (avg), per operation and in total, next
// to the load that was configured.
void write_concurrency(std::string& out, const StageReport& stage) {
    Table table({{"Operation"},
                 {"RPS", Align::right},
                 {"Mean latency", Align::right},
                 {"In flight (est.)", Align::right}});
    bool any = false;
    for (const auto& op : operation_rows(stage)) {
        auto rps = stage_metric(stage, op, "rps");
        auto avg = stage_metric(stage, op, "avg");
        std::optional<double> in_flight;
        if (rps && avg) {
            in_flight = *rps * *avg / 1000.0;
            any = true;
        }
        table.add_row({operation_label(op), format_optional(rps, MetricUnit::per_second, k_dash),
                       format_optional(avg, MetricUnit::milliseconds, k_dash),
                       in_flight ? format_trimmed(*in_flight, 2) : std::string(k_dash)});
    }
    if (!any) {
        return;
    }
    out += "### Estimated concurrency (Little's law)\n\n" + table.render() + "\n";
    std::string load =
        stage.rate.empty()
            ? std::to_string(stage.vus) + " VUs"
            : escape(stage.rate) + (stage.max_vus > 0
                                        ? " (at most " + std::to_string(stage.max_vus) + " VUs)"
                                        : std::string());
    out +=
        "In flight = requests per second \u00d7 mean latency: the average number of "
        "requests the backend held at once, against a configured load of " +
        load +
        ". Far below the VUs, the VUs spent most of their time thinking or "
        "waiting on the client side; near them, the backend was the bottleneck.\n\n";
}

// One row per metric suffix (an error kind, a timing phase), one column per operation.
Table by_operation_table(const StageReport& stage, std::string_view first_title) {
    std::vector<Table::Column> columns = {{std::string(first_title)}, {"all", Align::right}};
    for (const auto& op : stage.operations) {
        columns.push_back({op, Align::right});
    }
    return Table(std::move(columns));
}

void write_errors(std::string& out, const StageReport& stage) {
    std::vector<std::string> kinds = error_kinds_seen(stage);
    if (kinds.empty()) {
        if (stage_metric(stage, {}, "requests").value_or(0) > 0) {
            out += "### Errors by kind\n\nNo failed requests.\n\n";
        }
        return;
    }
    Table table = by_operation_table(stage, "Kind");
    for (const auto& kind : kinds) {
        std::string name = "errors." + kind;
        std::string label = kind.rfind("body.", 0) == 0
                                ? "body matched " + code(kind.substr(5), true)
                                : escape(kind);
        std::vector<std::string> row = {label, metric_cell(stage, {}, name, MetricUnit::count)};
        for (const auto& op : stage.operations) {
            row.push_back(metric_cell(stage, op, name, MetricUnit::count));
        }
        table.add_row(std::move(row));
    }
    out += "### Errors by kind\n\n" + table.render() + "\n";
}

void write_timing(std::string& out, const StageReport& stage) {
    std::vector<std::string> phases = timing_phases_seen(stage);
    if (phases.empty()) {
        return;
    }
    Table table = by_operation_table(stage, "Phase (mean)");
    for (const auto& phase : phases) {
        std::string name = "timing." + phase;
        std::vector<std::string> row = {escape(phase),
                                        metric_cell(stage, {}, name, MetricUnit::milliseconds)};
        for (const auto& op : stage.operations) {
            row.push_back(metric_cell(stage, op, name, MetricUnit::milliseconds));
        }
        table.add_row(std::move(row));
    }
    out += "### HTTP timing\n\n" + table.render() + "\n";
}

std::string health_cell(const std::optional<HealthSample>& sample, int what) {
    if (!sample) {
        return std::string(k_dash);
    }
    switch (what) {
        case 0:
            return sample->status == 0 ? std::string("no answer") : std::to_string(sample->status);
        case 1:
            return sample->uptime_s ? escape(format_seconds(*sample->uptime_s))
                                    : std::string(k_dash);
        default:
            return format_optional(sample->rss_mb, MetricUnit::megabytes, k_dash);
    }
}

void write_backend(std::string& out, const StageReport& stage) {
    std::string section;
    if (stage.health_before || stage.health_after) {
        Table health({{"Health"}, {"Before", Align::right}, {"After", Align::right}});
        health.add_row({"HTTP status", health_cell(stage.health_before, 0),
                        health_cell(stage.health_after, 0)});
        health.add_row(
            {"Uptime", health_cell(stage.health_before, 1), health_cell(stage.health_after, 1)});
        health.add_row(
            {"RSS", health_cell(stage.health_before, 2), health_cell(stage.health_after, 2)});
        section += health.render() + "\n";
    }
    Table metrics({{"Backend metric"}, {"Value", Align::right}});
    struct Known {
        std::string_view name;
        std::string_view label;
        MetricUnit unit;
    };
    constexpr Known k_known[] = {
        {"backend.crashes", "crashes", MetricUnit::count},
        {"backend.health_failures", "health check failures", MetricUnit::count},
        {"backend.rss_start", "RSS at start", MetricUnit::megabytes},
        {"backend.rss_end", "RSS at end", MetricUnit::megabytes},
        {"backend.rss_peak", "RSS peak", MetricUnit::megabytes},
        {"backend.memory_growth", "memory growth", MetricUnit::percent}};
    for (const auto& known : k_known) {
        if (auto value = stage.metrics.get(known.name)) {
            metrics.add_row({std::string(known.label), format_value(*value, known.unit)});
        }
    }
    constexpr std::string_view k_health = "backend.health.";
    for (const auto& [name, value] : stage.metrics.values()) {
        if (name.rfind(k_health, 0) == 0) {
            metrics.add_row({"health " + code(name.substr(k_health.size()), true),
                             format_value(value, MetricUnit::number)});
        }
    }
    if (!metrics.empty()) {
        section += metrics.render() + "\n";
    }
    if (!section.empty()) {
        out += "### Backend\n\n" + section;
    }
}

void write_hints(std::string& out, const StageReport& stage) {
    if (stage.hints.empty()) {
        return;
    }
    out += "### Root-cause hints\n\n";
    for (const auto& hint : stage.hints) {
        out += "- " + escape(hint) + "\n";
    }
    out += "\n";
}

void write_extra(std::string& out, const StageReport& stage) {
    if (!stage.extra.is_object() || stage.extra.empty()) {
        return;
    }
    Table table({{"Executor detail"}, {"Value"}});
    for (auto it = stage.extra.begin(); it != stage.extra.end(); ++it) {
        const auto& value = it.value();
        std::string text =
            value.is_string()
                ? escape(value.get<std::string>())
                : code(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true);
        table.add_row({escape(it.key()), text});
    }
    out += "### Executor details\n\n" + table.render() + "\n";
}

void write_stage(std::string& out, const StageReport& stage, std::size_t number) {
    out += "## Stage " + std::to_string(number) + ": " + escape(stage.name) + " (" +
           verdict_text(stage.verdict) + ")\n\n";
    if (stage_has_no_gate(stage)) {
        out += "**" + std::string(k_no_gate_note) + ".** Add criteria to this stage (or " +
               "`defaults.criteria`); `stagegate run --strict` refuses such a pipeline.\n\n";
    }
    if (!stage_ran(stage)) {
        out += "Not run: " + escape(stage.reason.empty() ? "skipped" : stage.reason) +
               ". Planned load: " + escape(format_load(stage)) + ".\n\n";
        return;
    }
    if (!stage.reason.empty()) {
        out += escape(stage.reason) + "\n\n";
    }
    out +=
        "Load: " + escape(format_load(stage)) + "; ran " + escape(format_seconds(stage.duration_s));
    if (!stage.started_at.empty()) {
        out += " from " + escape(stage.started_at);
    }
    out += ".\n\n";
    write_criteria(out, stage);
    write_baseline(out, stage);
    write_operations(out, stage);
    write_latency_distribution(out, stage);
    write_concurrency(out, stage);
    write_errors(out, stage);
    write_timing(out, stage);
    write_backend(out, stage);
    write_hints(out, stage);
    write_extra(out, stage);
}

class MarkdownReporter final : public Reporter {
  public:
    std::string_view format() const override { return "md"; }
    std::string_view file_name() const override { return "report.md"; }

    std::string render(const RunReport& report) const override {
        std::string out;
        std::string name = report.pipeline_name.empty() ? "stagegate run" : report.pipeline_name;
        out += "# " + escape(name) + ": " + bold(verdict_text(report.verdict)) + "\n\n";
        write_summary(out, report);
        if (!report.stages.empty()) {
            write_stage_table(out, report);
        }
        for (std::size_t i = 0; i < report.stages.size(); ++i) {
            write_stage(out, report.stages[i], i + 1);
        }
        markdown::write_capacity(out, report);
        if (!report.recommendation.empty()) {
            out += "## Recommendation\n\n" + escape(report.recommendation) + "\n\n";
        }
        if (report.verdict != Verdict::pass && !report.backend_log_tail.empty()) {
            out += "## Backend log (last " + std::to_string(report.backend_log_tail.size()) +
                   " lines)\n\n" + markdown::fenced_block(report.backend_log_tail) + "\n";
        }
        // One trailing newline, not a blank line.
        while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') {
            out.pop_back();
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<Reporter> make_markdown_reporter() {
    return std::make_unique<MarkdownReporter>();
}

}  // namespace orch
