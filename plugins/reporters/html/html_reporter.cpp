#include "plugins/reporters/html/html_reporter.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "plugins/reporters/html/capacity_chart.hpp"
#include "plugins/reporters/html/svg_chart.hpp"
#include "report/markup_escape.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"
#include "report/stage_analysis.hpp"
#include "report/tag_rows.hpp"

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
body { background: var(--bg); color: var(--fg); margin: 0 auto; max-width: 96rem; padding: 1rem 1.5rem 3rem;
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
table.sortable th { cursor: pointer; }
table.sortable th[aria-sort=ascending]::after { content: " \2191"; }
table.sortable th[aria-sort=descending]::after { content: " \2193"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--head); border: 1px solid var(--border); padding: .75rem; overflow-x: auto; }
.muted { color: var(--muted); }
svg.chart { width: 100%; height: auto; display: block; }
.chart-box svg.chart { min-width: 720px; }
.scroll { overflow-x: auto; max-width: 100%; }
.card { border: 1px solid var(--border); border-radius: 8px; padding: .75rem 1.25rem; margin: 1rem 0; }
.card dl { margin: 0; }
.bars { display: grid; grid-template-columns: max-content 1fr max-content; gap: .3rem .75rem; align-items: center; }
.bar { display: flex; height: 1rem; border: 1px solid var(--border); min-width: 4rem; }
.bar span { display: block; height: 100%; }
.ph0 { background: var(--s0); } .ph1 { background: var(--s1); } .ph2 { background: var(--s2); }
.ph3 { background: var(--s3); } .ph4 { background: var(--muted); } .ph5 { background: var(--warn); }
.key span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 .8rem; vertical-align: -1px; }
ul.samples code { overflow-wrap: anywhere; }
@media (max-width: 40rem) { body { padding: .5rem .75rem 2rem; } dl { grid-template-columns: 1fr; } }
svg .grid { stroke: var(--border); stroke-width: 1; }
svg .boundary { stroke: var(--muted); stroke-dasharray: 4 3; }
svg text { fill: var(--muted); font-size: 11px; }
svg text.stage { fill: var(--fg); font-weight: 600; }
svg .series { fill: none; stroke-width: 1.8; }
svg .s0 { stroke: var(--s0); } svg .s1 { stroke: var(--s1); } svg .s2 { stroke: var(--s2); }
svg .s3 { stroke: var(--s3); }
svg .cooldown { fill: var(--head); stroke: var(--border); stroke-dasharray: 2 2; }
svg .tick { stroke: var(--muted); }
svg .threshold { stroke: var(--fail); stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .failmark { stroke: var(--fail); stroke-width: 2; }
svg text.spike { font-size: 10px; }
svg text.legend { font-size: 11px; font-weight: 600; stroke: none; }
svg text.s0 { fill: var(--s0); } svg text.s1 { fill: var(--s1); } svg text.s2 { fill: var(--s2); }
svg text.s3 { fill: var(--s3); }
svg .sfail { stroke: var(--warn); stroke-dasharray: 7 4; } svg text.sfail { fill: var(--warn); stroke: none; }
)css";

