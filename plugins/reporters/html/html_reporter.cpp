#include "plugins/reporters/html/html_reporter.hpp"

#include <algorithm>
#include <functional>

#include "plugins/reporters/html/capacity_chart.hpp"
#include "plugins/reporters/html/svg_chart.hpp"
#include "report/markup_escape.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"

namespace orch {

namespace {

constexpr std::string_view k_dash = "\u2014";

// The whole style sheet: GitHub-like colours, swapped for dark mode.
constexpr std::string_view k_style = R"css(
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e;
  --border: #d1d9e0; --head: #f6f8fa; --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e;
  --fail-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5; --skip: #59636e; --skip-bg: #eff2f5;
  --s0: #0969da; --s1: #8250df; --s2: #bf3989; --s3: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --head: #151b23;
    --pass: #3fb950; --pass-bg: #12261e; --fail: #f85149; --fail-bg: #25171c; --warn: #d29922;
    --warn-bg: #272115; --skip: #9198a1; --skip-bg: #212830; --s0: #4493f8; --s1: #ab7df8;
    --s2: #db61a2; --s3: #3fb950; }
}
body { background: var(--bg); color: var(--fg); margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0; } h2 { margin-top: 2rem; border-bottom: 1px solid var(--border); }
h3 { margin-bottom: .4rem; }
.banner { border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; border: 1px solid currentColor; }
.banner p { margin: .25rem 0 0; color: var(--fg); }
.v-pass { color: var(--pass); background: var(--pass-bg); }
.v-fail, .v-error, .v-interrupted, .v-invalid { color: var(--fail); background: var(--fail-bg); }
.v-inconclusive, .v-warn { color: var(--warn); background: var(--warn-bg); }
.v-skipped, .v-nodata { color: var(--skip); background: var(--skip-bg); }
.badge { border-radius: 4px; padding: 0 .4rem; font-size: .8em; font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--border); padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--head); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--head); border: 1px solid var(--border); padding: .75rem; overflow-x: auto; }
.muted { color: var(--muted); }
svg.chart { width: 100%; max-width: 760px; height: auto; display: block; }
svg .grid { stroke: var(--border); stroke-width: 1; }
svg .boundary { stroke: var(--muted); stroke-dasharray: 4 3; }
svg text { fill: var(--muted); font-size: 11px; }
svg text.stage { fill: var(--fg); font-weight: 600; }
svg .series { fill: none; stroke-width: 1.8; }
svg .s0 { stroke: var(--s0); } svg .s1 { stroke: var(--s1); } svg .s2 { stroke: var(--s2); }
svg .s3 { stroke: var(--s3); }
svg .cooldown { fill: var(--head); stroke: var(--border); stroke-dasharray: 2 2; }
svg text.legend { font-size: 11px; font-weight: 600; stroke: none; }
svg text.s0 { fill: var(--s0); } svg text.s1 { fill: var(--s1); } svg text.s2 { fill: var(--s2); }
svg text.s3 { fill: var(--s3); }
)css";

std::string esc(std::string_view text) {
    return escape_markup(text);
}

std::string verdict_class(Verdict verdict) {
    std::string name(to_string(verdict));
    for (char& c : name) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return "v-" + name;
}

std::string badge(Verdict verdict) {
    return "<span class=\"badge " + verdict_class(verdict) + "\">" +
           std::string(to_string(verdict)) + "</span>";
}

std::string status_class(std::string_view status) {
    if (status == "PASS") {
        return "v-pass";
    }
    if (status == "WARN") {
        return "v-warn";
    }
    if (status == "NO DATA") {
        return "v-nodata";
    }
    return "v-fail";
}

