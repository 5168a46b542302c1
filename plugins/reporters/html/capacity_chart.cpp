#include "plugins/reporters/html/capacity_chart.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>

#include "plugins/reporters/html/chart_frame.hpp"
#include "report/capacity.hpp"
#include "report/markup_escape.hpp"
#include "report/report_format.hpp"

namespace orch::html {

namespace {

constexpr ChartFrame k_capacity_frame{760, 260, 64,
                                      12,  20,  34};  // size; margins left, right, top, bottom
constexpr int k_curve_steps = 120;

std::string esc(std::string_view text) {
    return escape_markup(text);
}

std::string chart(const CapacityAnalysis& a) {
    const UslFit& fit = *a.fit;
    double n_max = 0;
    double x_max = 0;
    for (std::size_t i = 0; i < a.points.size(); ++i) {
        n_max = std::max(n_max, a.points[i].concurrency);
        x_max = std::max({x_max, a.points[i].throughput, a.fitted[i]});
    }
    // Show the peak when it is within three times the largest stage; the curve beyond
    // that is too far from any measurement to draw.
    double n_axis = n_max * 1.25;
    if (a.peak_concurrency && *a.peak_concurrency < 3 * n_max) {
        n_axis = std::max(n_axis, *a.peak_concurrency * 1.25);
    }
    if (a.next_stage && !a.next_stage->open_model) {
        n_axis = std::max(n_axis, a.next_stage->vus * 1.1);
    }
    for (int s = 0; s <= k_curve_steps; ++s) {
        x_max = std::max(x_max, usl_throughput(fit, n_axis * s / k_curve_steps));
    }
    double y_max = x_max > 0 ? x_max * 1.1 : 1;
    const double plot_w = k_capacity_frame.plot_width();
    auto x_of = [&](double n) { return k_capacity_frame.x_at(n / n_axis); };
    auto y_of = [&](double v) { return k_capacity_frame.y_at(v / y_max); };

    const std::string title = "Throughput against concurrency: measured stages and the USL fit";
    std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + svg_number(k_capacity_frame.width) +
                      " " + svg_number(k_capacity_frame.height) + "\" role=\"img\" aria-label=\"" +
                      escape_markup(title, MarkupContext::attribute) + "\">\n<title>" + esc(title) +
                      "</title>\n";
    for (double fraction : {0.0, 0.5, 1.0}) {
        double y = y_of(y_max * fraction);
        svg += "<line class=\"grid\" x1=\"" + svg_number(k_capacity_frame.left) + "\" y1=\"" +
               svg_number(y) + "\" x2=\"" +
               svg_number(k_capacity_frame.width - k_capacity_frame.right) + "\" y2=\"" +
               svg_number(y) + "\"/>\n";
        svg += "<text class=\"axis\" x=\"" + svg_number(k_capacity_frame.left - 6) + "\" y=\"" +
               svg_number(y + 4) + "\" text-anchor=\"end\">" + esc(format_rate(y_max * fraction)) +
               "</text>\n";
    }
    if (a.peak_concurrency && *a.peak_concurrency <= n_axis) {
        double x = x_of(*a.peak_concurrency);
        svg += "<line class=\"boundary peak\" x1=\"" + svg_number(x) + "\" y1=\"" +
               svg_number(k_capacity_frame.top) + "\" x2=\"" + svg_number(x) + "\" y2=\"" +
               svg_number(k_capacity_frame.height - k_capacity_frame.bottom) + "\"/>\n";
        svg += "<text class=\"stage\" x=\"" + svg_number(x + 4) + "\" y=\"" +
               svg_number(k_capacity_frame.top + 12) +
               "\">peak N=" + esc(format_trimmed(*a.peak_concurrency, 1)) + "</text>\n";
    }
    std::string curve;
    for (int s = 0; s <= k_curve_steps; ++s) {
        double n = n_axis * s / k_curve_steps;
        curve += (s == 0 ? "" : " ") + svg_number(x_of(n)) + "," +
                 svg_number(y_of(usl_throughput(fit, n)));
    }
    svg += "<polyline class=\"series s0 usl-fit\" points=\"" + curve + "\"/>\n";
    for (const CapacityPoint& p : a.points) {
        svg += "<circle class=\"measured\" cx=\"" + svg_number(x_of(p.concurrency)) + "\" cy=\"" +
               svg_number(y_of(p.throughput)) + "\" r=\"4\" style=\"fill: var(--s1)\"><title>" +
               esc(p.stage + ": " + format_rate(p.throughput) +
                   " at N=" + format_trimmed(p.concurrency, 2)) +
               "</title></circle>\n";
    }
    svg += "<text class=\"axis\" x=\"" + svg_number(k_capacity_frame.left) + "\" y=\"" +
           svg_number(k_capacity_frame.height - 18) + "\">0</text>\n";
    svg += "<text class=\"axis\" x=\"" +
           svg_number(k_capacity_frame.width - k_capacity_frame.right) + "\" y=\"" +
           svg_number(k_capacity_frame.height - 18) + "\" text-anchor=\"end\">" +
           esc(format_trimmed(n_axis, 1)) + "</text>\n";
    svg += "<text class=\"axis\" x=\"" + svg_number(k_capacity_frame.left + plot_w / 2) +
           "\" y=\"" + svg_number(k_capacity_frame.height - 4) +
           "\" text-anchor=\"middle\">concurrency (line: USL fit, dots: measured "
           "stages)</text>\n";
    svg += "</svg>\n";
    return svg;
}

}  // namespace

std::string capacity_section(const RunReport& report) {
    CapacityAnalysis a = analyse_capacity(report);
    if (a.points.empty()) {
        return {};
    }
    std::string out =
        "<section id=\"capacity\">\n<h2>Capacity</h2>\n<p>" + esc(capacity_summary(a)) + "</p>\n";
    if (a.fit) {
        out += "<div class=\"scroll chart-box\">" + chart(a) + "</div>\n";
    }
    out +=
        "<div class=\"scroll\"><table>\n<thead><tr><th>Stage</th><th "
        "class=\"num\">Concurrency</th><th "
        "class=\"num\">Throughput</th><th class=\"num\">Fitted</th><th>On the curve</th><th "
        "class=\"num\">In flight (Little's law)</th><th class=\"num\">In flight / "
        "VUs</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < a.points.size(); ++i) {
        const CapacityPoint& p = a.points[i];
        auto ratio = littles_law_ratio(p);
        out += "<tr><td>" + esc(p.stage) + "</td><td class=\"num\">" +
               esc(format_trimmed(p.concurrency, 2)) + "</td><td class=\"num\">" +
               esc(format_rate(p.throughput)) + "</td><td class=\"num\">" +
               (a.fit ? esc(format_rate(a.fitted[i])) : "\u2014") + "</td><td>" +
               (a.fit ? esc(to_string(a.positions[i])) : "\u2014") + "</td><td class=\"num\">" +
               esc(format_trimmed(p.in_flight, 2)) + "</td><td class=\"num\">" +
               (ratio ? esc(format_trimmed(*ratio, 2)) : "\u2014") + "</td></tr>\n";
    }
    out +=
        "</tbody>\n</table></div>\n<p class=\"muted\">Throughput counts successful requests per "
        "second. Concurrency is the VUs of a closed-model stage and the measured in flight "
        "(requests per second \u00d7 mean latency) of an open-model one.</p>\n</section>\n";
    return out;
}

}  // namespace orch::html