// Sorts a table.sortable by the clicked (or Enter-pressed) column, numbers as numbers. The
// page's CSP admits this one script by its hash (k_sort_script_hash, checked by the unit
// test against the script's bytes); report.html carries it only when a table is sortable.
constexpr std::string_view k_sort_script =
    R"js(for (const th of document.querySelectorAll('table.sortable th')) {
  th.tabIndex = 0;
  th.title = 'Sort by this column';
  const sort = () => {
    const table = th.closest('table');
    const body = table.tBodies[0];
    const column = th.cellIndex;
    const up = th.getAttribute('aria-sort') !== 'ascending';
    for (const other of table.querySelectorAll('th')) other.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    const key = (row) => {
      const text = row.cells[column].textContent.replace(/,/g, '');
      const number = parseFloat(text);
      return Number.isNaN(number) ? -Infinity : number;
    };
    const text = (row) => row.cells[column].textContent;
    const rows = [...body.rows];
    const numeric = rows.some((row) => key(row) !== -Infinity);
    rows.sort((a, b) => (numeric ? key(a) - key(b) : text(a).localeCompare(text(b))) * (up ? 1 : -1));
    for (const row of rows) body.appendChild(row);
  };
  th.addEventListener('click', sort);
  th.addEventListener('keydown', (event) => { if (event.key === 'Enter') sort(); });
}
)js";
constexpr std::string_view k_sort_script_hash =
    "sha256-hPsJ4GDlFWQLG95mwcSUgdFN172gqKeYK+E6q1KJ/Sg=";

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
    void set_id(std::string id) { m_id = std::move(id); }
    std::string render() const {
        // In a scrolling box: a wide table scrolls by itself, never the page.
        std::string out =
            "<div class=\"scroll\"><table" +
            (m_id.empty() ? std::string() : " id=\"" + m_id + "\" class=\"sortable\"") +
            ">\n<thead><tr>";
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
        out += "</tbody>\n</table></div>\n";
        return out;
    }

  private:
    std::vector<std::string> m_titles;
    std::vector<bool> m_numeric;
    std::vector<std::pair<std::string, std::vector<std::string>>> m_rows;
    std::string m_id;
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
    return html::compact_number(value) + "/s";
}

std::string format_ms_axis(double value) {
    return format_latency(value);
}

std::string format_percent_axis(double value) {
    return html::compact_number(value) + "%";
}

std::string format_mb_axis(double value) {
    return html::compact_number(value) + " MB";
}

/// Per-operation latency charts drawn at most; the others are in the sortable table.
constexpr std::size_t k_max_operation_charts = 8;

/// Every operation of the run, in first-seen order.
std::vector<std::string> run_operations(const RunReport& report) {
    std::vector<std::string> operations;
    for (const auto& stage : report.stages) {
        for (const auto& op : stage.operations) {
            if (std::find(operations.begin(), operations.end(), op) == operations.end()) {
                operations.push_back(op);
            }
        }
    }
    return operations;
}

// The operations worth a chart of their own: those a failed criterion names, then those
// with the most requests, then the slowest (p95), at most k_max_operation_charts.
std::vector<std::string> operations_that_matter(const RunReport& report) {
    std::vector<std::string> all = run_operations(report);
    std::vector<std::string> chosen;
    auto choose = [&](const std::string& op) {
        if (chosen.size() < k_max_operation_charts &&
            std::find(chosen.begin(), chosen.end(), op) == chosen.end()) {
            chosen.push_back(op);
        }
    };
    for (const auto& failed : failed_criteria(report)) {
        for (const auto& op : all) {
            if (failed.result->criterion.metric.rfind(op + ".", 0) == 0) {
                choose(op);
            }
        }
    }
    auto total = [&](const std::string& op, const char* metric, bool max) {
        double value = 0;
        for (const auto& stage : report.stages) {
            double v = stage_metric(stage, op, metric).value_or(0);
            value = max ? std::max(value, v) : value + v;
        }
        return value;
    };
    std::vector<std::string> by_requests = all;
    std::stable_sort(by_requests.begin(), by_requests.end(), [&](const auto& a, const auto& b) {
        return total(a, "requests", false) > total(b, "requests", false);
    });
    std::vector<std::string> by_latency = all;
    std::stable_sort(by_latency.begin(), by_latency.end(), [&](const auto& a, const auto& b) {
        return total(a, "p95", true) > total(b, "p95", true);
    });
    // Alternate: the busiest, then the slowest, so both kinds get a place.
    for (std::size_t i = 0; i < all.size() && chosen.size() < k_max_operation_charts; ++i) {
        choose(by_requests[i]);
        choose(by_latency[i]);
    }
    // In the run's order, so charts read like the tables.
    std::vector<std::string> ordered;
    for (const auto& op : all) {
        if (std::find(chosen.begin(), chosen.end(), op) != chosen.end()) {
            ordered.push_back(op);
        }
    }
    return ordered;
}