// A table from a header and rows of already-escaped cells; `numeric` marks right-aligned
// columns.
class HtmlTable {
  public:
    HtmlTable(std::vector<std::string> titles, std::vector<bool> numeric)
        : m_titles(std::move(titles)), m_numeric(std::move(numeric)) {
        m_numeric.resize(m_titles.size(), false);
    }
    void add_row(std::vector<std::string> cells, std::string row_class = {}) {
        cells.resize(m_titles.size());
        m_rows.emplace_back(std::move(row_class), std::move(cells));
    }
    bool empty() const { return m_rows.empty(); }
    std::string render() const {
        std::string out = "<table>\n<thead><tr>";
        for (std::size_t i = 0; i < m_titles.size(); ++i) {
            out += std::string(m_numeric[i] ? "<th class=\"num\">" : "<th>") + esc(m_titles[i]) +
                   "</th>";
        }
        out += "</tr></thead>\n<tbody>\n";
        for (const auto& [row_class, cells] : m_rows) {
            out += row_class.empty() ? "<tr>" : "<tr class=\"" + row_class + "\">";
            for (std::size_t i = 0; i < cells.size(); ++i) {
                out +=
                    std::string(m_numeric[i] ? "<td class=\"num\">" : "<td>") + cells[i] + "</td>";
            }
            out += "</tr>\n";
        }
        out += "</tbody>\n</table>\n";
        return out;
    }

  private:
    std::vector<std::string> m_titles;
    std::vector<bool> m_numeric;
    std::vector<std::pair<std::string, std::vector<std::string>>> m_rows;
};

std::string metric_cell(const StageReport& stage, std::string_view operation, std::string_view name,
                        MetricUnit unit) {
    return esc(format_optional(stage_metric(stage, operation, name), unit, k_dash));
}

void write_summary(std::string& out, const RunReport& report) {
    RunTotals totals = run_totals(report);
    out += "<dl>\n";
    auto item = [&](std::string_view term, const std::string& html) {
        out += "<dt>" + esc(term) + "</dt><dd>" + html + "</dd>\n";
    };
    item(
        "Stages passed",
        esc(std::to_string(totals.stages_passed) + " of " + std::to_string(totals.stages) +
            (totals.stages_run != totals.stages ? " (" + std::to_string(totals.stages_run) + " ran)"
                                                : std::string())));
    item("Highest passed stage",
         report.highest_passed_stage.empty() ? "none" : esc(report.highest_passed_stage));
    item("Requests",
         esc(format_count(totals.requests) + " in total" +
             (totals.success_rate ? ", " + format_percent(*totals.success_rate) + " succeeded"
                                  : std::string())));
    item("Duration", esc(format_seconds(totals.load_duration_s) + " of load"));
    if (!report.started_at.empty()) {
        item("Run",
             esc(report.started_at +
                 (report.finished_at.empty() ? std::string() : " to " + report.finished_at)) +
                 (report.run_id.empty() ? "" : " <code>" + esc(report.run_id) + "</code>"));
    }
    if (!report.executor.empty()) {
        item("Executor", esc(report.executor));
    }
    if (!report.base_url.empty()) {
        item("Target", "<code>" + esc(report.base_url) + "</code>");
    }
    if (!report.pipeline_file.empty()) {
        item("Pipeline", "<code>" + esc(report.pipeline_file) + "</code>" +
                             (report.pipeline_sha256.empty()
                                  ? ""
                                  : " <span class=\"muted\">sha256 " +
                                        esc(report.pipeline_sha256.substr(0, 12)) + "</span>"));
    }
    if (!report.version.empty()) {
        item("stagegate", esc(report.version));
    }
    out += "</dl>\n";
}

void write_stage_table(std::string& out, const RunReport& report) {
    HtmlTable table(
        {"Stage", "Load", "Requests", "RPS", "Success", "p95", "p99", "Errors", "Verdict"},
        {false, false, true, true, true, true, true, true, false});
    for (std::size_t i = 0; i < report.stages.size(); ++i) {
        const StageReport& stage = report.stages[i];
        bool ran = stage_ran(stage);
        auto cell = [&](std::string_view name, MetricUnit unit) {
            return ran ? metric_cell(stage, {}, name, unit) : std::string(k_dash);
        };
        table.add_row(
            {"<a href=\"#stage-" + std::to_string(i + 1) + "\">" + esc(stage.name) + "</a>",
             esc(format_load(stage)), cell("requests", MetricUnit::count),
             cell("rps", MetricUnit::per_second), cell("success_rate", MetricUnit::percent),
             cell("p95", MetricUnit::milliseconds), cell("p99", MetricUnit::milliseconds),
             cell("errors", MetricUnit::count),
             badge(stage.verdict) + (stage_has_no_gate(stage) ? " (no gate)" : "")});
    }
    out += table.render();
}

