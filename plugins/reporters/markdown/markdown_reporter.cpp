#include "plugins/reporters/markdown/markdown_reporter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "plugins/reporters/markdown/capacity_section.hpp"
#include "plugins/reporters/markdown/markdown_text.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"
#include "report/stage_analysis.hpp"
#include "report/tag_rows.hpp"

namespace orch {

namespace {

using markdown::Align;
using markdown::code;
using markdown::escape;
using markdown::number_columns;
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
    std::vector<std::string> run;
    if (!report.run_id.empty()) {
        run.push_back("run " + code(report.run_id, false));
    }
    if (!report.executor.empty()) {
        run.push_back("executor " + escape(report.executor));
    }
    if (!report.base_url.empty()) {
        run.push_back("target " + code(report.base_url, false));
    }
    if (!report.version.empty()) {
        run.push_back("stagegate " + escape(report.version));
    }
    if (!run.empty()) {
        out += fmt::format("- **Run:** {}\n", fmt::join(run, ", "));
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
    auto columns =
        number_columns({"Stage", "Load"}, {"Requests", "RPS", "Success", "p95", "p99", "Errors"});
    columns.push_back({"Verdict"});
    Table table(std::move(columns));
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
    Table table(number_columns({"Criterion"}, {"Baseline", "Actual", "Change", "Target"}));
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
            change = fmt::format("{:+.1f}%", percent);
        }
        table.add_row({criterion_label(c), escape(format_optional(c.baseline, c.unit, "no data")),
                       escape(format_actual(r)), change, escape(format_target(c))});
    }
    if (any) {
        out += "### Baseline\n\n" + table.render() + "\n";
    }
}

void write_operations(std::string& out, const StageReport& stage) {
    Table table(number_columns({"Operation"}, {"Requests", "Success", "Errors", "p50", "p90", "p95",
                                               "p99", "Max", "Avg"}));
    for (const auto& op : operation_rows(stage)) {
        table.add_row({operation_label(op), metric_cell(stage, op, "requests", MetricUnit::count),
                       metric_cell(stage, op, "success_rate", MetricUnit::percent),
                       metric_cell(stage, op, "errors", MetricUnit::count),
                       metric_cell(stage, op, "p50", MetricUnit::milliseconds),
                       metric_cell(stage, op, "p90", MetricUnit::milliseconds),
                       metric_cell(stage, op, "p95", MetricUnit::milliseconds),
                       metric_cell(stage, op, "p99", MetricUnit::milliseconds),
                       metric_cell(stage, op, "max", MetricUnit::milliseconds),
                       metric_cell(stage, op, "avg", MetricUnit::milliseconds)});
    }
    out += "### Operations\n\n" + table.render() + "\n";
}

