#include "plugins/reporters/html/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/markup_escape.hpp"
#include "report/report_format.hpp"

namespace orch::html {

namespace {

constexpr double k_width = 760;
constexpr double k_height = 220;
constexpr double k_left = 64;
constexpr double k_right = 12;
constexpr double k_top = 34;
constexpr double k_bottom = 26;

std::string number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

double segment_length(const ChartSegment& segment) {
    double length = std::max(segment.length_s, 0.0);
    for (const auto& line : segment.lines) {
        for (const auto& point : line) {
            length = std::max(length, point.first);
        }
    }
    return length;
}

}  // namespace

std::string line_chart(std::string_view title, const std::vector<std::string>& line_names,
                       const std::vector<ChartSegment>& segments,
                       std::string (*format_value)(double)) {
    double total_s = 0;
    double max_value = 0;
    bool any = false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const ChartSegment& segment = segments[i];
        for (const auto& line : segment.lines) {
            for (const auto& [t, value] : line) {
                if (value && std::isfinite(*value)) {
                    any = true;
                    max_value = std::max(max_value, *value);
                }
            }
        }
        total_s += segment_length(segment) + (i > 0 ? std::max(segment.cooldown_s, 0.0) : 0.0);
    }
    if (!any || total_s <= 0) {
        return {};
    }
    double y_max = max_value > 0 ? max_value * 1.1 : 1;
    const double plot_w = k_width - k_left - k_right;
    const double plot_h = k_height - k_top - k_bottom;
    auto x_of = [&](double t) { return k_left + plot_w * std::clamp(t / total_s, 0.0, 1.0); };
    auto y_of = [&](double v) { return k_top + plot_h * (1 - std::clamp(v / y_max, 0.0, 1.0)); };

    std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + number(k_width) + " " +
                      number(k_height) + "\" role=\"img\" aria-label=\"" +
                      escape_markup(title, MarkupContext::attribute) + "\">\n";
    svg += "<title>" + escape_markup(title) + "</title>\n";
    // Grid and y labels at 0, half and full scale.
    for (double fraction : {0.0, 0.5, 1.0}) {
        double y = y_of(y_max * fraction);
        svg += "<line class=\"grid\" x1=\"" + number(k_left) + "\" y1=\"" + number(y) + "\" x2=\"" +
               number(k_width - k_right) + "\" y2=\"" + number(y) + "\"/>\n";
        svg += "<text class=\"axis\" x=\"" + number(k_left - 6) + "\" y=\"" + number(y + 4) +
               "\" text-anchor=\"end\">" + escape_markup(format_value(y_max * fraction)) +
               "</text>\n";
    }
    // Legend, right-aligned on the top line, when there is more than one line.
    if (line_names.size() > 1) {
        double x = k_width - k_right;
        for (std::size_t i = line_names.size(); i-- > 0;) {
            std::string name = escape_markup(line_names[i]);
            svg += "<text class=\"legend s" + std::to_string(i % 4) + "\" x=\"" + number(x) +
                   "\" y=\"11\" text-anchor=\"end\">\u25AC " + name + "</text>\n";
            x -= 30 + 8.0 * static_cast<double>(line_names[i].size());
        }
    }
    double offset = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const ChartSegment& segment = segments[i];
        if (i > 0 && segment.cooldown_s > 0) {
            double c0 = x_of(offset);
            double c1 = x_of(offset + segment.cooldown_s);
            svg += "<rect class=\"cooldown\" x=\"" + number(c0) + "\" y=\"" + number(k_top) +
                   "\" width=\"" + number(std::max(c1 - c0, 1.0)) + "\" height=\"" +
                   number(plot_h) + "\"><title>cooldown " +
                   escape_markup(format_seconds(segment.cooldown_s)) + "</title></rect>\n";
            offset += segment.cooldown_s;
        }
        double x0 = x_of(offset);
        if (i > 0) {
            svg += "<line class=\"boundary\" x1=\"" + number(x0) + "\" y1=\"" + number(k_top) +
                   "\" x2=\"" + number(x0) + "\" y2=\"" + number(k_height - k_bottom) + "\"/>\n";
        }
        svg += "<text class=\"stage\" x=\"" + number(x0 + 4) + "\" y=\"" + number(k_top - 6) +
               "\">" + escape_markup(segment.label) + "</text>\n";
        for (std::size_t l = 0; l < segment.lines.size(); ++l) {
            // Consecutive values form one polyline; a missing value starts a new one.
            std::string points;
            auto flush = [&] {
                if (!points.empty()) {
                    svg += "<polyline class=\"series s" + std::to_string(l % 4) + "\" points=\"" +
                           points + "\"/>\n";
                    points.clear();
                }
            };
            for (const auto& [t, value] : segment.lines[l]) {
                if (!value || !std::isfinite(*value)) {
                    flush();
                    continue;
                }
                points += (points.empty() ? "" : " ") + number(x_of(offset + t)) + "," +
                          number(y_of(*value));
            }
            flush();
        }
        offset += segment_length(segment);
    }
    svg += "<text class=\"axis\" x=\"" + number(k_left) + "\" y=\"" + number(k_height - 6) +
           "\">0s</text>\n";
    svg += "<text class=\"axis\" x=\"" + number(k_width - k_right) + "\" y=\"" +
           number(k_height - 6) + "\" text-anchor=\"end\">" +
           escape_markup(format_seconds(total_s)) + "</text>\n";
    svg += "</svg>\n";
    return svg;
}

}  // namespace orch::html