std::string format_rate_axis(double value) {
    return format_rate(value);
}

std::string format_ms_axis(double value) {
    return format_ms(value);
}

std::string format_errors_axis(double value) {
    return format_trimmed(value, 1) + "/s";
}

std::string format_mb_axis(double value) {
    return format_megabytes(value);
}

// Charts across every stage that ran (stages laid end to end, cooldowns between them):
// requests/s, errors/s, latency p50/p95/p99 of all requests and of each operation, and
// the backend's RSS.
void write_charts(std::string& out, const RunReport& report) {
    using Pick = std::function<std::optional<double>(const SeriesPoint&, double bucket_s)>;
    auto segments = [&](const std::vector<Pick>& picks) {
        std::vector<html::ChartSegment> result;
        for (const auto& stage : report.stages) {
            if (!stage_ran(stage) || stage.series.empty()) {
                continue;
            }
            html::ChartSegment segment{stage.name, stage.duration_s, stage.cooldown_s, {}};
            double bucket_s = stage.series_bucket_s > 0 ? stage.series_bucket_s : 1.0;
            for (const auto& pick : picks) {
                html::ChartPoints points;
                for (const auto& point : stage.series) {
                    points.emplace_back(point.t_s, pick(point, bucket_s));
                }
                segment.lines.push_back(std::move(points));
            }
            result.push_back(std::move(segment));
        }
        return result;
    };
    auto quantile_picks = [](const std::string& op) {
        std::vector<Pick> picks;
        for (auto member : {&OperationPoint::p50, &OperationPoint::p95, &OperationPoint::p99}) {
            picks.push_back([op, member](const SeriesPoint& p, double) -> std::optional<double> {
                auto it = p.operations.find(op);
                return it == p.operations.end() ? std::nullopt : it->second.*member;
            });
        }
        return picks;
    };
    const std::vector<std::string> quantiles = {"p50", "p95", "p99"};
    std::string charts;
    auto add = [&](std::string_view heading, const std::string& chart) {
        if (!chart.empty()) {
            charts += "<h3>" + esc(heading) + "</h3>\n" + chart;
        }
    };
    add("Requests per second",
        html::line_chart("Requests per second across the run", {"requests/s"},
                         segments({[](const SeriesPoint& p, double) { return p.rps; }}),
                         &format_rate_axis));
    add("Errors per second",
        html::line_chart(
            "Failed requests per second across the run", {"errors/s"},
            segments({[](const SeriesPoint& p, double bucket_s) { return p.errors / bucket_s; }}),
            &format_errors_axis));
    add("Latency, all operations",
        html::line_chart("Latency p50, p95 and p99 of all requests across the run", quantiles,
                         segments({[](const SeriesPoint& p, double) { return p.p50; },
                                   [](const SeriesPoint& p, double) { return p.p95; },
                                   [](const SeriesPoint& p, double) { return p.p99; }}),
                         &format_ms_axis));
    std::vector<std::string> operations;
    for (const auto& stage : report.stages) {
        for (const auto& op : stage.operations) {
            if (std::find(operations.begin(), operations.end(), op) == operations.end()) {
                operations.push_back(op);
            }
        }
    }
    for (const auto& op : operations) {
        add("Latency, " + op,
            html::line_chart("Latency p50, p95 and p99 of " + op + " across the run", quantiles,
                             segments(quantile_picks(op)), &format_ms_axis));
    }
    add("Backend RSS",
        html::line_chart("Backend RSS across the run", {"RSS"},
                         segments({[](const SeriesPoint& p, double) { return p.rss_mb; }}),
                         &format_mb_axis));
    if (charts.empty()) {
        return;
    }
    out +=
        "<h2>Across the run</h2>\n<p class=\"muted\">Stages end to end; dashed lines mark "
        "stage boundaries, shaded bands the cooldowns between stages.</p>\n" +
        charts;
}