// Per value of each response tag (scenario tag_responses), when the stage has any.
void write_tags(std::string& out, const StageReport& stage) {
    std::vector<TagValueRow> rows = stage_tag_rows(stage);
    if (rows.empty()) {
        return;
    }
    std::vector<Table::Column> columns = {{"Tag"}, {"Value"}};
    for (const TagColumn& column : k_tag_columns) {
        columns.push_back({std::string(column.heading), Align::right});
    }
    Table table(std::move(columns));
    for (const auto& row : rows) {
        std::vector<std::string> cells = {escape(row.tag), escape(row.value)};
        for (const TagColumn& column : k_tag_columns) {
            cells.push_back(metric_cell(stage, row.prefix, column.metric, column.unit));
        }
        table.add_row(std::move(cells));
    }
    out += "### By response tag\n\n" + table.render() + "\n";
    if (stage_tags_overflowed(rows)) {
        out += "More than " + std::to_string(k_max_tag_values) +
               " values of a tag: the responses of the others are counted under `other`.\n\n";
    }
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
    Table table(number_columns({"Operation"}, {"RPS", "Mean latency", "In flight (est.)"}));
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

/// Tables wider than this many columns are written the other way round.
constexpr std::size_t k_max_columns = 12;

// One row per metric suffix (an error kind, a timing phase) and one column per operation;
// with more operations than fit, one row per operation and one column per suffix.
std::string by_operation_table(const StageReport& stage, std::string_view first_title,
                               const std::vector<std::string>& suffixes,
                               const std::vector<std::string>& labels, std::string_view prefix,
                               MetricUnit unit) {
    if (stage.operations.size() + 2 <= k_max_columns) {
        std::vector<Table::Column> columns = {{std::string(first_title)}, {"all", Align::right}};
        for (const auto& op : stage.operations) {
            columns.push_back({op, Align::right});
        }
        Table table(std::move(columns));
        for (std::size_t i = 0; i < suffixes.size(); ++i) {
            std::string name = std::string(prefix) + suffixes[i];
            std::vector<std::string> row = {labels[i], metric_cell(stage, {}, name, unit)};
            for (const auto& op : stage.operations) {
                row.push_back(metric_cell(stage, op, name, unit));
            }
            table.add_row(std::move(row));
        }
        return table.render();
    }
    std::vector<Table::Column> columns = {{"Operation"}};
    for (const auto& label : labels) {
        columns.push_back({label, Align::right});
    }
    Table table(std::move(columns));
    std::vector<std::string> rows = {std::string()};
    rows.insert(rows.end(), stage.operations.begin(), stage.operations.end());
    for (const auto& op : rows) {
        std::vector<std::string> row = {operation_label(op)};
        for (const auto& suffix : suffixes) {
            row.push_back(metric_cell(stage, op, std::string(prefix) + suffix, unit));
        }
        table.add_row(std::move(row));
    }
    return table.render();
}

// Parallel to the other reporter's write_failure_samples (HTML / Markdown): the groups come from
// one failure_groups(); only the markup differs, and each reporter keeps its own.
void write_failure_samples(std::string& out, const StageReport& stage) {
    std::vector<FailureGroup> groups = failure_groups(stage);
    if (groups.empty()) {
        return;
    }
    out += "#### Failure samples\n\n";
    for (const auto& group : groups) {
        out += "- " + bold(escape(group.operation.empty() ? "(no operation)" : group.operation)) +
               ", " + escape(group.error);
        if (group.status != 0) {
            out += ", HTTP " + std::to_string(group.status);
        }
        out += " (" + std::to_string(group.bodies.size()) + " of " + std::to_string(group.samples) +
               " kept samples shown)\n";
        for (const auto& body : group.bodies) {
            out += "  - " + code(body, false) + "\n";
        }
    }
    out += "\n";
}

void write_errors(std::string& out, const StageReport& stage) {
    std::vector<std::string> kinds = error_kinds_seen(stage);
    if (kinds.empty()) {
        if (stage_metric(stage, {}, "requests").value_or(0) > 0) {
            out += "### Errors by kind and status\n\nNo failed requests.\n\n";
        }
        return;
    }
    std::vector<std::string> labels;
    for (const auto& kind : kinds) {
        labels.push_back(kind.rfind("body.", 0) == 0 ? "body matched " + code(kind.substr(5), true)
                                                     : escape(kind));
    }
    out += "### Errors by kind and status\n\n" +
           by_operation_table(stage, "Kind", kinds, labels, "errors.", MetricUnit::count) + "\n";
    write_failure_samples(out, stage);
}

void write_timing(std::string& out, const StageReport& stage) {
    std::vector<std::string> phases = timing_phases_seen(stage);
    if (phases.empty()) {
        return;
    }
    std::vector<std::string> labels;
    for (const auto& phase : phases) {
        labels.push_back(escape(phase));
    }
    out +=
        "### HTTP timing\n\nMean time per request in each phase (blocked: waiting for a "
        "connection; connecting; tls; sending; waiting: for the first byte; receiving).\n\n" +
        by_operation_table(stage, "Phase (mean)", phases, labels, "timing.",
                           MetricUnit::milliseconds) +
        "\n";
}

// Every leaf of a health answer's JSON body by its dotted path ("database.overall").
void flatten(const nlohmann::json& value, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
        }
        return;
    }
    std::string text;
    if (value.is_string()) {
        text = value.get<std::string>();
    } else if (value.is_number()) {
        text = format_trimmed(value.get<double>(), 3);
    } else {
        text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    out.emplace_back(path.empty() ? "(body)" : path, text);
}

std::vector<std::pair<std::string, std::string>> health_fields(
    const std::optional<HealthSample>& sample) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (!sample) {
        return fields;
    }
    fields.emplace_back("HTTP status", sample->status == 0 ? std::string("no answer")
                                                           : std::to_string(sample->status));
    if (!sample->body->is_null()) {
        flatten(*sample->body, "", fields);
    }
    if (sample->rss_mb) {
        fields.emplace_back("RSS", format_megabytes(*sample->rss_mb));
    }
    return fields;
}