// The limits a stage's criteria set on `metrics` (e.g. {"p95", "send.p95"}), as dashed
// lines; `transform` maps a criterion onto the chart's value (or nullopt to skip it).
std::vector<html::ChartThreshold> thresholds(
    const StageReport& stage,
    const std::function<std::optional<double>(const Criterion&)>& transform) {
    std::vector<html::ChartThreshold> lines;
    for (const auto& r : stage.criteria) {
        if (!std::isfinite(r.criterion.target)) {
            continue;
        }
        if (auto value = transform(r.criterion)) {
            lines.push_back({*value, r.criterion.expr});
        }
    }
    return lines;
}

// Charts across every stage that ran (stages laid end to end, cooldowns between them):
// requests/s, error rate, latency p50/p95/p99 of all requests and of the operations that
// matter, and the backend's RSS. Criteria limits are dashed lines.
void write_charts(std::string& out, const RunReport& report) {
    using Pick = std::function<std::optional<double>(const SeriesPoint&, double bucket_s)>;
    using Limit = std::function<std::optional<double>(const Criterion&)>;
    // The limit line of a chart: the target of the criterion on `metric`.
    auto target_of = [](std::string metric) -> Limit {
        return [metric = std::move(metric)](const Criterion& c) -> std::optional<double> {
            return c.metric == metric ? std::optional(c.target) : std::nullopt;
        };
    };
    auto segments = [&](const std::vector<Pick>& picks, const Limit& limit,
                        bool mark_failures = false) {
        std::vector<html::ChartSegment> result;
        for (const auto& stage : report.stages) {
            if (!stage_ran(stage) || stage.series.empty()) {
                continue;
            }
            html::ChartSegment segment{stage.name, stage.duration_s, stage.cooldown_s, {}, {}, {}};
            double bucket_s = stage.series_bucket_s > 0 ? stage.series_bucket_s : 1.0;
            for (const auto& pick : picks) {
                html::ChartPoints points;
                for (const auto& point : stage.series) {
                    points.emplace_back(point.t_s, pick(point, bucket_s));
                }
                segment.lines.push_back(std::move(points));
            }
            if (limit) {
                segment.thresholds = thresholds(stage, limit);
            }
            if (mark_failures) {
                for (const auto& point : stage.series) {
                    double requests = point.rps * bucket_s;
                    if (point.errors > 0 && point.errors >= 0.01 * requests) {
                        segment.failure_marks.emplace_back(
                            point.t_s,
                            format_count(point.errors) + " failed requests (" +
                                format_significant(requests > 0 ? point.errors / requests * 100
                                                                : 100.0) +
                                "%) at " + format_seconds(point.t_s));
                    }
                }
            }
            result.push_back(std::move(segment));
        }
        return result;
    };
    auto latency_limit = [](const std::string& prefix) -> Limit {
        return [prefix](const Criterion& c) -> std::optional<double> {
            for (const char* q : {"p50", "p95", "p99"}) {
                if (c.metric == prefix + q && c.unit == MetricUnit::milliseconds) {
                    return c.target;
                }
            }
            return std::nullopt;
        };
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
    html::ChartOptions robust;
    robust.clamp_spikes = true;
    std::string charts;
    auto add = [&](std::string_view heading, const std::string& chart) {
        if (!chart.empty()) {
            // Narrow screens scroll a chart sideways rather than shrink its labels.
            charts += "<h3>" + esc(heading) + "</h3>\n<div class=\"scroll chart-box\">" + chart +
                      "</div>\n";
        }
    };
    add("Requests per second",
        html::line_chart(
            "Requests per second across the run", {"requests/s"},
            segments({[](const SeriesPoint& p, double) { return p.rps; }}, target_of("rps")),
            &format_rate_axis));
    add("Error rate",
        html::line_chart(
            "Error rate (percent of requests) across the run", {"error rate"},
            segments({[](const SeriesPoint& p, double bucket_s) -> std::optional<double> {
                         double requests = p.rps * bucket_s;
                         if (requests <= 0) {
                             return p.errors > 0 ? std::optional<double>(100.0) : std::nullopt;
                         }
                         return std::min(100.0, p.errors / requests * 100.0);
                     }},
                     [](const Criterion& c) -> std::optional<double> {
                         if (c.metric == "error_rate") {
                             return c.target;
                         }
                         if (c.metric == "success_rate") {
                             return 100.0 - c.target;
                         }
                         return std::nullopt;
                     }),
            &format_percent_axis));
    // Successful and failed responses apart, so a wave of fast failures (429s) does not
    // pull the line down and read as an improvement; results written before the series
    // kept them apart draw p50/p95/p99 of all responses.
    bool by_outcome = false;
    bool any_failed = false;
    for (const auto& stage : report.stages) {
        for (const auto& point : stage.series) {
            by_outcome = by_outcome || point.succeeded_p95 || point.failed_p95;
            any_failed = any_failed || point.failed_p95;
        }
    }
    if (by_outcome) {
        std::vector<std::string> names = {"ok p50", "ok p95", "ok p99"};
        std::vector<Pick> picks = {[](const SeriesPoint& p, double) { return p.succeeded_p50; },
                                   [](const SeriesPoint& p, double) { return p.succeeded_p95; },
                                   [](const SeriesPoint& p, double) { return p.succeeded_p99; }};
        html::ChartOptions options = robust;
        if (any_failed) {
            names.emplace_back("failed p95");
            picks.emplace_back([](const SeriesPoint& p, double) { return p.failed_p95; });
            options.line_styles = {html::LineStyle::normal, html::LineStyle::normal,
                                   html::LineStyle::normal, html::LineStyle::failure};
        }
        add("Latency, all operations",
            html::line_chart(any_failed ? "Latency p50, p95 and p99 of successful requests and "
                                          "p95 of failed requests across the run"
                                        : "Latency p50, p95 and p99 of successful requests "
                                          "across the run",
                             names, segments(picks, latency_limit(""), true), &format_ms_axis,
                             options));
        if (any_failed) {
            charts +=
                "<p class=\"muted\">ok: responses that met the expectation; failed: "
                "responses that did not (4xx, 429, 5xx, expect). Failures without a "
                "response (timeouts, refused or reset connections) have no latency; the "
                "red ticks along the bottom mark every second with 1% or more failed "
                "requests of any kind.</p>\n";
        }
    } else {
        add("Latency, all operations",
            html::line_chart("Latency p50, p95 and p99 of all requests across the run", quantiles,
                             segments({[](const SeriesPoint& p, double) { return p.p50; },
                                       [](const SeriesPoint& p, double) { return p.p95; },
                                       [](const SeriesPoint& p, double) { return p.p99; }},
                                      latency_limit(""), true),
                             &format_ms_axis, robust));
    }
    std::vector<std::string> operations = run_operations(report);
    // With one operation its chart would be the "all operations" chart again.
    std::vector<std::string> charted =
        operations.size() > 1 ? operations_that_matter(report) : std::vector<std::string>{};
    for (const auto& op : charted) {
        add("Latency, " + op,
            html::line_chart("Latency p50, p95 and p99 of " + op + " across the run", quantiles,
                             segments(quantile_picks(op), latency_limit(op + ".")), &format_ms_axis,
                             robust));
    }
    if (operations.size() > 1 && charted.size() < operations.size()) {
        charts += "<p class=\"muted\">Latency charts for the " + std::to_string(charted.size()) +
                  " operations that matter most (failed criteria, most requests, slowest); the " +
                  std::to_string(operations.size() - charted.size()) +
                  " others are in each stage's operations table.</p>\n";
    }
    add("Backend RSS",
        html::line_chart("Backend RSS across the run", {"RSS"},
                         segments({[](const SeriesPoint& p, double) { return p.rss_mb; }},
                                  target_of("backend.rss_peak")),
                         &format_mb_axis));
    if (charts.empty()) {
        return;
    }
    out +=
        "<h2>Across the run</h2>\n<p class=\"muted\">Stages end to end; dashed vertical lines "
        "mark stage boundaries, shaded bands the cooldowns between stages, dashed red lines "
        "the criteria's limits; red ticks under the latency of all requests mark seconds "
        "with failed requests (a latency drop there may be fast failures, not an "
        "improvement).</p>\n" +
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

void write_operations(std::string& out, const StageReport& stage, std::size_t number) {
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
    if (stage.operations.size() > k_max_operation_charts) {
        table.set_id("ops-" + std::to_string(number));
    }
    out += "<h3>Operations</h3>\n" + table.render();
}

/// Per value of each response tag (scenario tag_responses), when the stage has any.
void write_tags(std::string& out, const StageReport& stage) {
    std::vector<TagValueRow> rows = stage_tag_rows(stage);
    if (rows.empty()) {
        return;
    }
    std::vector<std::string> titles = {"Tag", "Value"};
    std::vector<bool> numeric = {false, false};
    for (const TagColumn& column : k_tag_columns) {
        titles.emplace_back(column.heading);
        numeric.push_back(true);
    }
    HtmlTable table(std::move(titles), std::move(numeric));
    for (const auto& row : rows) {
        std::vector<std::string> cells = {esc(row.tag), esc(row.value)};
        for (const TagColumn& column : k_tag_columns) {
            cells.push_back(metric_cell(stage, row.prefix, column.metric, column.unit));
        }
        table.add_row(std::move(cells));
    }
    out += "<h3>By response tag</h3>\n" + table.render();
    if (stage_tags_overflowed(rows)) {
        out += "<p>More than " + std::to_string(k_max_tag_values) +
               " values of a tag: the responses of the others are counted under "
               "<code>other</code>.</p>\n";
    }
}

/// Tables wider than this many columns are written the other way round.
constexpr std::size_t k_max_columns = 12;

// Parallel to the other reporter's write_failure_samples (HTML / Markdown): the groups come from
// one failure_groups(); only the markup differs, and each reporter keeps its own.
void write_failure_samples(std::string& out, const StageReport& stage) {
    std::vector<FailureGroup> groups = failure_groups(stage);
    if (groups.empty()) {
        return;
    }
    out += "<h4>Failure samples</h4>\n<ul class=\"samples\">\n";
    for (const auto& group : groups) {
        out += "<li><strong>" + esc(group.operation) + "</strong>, " + esc(group.error) +
               (group.status != 0 ? ", HTTP " + std::to_string(group.status) : std::string()) +
               "<ul>\n";
        for (const auto& body : group.bodies) {
            out += "<li><code>" + esc(body) + "</code></li>\n";
        }
        out += "</ul></li>\n";
    }
    out += "</ul>\n";
}

void write_errors(std::string& out, const StageReport& stage) {
    std::vector<std::string> kinds = error_kinds_seen(stage);
    if (kinds.empty()) {
        return;
    }
    if (stage.operations.size() + 2 <= k_max_columns) {
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
    } else {
        // Many operations: one row per operation (those with errors), one column per kind.
        std::vector<std::string> titles = {"Operation"};
        titles.insert(titles.end(), kinds.begin(), kinds.end());
        std::vector<bool> numeric(titles.size(), true);
        numeric[0] = false;
        HtmlTable table(std::move(titles), std::move(numeric));
        std::vector<std::string> rows = {std::string()};
        rows.insert(rows.end(), stage.operations.begin(), stage.operations.end());
        for (const auto& op : rows) {
            if (!op.empty() && stage_metric(stage, op, "errors").value_or(0) == 0) {
                continue;
            }
            std::vector<std::string> cells = {op.empty() ? std::string("<strong>all</strong>")
                                                         : esc(op)};
            for (const auto& kind : kinds) {
                cells.push_back(metric_cell(stage, op, "errors." + kind, MetricUnit::count));
            }
            table.add_row(std::move(cells));
        }
        out += "<h3>Errors by kind</h3>\n" + table.render();
    }
    write_failure_samples(out, stage);
}

// Mean time per phase as stacked bars, per operation (the charted ones) and in total.
void write_timing_bars(std::string& out, const StageReport& stage) {
    std::vector<std::string> phases = timing_phases_seen(stage);
    if (phases.empty()) {
        return;
    }
    std::vector<std::string> rows = {std::string()};
    if (stage.operations.size() > 1) {
        std::vector<std::string> ops = stage.operations;
        std::stable_sort(ops.begin(), ops.end(), [&](const auto& a, const auto& b) {
            return stage_metric(stage, a, "requests").value_or(0) >
                   stage_metric(stage, b, "requests").value_or(0);
        });
        ops.resize(std::min(ops.size(), k_max_operation_charts));
        rows.insert(rows.end(), ops.begin(), ops.end());
    }
    double widest = 0;
    for (const auto& op : rows) {
        double sum = 0;
        for (const auto& phase : phases) {
            sum += stage_metric(stage, op, "timing." + phase).value_or(0);
        }
        widest = std::max(widest, sum);
    }
    if (widest <= 0) {
        return;
    }
    out += "<h3>Timing breakdown</h3>\n<p class=\"key muted\">Mean per request:";
    for (std::size_t i = 0; i < phases.size(); ++i) {
        out += "<span class=\"ph" + std::to_string(i % 6) + "\"></span>" + esc(phases[i]);
    }
    out += "</p>\n<div class=\"bars\">\n";
    for (const auto& op : rows) {
        double sum = 0;
        std::string bar;
        for (std::size_t i = 0; i < phases.size(); ++i) {
            double v = stage_metric(stage, op, "timing." + phases[i]).value_or(0);
            sum += v;
            if (v <= 0) {
                continue;
            }
            const std::string width = fmt::format("{:.2f}%", v / widest * 100);
            bar += "<span class=\"ph" + std::to_string(i % 6) + "\" style=\"width:" + width +
                   "\" title=\"" + esc(phases[i] + " " + format_ms(v)) + "\"></span>";
        }
        out += "<span>" + (op.empty() ? std::string("<strong>all</strong>") : esc(op)) +
               "</span><div class=\"bar\">" + bar + "</div><span class=\"num\">" +
               esc(format_ms(sum)) + "</span>\n";
    }
    out += "</div>\n";
}

std::vector<std::pair<std::string, std::string>> health_fields(const HealthSample& sample) {
    std::vector<std::pair<std::string, std::string>> fields;
    fields.emplace_back("HTTP status", sample.status == 0 ? std::string("no answer")
                                                          : std::to_string(sample.status));
    std::function<void(const nlohmann::json&, const std::string&)> flatten =
        [&](const nlohmann::json& value, const std::string& path) {
            if (value.is_object()) {
                for (auto it = value.begin(); it != value.end(); ++it) {
                    flatten(it.value(), path.empty() ? it.key() : path + "." + it.key());
                }
                return;
            }
            std::string text =
                value.is_string() ? value.get<std::string>()
                : value.is_number()
                    ? format_trimmed(value.get<double>(), 3)
                    : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            fields.emplace_back(path.empty() ? "(body)" : path, text);
        };
    if (!sample.body->is_null()) {
        flatten(*sample.body, "");
    }
    return fields;
}

void write_backend(std::string& out, const StageReport& stage) {
    if (stage.health_before || stage.health_after) {
        auto before = stage.health_before ? health_fields(*stage.health_before)
                                          : std::vector<std::pair<std::string, std::string>>{};
        auto after = stage.health_after ? health_fields(*stage.health_after)
                                        : std::vector<std::pair<std::string, std::string>>{};
        std::vector<std::string> names;
        for (const auto* list : {&before, &after}) {
            for (const auto& field : *list) {
                if (std::find(names.begin(), names.end(), field.first) == names.end()) {
                    names.push_back(field.first);
                }
            }
        }
        auto value = [](const auto& list, const std::string& name) {
            for (const auto& field : list) {
                if (field.first == name) {
                    return esc(field.second);
                }
            }
            return std::string(k_dash);
        };
        HtmlTable health({"Health field", "Before", "After"}, {false, true, true});
        for (const auto& name : names) {
            health.add_row({name == "HTTP status" ? esc(name) : "<code>" + esc(name) + "</code>",
                            value(before, name), value(after, name)});
        }
        out += "<h3>Health before and after</h3>\n" + health.render();
    }
    HtmlTable table({"Backend", "Value"}, {false, true});
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

void write_checklist(std::string& out, const StageReport& stage, const StageReport* previous) {
    std::vector<CauseCheck> checks = cause_checklist(stage, previous);
    // Little's law, the last check, also as one line of its own.
    const CauseCheck& generator = checks.back();
    out += "<p class=\"littles-law\"><strong>Little's law:</strong> " + esc(generator.evidence) +
           (generator.seen ? ": the load generator, not the server, limited throughput."
                           : ": the server, not the generator, set the throughput.") +
           "</p>\n";
    HtmlTable table({"Known cause", "Seen", "Evidence"}, {false, false, false});
    for (const auto& check : checks) {
        table.add_row(
            {esc(check.cause),
             check.seen ? "<span class=\"badge v-fail\">seen</span>" : std::string("not seen"),
             esc(check.evidence)});
    }
    out += "<h3>Root-cause checklist</h3>\n" + table.render();
}

void write_next_stage(std::string& out, const RunReport& report, std::size_t index) {
    auto outlook = next_stage_outlook(report, index);
    if (!outlook) {
        return;
    }
    out += "<h3>Next stage: " + esc(report.stages[index + 1].name) + "</h3>\n<p>Load " +
           esc(outlook->load) + ". <strong>" + esc(outlook->verdict) +
           "</strong>: " + esc(outlook->reasoning) + "</p>\n";
}

void write_stage(std::string& out, const RunReport& report, std::size_t index) {
    const StageReport& stage = report.stages[index];
    std::size_t number = index + 1;
    const StageReport* previous = nullptr;
    for (std::size_t i = index; i-- > 0;) {
        if (stage_ran(report.stages[i])) {
            previous = &report.stages[i];
            break;
        }
    }
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
    out += "<p>" + esc(stage_summary(stage)) + "</p>\n";
    if (!stage.reason.empty()) {
        out += "<p>" + esc(stage.reason) + "</p>\n";
    }
    out += "<p class=\"muted\">Load " + esc(format_load(stage)) + "; ran " +
           esc(format_seconds(stage.duration_s)) +
           (stage.started_at.empty() ? std::string() : " from " + esc(stage.started_at)) +
           ".</p>\n";
    write_criteria(out, stage);
    write_operations(out, stage, number);
    write_tags(out, stage);
    write_timing_bars(out, stage);
    write_errors(out, stage);
    write_backend(out, stage);
    write_checklist(out, stage, previous);
    if (!stage.hints.empty()) {
        out += "<h3>Root-cause hints</h3>\n<ul>\n";
        for (const auto& hint : stage.hints) {
            out += "<li>" + esc(hint) + "</li>\n";
        }
        out += "</ul>\n";
    }
    write_next_stage(out, report, index);
    out += "</section>\n";
}

// The verdict at a glance, before anything else: highest passed stage, the first failed
// criterion, the top hint, what to do next.
void write_summary_card(std::string& out, const RunReport& report) {
    out += "<section class=\"card\" id=\"summary-card\">\n<dl>\n";
    auto item = [&](std::string_view term, const std::string& html) {
        out += "<dt>" + esc(term) + "</dt><dd>" + html + "</dd>\n";
    };
    item("Verdict", badge(report.verdict) + " exit code " + std::to_string(report.exit_code));
    item("Highest passed stage",
         report.highest_passed_stage.empty() ? "none" : esc(report.highest_passed_stage));
    std::vector<FailedCriterion> failed = failed_criteria(report);
    if (!failed.empty()) {
        const CriterionResult& r = *failed.front().result;
        std::string distance = format_distance(r);
        item("First failed criterion",
             esc(failed.front().stage->name) + ": <code>" + esc(r.criterion.expr) + "</code> " +
                 esc(format_actual(r)) + (distance.empty() ? "" : " (" + esc(distance) + ")"));
    }
    const std::string* hint = nullptr;
    for (const auto& stage : report.stages) {
        if (!stage.hints.empty() && (hint == nullptr || stage.verdict != Verdict::pass)) {
            hint = &stage.hints.front();
            if (stage.verdict != Verdict::pass) {
                break;
            }
        }
    }
    if (hint != nullptr) {
        item("Top hint", esc(*hint));
    }
    if (!report.recommendation.empty()) {
        item("Next", esc(report.recommendation));
    }
    out += "</dl>\n</section>\n";
}

void write_failed_criteria(std::string& out, const RunReport& report) {
    std::vector<FailedCriterion> failed = failed_criteria(report);
    if (failed.empty()) {
        return;
    }
    HtmlTable table({"Stage", "Criterion", "Target", "Actual", "Distance"},
                    {false, false, true, true, false});
    for (const auto& f : failed) {
        table.add_row({esc(f.stage->name), "<code>" + esc(f.result->criterion.expr) + "</code>",
                       esc(format_target(f.result->criterion)), esc(format_actual(*f.result)),
                       esc(format_distance(*f.result))});
    }
    out += "<h2>Failed criteria</h2>\n" + table.render();
}

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class HtmlReporter final : public Reporter {
  public:
    std::string_view format() const override { return "html"; }
    std::string_view summary() const override {
        return "one self-contained page with charts (report.html)";
    }
    std::string_view file_name() const override { return "report.html"; }

    std::string render(const RunReport& report) const override {
        std::string name = report.pipeline_name.empty() ? "stagegate run" : report.pipeline_name;
        std::string verdict(to_string(report.verdict));
        bool sortable = std::any_of(report.stages.begin(), report.stages.end(), [](const auto& s) {
            return stage_ran(s) && s.operations.size() > k_max_operation_charts;
        });
        std::string out =
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            // Nothing may be fetched: the page must read the same offline and in an archive.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'" +
            (sortable ? "; script-src '" + std::string(k_sort_script_hash) + "'" : std::string()) +
            "\">\n"
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
        write_summary_card(out, report);
        write_failed_criteria(out, report);
        out += "<h2>Summary</h2>\n";
        write_summary(out, report);
        if (!report.stages.empty()) {
            out += "<h2>Stages</h2>\n";
            write_stage_table(out, report);
        }
        if (!report.hooks.empty()) {
            out +=
                "<h2>Hooks</h2>\n<p class=\"muted\">In the order they ran; their output is in "
                "hooks.log.</p>\n<ul>\n";
            for (const auto& hook : report.hooks) {
                out += "<li>" + esc(format_hook(hook)) + "</li>\n";
            }
            out += "</ul>\n";
        }
        write_charts(out, report);
        for (std::size_t i = 0; i < report.stages.size(); ++i) {
            write_stage(out, report, i);
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
        if (sortable) {
            out += "<script>" + std::string(k_sort_script) + "</script>\n";
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