void write_criteria(std::string& out, const StageReport& stage) {
    if (stage.criteria.empty()) {
        return;
    }
    HtmlTable table({"Criterion", "Target", "Actual", "Status", "Margin", "Note"},
                    {false, true, true, false, false, false});
    for (const auto& r : stage.criteria) {
        std::string status(criterion_status(r));
        std::string label = "<code>" + esc(r.criterion.expr) + "</code>";
        if (!r.criterion.name.empty() && r.criterion.name != r.criterion.expr) {
            label = esc(r.criterion.name) + "<br>" + label;
        }
        if (r.criterion.severity == Severity::warn) {
            label += " <span class=\"muted\">(warn)</span>";
        }
        if (r.criterion.abort) {
            label += " <span class=\"muted\">(abort)</span>";
        }
        table.add_row(
            {label, esc(format_target(r.criterion)), esc(format_actual(r)),
             "<span class=\"badge " + status_class(status) + "\">" + esc(status) + "</span>",
             esc(format_margin(r.margin)), esc(r.note)});
    }
    out += "<h3>Criteria</h3>\n" + table.render();
}

void write_operations(std::string& out, const StageReport& stage) {
    HtmlTable table({"Operation", "Requests", "Success", "Errors", "p50", "p75", "p90", "p95",
                     "p99", "p99.9", "Max", "Avg"},
                    {false, true, true, true, true, true, true, true, true, true, true, true});
    std::vector<std::string> rows = stage.operations;
    if (rows.size() != 1) {
        rows.emplace_back();
    }
    for (const auto& op : rows) {
        std::vector<std::string> cells = {
            op.empty() ? std::string("<strong>all</strong>") : esc(op),
            metric_cell(stage, op, "requests", MetricUnit::count),
            metric_cell(stage, op, "success_rate", MetricUnit::percent),
            metric_cell(stage, op, "errors", MetricUnit::count)};
        for (const auto& column : k_latency_distribution) {
            cells.push_back(metric_cell(stage, op, column.metric, MetricUnit::milliseconds));
        }
        cells.push_back(metric_cell(stage, op, "avg", MetricUnit::milliseconds));
        table.add_row(std::move(cells));
    }
    out += "<h3>Operations</h3>\n" + table.render();
}

void write_errors(std::string& out, const StageReport& stage) {
    std::vector<std::string> kinds = error_kinds_seen(stage);
    if (kinds.empty()) {
        return;
    }
    std::vector<std::string> titles = {"Kind", "all"};
    titles.insert(titles.end(), stage.operations.begin(), stage.operations.end());
    std::vector<bool> numeric(titles.size(), true);
    numeric[0] = false;
    HtmlTable table(std::move(titles), std::move(numeric));
    for (const auto& kind : kinds) {
        std::string name = "errors." + kind;
        std::vector<std::string> cells = {esc(kind),
                                          metric_cell(stage, {}, name, MetricUnit::count)};
        for (const auto& op : stage.operations) {
            cells.push_back(metric_cell(stage, op, name, MetricUnit::count));
        }
        table.add_row(std::move(cells));
    }
    out += "<h3>Errors by kind</h3>\n" + table.render();
}

void write_backend(std::string& out, const StageReport& stage) {
    HtmlTable table({"Backend", "Value"}, {false, true});
    auto health = [&](const char* label, const std::optional<HealthSample>& sample) {
        if (!sample) {
            return;
        }
        std::string text =
            sample->status == 0 ? "no answer" : "HTTP " + std::to_string(sample->status);
        if (sample->uptime_s) {
            text += ", up " + format_seconds(*sample->uptime_s);
        }
        if (sample->rss_mb) {
            text += ", RSS " + format_megabytes(*sample->rss_mb);
        }
        table.add_row({esc(label), esc(text)});
    };
    health("health before", stage.health_before);
    health("health after", stage.health_after);
    constexpr std::string_view k_prefix = "backend.";
    for (const auto& [name, value] : stage.metrics.values()) {
        if (name.rfind(k_prefix, 0) != 0) {
            continue;
        }
        std::string short_name = name.substr(k_prefix.size());
        MetricUnit unit = MetricUnit::number;
        if (short_name.rfind("rss_", 0) == 0) {
            unit = MetricUnit::megabytes;
        } else if (short_name == "memory_growth") {
            unit = MetricUnit::percent;
        } else if (short_name == "crashes" || short_name == "health_failures") {
            unit = MetricUnit::count;
        }
        table.add_row({"<code>" + esc(name) + "</code>", esc(format_value(value, unit))});
    }
    if (!table.empty()) {
        out += "<h3>Backend</h3>\n" + table.render();
    }
}