void write_backend(std::string& out, const StageReport& stage) {
    std::string section;
    if (stage.health_before || stage.health_after) {
        auto before = health_fields(stage.health_before);
        auto after = health_fields(stage.health_after);
        std::vector<std::string> names;
        for (const auto* list : {&before, &after}) {
            for (const auto& field : *list) {
                if (std::find(names.begin(), names.end(), field.first) == names.end()) {
                    names.push_back(field.first);
                }
            }
        }
        auto value = [](const std::vector<std::pair<std::string, std::string>>& list,
                        const std::string& name) {
            for (const auto& field : list) {
                if (field.first == name) {
                    return escape(field.second);
                }
            }
            return std::string(k_dash);
        };
        Table health({{"Health field"}, {"Before", Align::right}, {"After", Align::right}});
        for (const auto& name : names) {
            std::string label = name == "HTTP status" || name == "RSS" ? name : code(name, true);
            health.add_row({label, value(before, name), value(after, name)});
        }
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

void write_checklist(std::string& out, const StageReport& stage, const StageReport* previous) {
    Table table({{"Known cause"}, {"Seen"}, {"Evidence"}});
    for (const auto& check : cause_checklist(stage, previous)) {
        table.add_row({escape(check.cause), check.seen ? bold("seen") : std::string("not seen"),
                       escape(check.evidence)});
    }
    out += "### Root-cause checklist\n\n" + table.render() + "\n";
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
    if (!stage.extra->is_object() || stage.extra->empty()) {
        return;
    }
    Table table({{"Executor detail"}, {"Value"}});
    for (auto it = stage.extra->begin(); it != stage.extra->end(); ++it) {
        if (it.key() == "failure_samples") {
            continue;  // shown under the errors
        }
        const auto& value = it.value();
        std::string text =
            value.is_string()
                ? escape(value.get<std::string>())
                : code(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true);
        table.add_row({escape(it.key()), text});
    }
    if (!table.empty()) {
        out += "### Executor details\n\n" + table.render() + "\n";
    }
}

// Configuration expected against what ran: load, rate, duration, think time, operation mix.
void write_load(std::string& out, const StageReport& stage) {
    Table table({{"Load"}, {"Expected", Align::right}, {"Actual", Align::right}});
    if (stage.rate.empty()) {
        auto peak = peak_vus(stage);
        table.add_row({"VUs", std::to_string(stage.vus),
                       peak ? std::to_string(*peak) + " (peak)" : std::string(k_dash)});
    } else {
        auto peak = peak_vus(stage);
        table.add_row({"Arrival rate", escape(stage.rate),
                       metric_cell(stage, {}, "rps", MetricUnit::per_second)});
        table.add_row(
            {"VUs (requests in flight)",
             stage.max_vus > 0 ? "at most " + std::to_string(stage.max_vus) : std::string(k_dash),
             peak ? std::to_string(*peak) + " (peak)" : std::string(k_dash)});
    }
    if (stage.rate.empty()) {
        table.add_row({"Request rate", "not set (closed model)",
                       metric_cell(stage, {}, "rps", MetricUnit::per_second)});
    }
    table.add_row({"Duration",
                   stage.planned_duration_s > 0 ? escape(format_seconds(stage.planned_duration_s))
                                                : std::string(k_dash),
                   escape(format_seconds(stage.duration_s))});
    table.add_row({"Think time", escape(format_seconds(stage.think_time_s)), std::string(k_dash)});
    std::string expected_requests(k_dash);
    if (auto rate = planned_rate(stage); rate && stage.planned_duration_s > 0) {
        expected_requests = "about " + format_count(*rate * stage.planned_duration_s);
    }
    table.add_row(
        {"Requests", expected_requests, metric_cell(stage, {}, "requests", MetricUnit::count)});
    out += "### Load: expected and actual\n\n" + table.render() + "\n";
    if (stage.operations.size() < 2) {
        return;
    }
    double total = stage_metric(stage, {}, "requests").value_or(0);
    Table mix({{"Operation"},
               {"Asked", Align::right},
               {"Done", Align::right},
               {"Requests", Align::right}});
    for (const auto& op : stage.operations) {
        auto asked = stage.mix.find(op);
        auto requests = stage_metric(stage, op, "requests");
        mix.add_row(
            {escape(op),
             asked != stage.mix.end() ? format_percent(asked->second) : std::string(k_dash),
             requests && total > 0 ? format_percent(*requests * 100 / total) : std::string(k_dash),
             format_optional(requests, MetricUnit::count, k_dash)});
    }
    out += "Operation mix (share of requests):\n\n" + mix.render() + "\n";
}

void write_next_stage(std::string& out, const RunReport& report, std::size_t index) {
    auto outlook = next_stage_outlook(report, index);
    if (!outlook) {
        return;
    }
    const StageReport& next = report.stages[index + 1];
    out += "### Next stage: " + escape(next.name) + "\n\n";
    out += "- **Load:** " + escape(outlook->load) + "\n";
    std::vector<std::string> criteria;
    for (const auto& c : outlook->criteria) {
        criteria.push_back(code(c, false));
    }
    out += "- **Criteria:** " +
           (criteria.empty() ? std::string("none") : fmt::format("{}", fmt::join(criteria, ", "))) +
           "\n";
    out += "- **Outlook:** " + bold(escape(outlook->verdict)) + ": " + escape(outlook->reasoning) +
           "\n\n";
}

void write_stage(std::string& out, const RunReport& report, std::size_t index) {
    const StageReport& stage = report.stages[index];
    const StageReport* previous = nullptr;
    for (std::size_t i = index; i-- > 0;) {
        if (stage_ran(report.stages[i])) {
            previous = &report.stages[i];
            break;
        }
    }
    out += "## Stage " + std::to_string(index + 1) + ": " + escape(stage.name) + " (" +
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
    out += escape(stage_summary(stage)) + "\n\n";
    if (!stage.reason.empty() && stage.verdict != Verdict::pass) {
        out += "Verdict reason: " + escape(stage.reason) + "\n\n";
    }
    if (!stage.started_at.empty()) {
        out += "Started " + escape(stage.started_at) + ".\n\n";
    }
    write_criteria(out, stage);
    write_baseline(out, stage);
    write_load(out, stage);
    write_operations(out, stage);
    write_tags(out, stage);
    write_latency_distribution(out, stage);
    write_concurrency(out, stage);
    write_errors(out, stage);
    write_timing(out, stage);
    write_backend(out, stage);
    write_checklist(out, stage, previous);
    write_hints(out, stage);
    write_next_stage(out, report, index);
    write_extra(out, stage);
}

// The failed criteria of the whole run, right after the verdict: what to fix first.
void write_failed_criteria(std::string& out, const RunReport& report) {
    std::vector<FailedCriterion> failed = failed_criteria(report);
    if (failed.empty()) {
        return;
    }
    Table table({{"Stage"},
                 {"Criterion"},
                 {"Target", Align::right},
                 {"Actual", Align::right},
                 {"Distance"},
                 {"Where"}});
    for (const auto& f : failed) {
        const CriterionResult& r = *f.result;
        std::string distance = format_distance(r);
        // The criterion's place in the pipeline (file:line:col), as in annotations and JUnit,
        // so the step summary points at the line to change; a dash when it is not known.
        std::string where =
            r.criterion.line > 0 && !report.pipeline_file.empty()
                ? escape(report.pipeline_file + ":" + std::to_string(r.criterion.line) + ":" +
                         std::to_string(r.criterion.column))
                : std::string(k_dash);
        table.add_row({escape(f.stage->name), criterion_label(r.criterion),
                       escape(format_target(r.criterion)), escape(format_actual(r)),
                       distance.empty() ? std::string(k_dash) : escape(distance), where});
    }
    out += "## Failed criteria\n\n" + table.render() + "\n";
}

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class MarkdownReporter final : public Reporter {
  public:
    std::string_view format() const override { return "md"; }
    std::string_view summary() const override {
        return "Markdown (report.md, the GitHub step summary)";
    }
    std::string_view file_name() const override { return "report.md"; }

    std::string render(const RunReport& report) const override {
        std::string out;
        std::string name = report.pipeline_name.empty() ? "stagegate run" : report.pipeline_name;
        out += "# " + escape(name) + ": " + bold(verdict_text(report.verdict)) + "\n\n";
        write_summary(out, report);
        write_failed_criteria(out, report);
        if (!report.stages.empty()) {
            write_stage_table(out, report);
        }
        if (!report.hooks.empty()) {
            out += "## Hooks\n\nIn the order they ran; their output is in hooks.log.\n\n";
            for (const auto& hook : report.hooks) {
                out += "- " + escape(format_hook(hook)) + "\n";
            }
            out += "\n";
        }
        for (std::size_t i = 0; i < report.stages.size(); ++i) {
            write_stage(out, report, i);
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