void write_stage(std::string& out, const StageReport& stage, std::size_t number) {
    out += "<section id=\"stage-" + std::to_string(number) + "\">\n<h2>Stage " +
           std::to_string(number) + ": " + esc(stage.name) + " " + badge(stage.verdict) + "</h2>\n";
    if (stage_has_no_gate(stage)) {
        out += "<p class=\"no-gate\"><strong>" + esc(k_no_gate_note) +
               ".</strong> Add criteria to this stage (or <code>defaults.criteria</code>); "
               "<code>stagegate run --strict</code> refuses such a pipeline.</p>\n";
    }
    if (!stage_ran(stage)) {
        out += "<p>Not run: " + esc(stage.reason.empty() ? "skipped" : stage.reason) +
               ". Planned load: " + esc(format_load(stage)) + ".</p>\n</section>\n";
        return;
    }
    if (!stage.reason.empty()) {
        out += "<p>" + esc(stage.reason) + "</p>\n";
    }
    out += "<p class=\"muted\">Load " + esc(format_load(stage)) + "; ran " +
           esc(format_seconds(stage.duration_s)) +
           (stage.started_at.empty() ? std::string() : " from " + esc(stage.started_at)) +
           ".</p>\n";
    write_criteria(out, stage);
    write_operations(out, stage);
    write_errors(out, stage);
    write_backend(out, stage);
    if (!stage.hints.empty()) {
        out += "<h3>Root-cause hints</h3>\n<ul>\n";
        for (const auto& hint : stage.hints) {
            out += "<li>" + esc(hint) + "</li>\n";
        }
        out += "</ul>\n";
    }
    out += "</section>\n";
}

class HtmlReporter final : public Reporter {
  public:
    std::string_view format() const override { return "html"; }
    std::string_view file_name() const override { return "report.html"; }

    std::string render(const RunReport& report) const override {
        std::string name = report.pipeline_name.empty() ? "stagegate run" : report.pipeline_name;
        std::string verdict(to_string(report.verdict));
        std::string out =
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            // Nothing may be fetched: the page must read the same offline and in an archive.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n"
            "<title>" +
            esc(name) + ": " + verdict + " (stagegate)</title>\n<style>" + std::string(k_style) +
            "</style>\n</head>\n<body>\n";
        out += "<header class=\"banner " + verdict_class(report.verdict) + "\">\n<h1>" + esc(name) +
               ": " + verdict + "</h1>\n<p>Exit code " + std::to_string(report.exit_code) +
               (report.reason.empty() ? std::string() : ". " + esc(report.reason)) +
               "</p>\n</header>\n";
        for (const auto& warning : report.warnings) {
            out += "<p class=\"warning\"><strong>Warning:</strong> " + esc(warning) + "</p>\n";
        }
        out += "<h2>Summary</h2>\n";
        write_summary(out, report);
        if (!report.stages.empty()) {
            out += "<h2>Stages</h2>\n";
            write_stage_table(out, report);
        }
        write_charts(out, report);
        for (std::size_t i = 0; i < report.stages.size(); ++i) {
            write_stage(out, report.stages[i], i + 1);
        }
        out += html::capacity_section(report);
        if (!report.recommendation.empty()) {
            out += "<h2>Recommendation</h2>\n<p>" + esc(report.recommendation) + "</p>\n";
        }
        if (report.verdict != Verdict::pass && !report.backend_log_tail.empty()) {
            out += "<h2>Backend log (last " + std::to_string(report.backend_log_tail.size()) +
                   " lines)</h2>\n<pre>";
            for (const auto& line : report.backend_log_tail) {
                out += esc(line) + "\n";
            }
            out += "</pre>\n";
        }
        out += "</body>\n</html>\n";
        return out;
    }
};

}  // namespace

std::unique_ptr<Reporter> make_html_reporter() {
    return std::make_unique<HtmlReporter>();
}

}  // namespace orch
