#include "plugins/reporters/html/svg_chart.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "plugins/reporters/html/chart_frame.hpp"
#include "report/markup_escape.hpp"
#include "report/report_format.hpp"

namespace orch::html {

namespace {

constexpr ChartFrame k_timeline_frame{1200, 260, 72,
                                      16,   40,  30};  // size; margins left, right, top, bottom
/// Rough width of one character of an 11 px label, for overlap checks.
constexpr double k_char_px = 6.6;

double segment_length(const ChartSegment& segment) {
    double length = std::max(segment.length_s, 0.0);
    for (const auto& line : segment.lines) {
        for (const auto& point : line) {
            length = std::max(length, point.first);
        }
    }
    return length;
}

double label_width(std::string_view text) {
    double chars = 0;
    for (unsigned char c : text) {
        chars += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    return chars * k_char_px;
}

// "1m 30s" style, but "1m" and "15m" for whole minutes, "2h" for whole hours.
std::string tick_label(double seconds) {
    return format_seconds(seconds);
}

// The smallest 1, 2, 2.5 or 5 x 10^k at or above `value`: axis labels read round.
double nice_ceiling(double value) {
    double power = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (step * power >= value * (1 - 1e-12)) {
            return step * power;
        }
    }
    return 10 * power;
}

}  // namespace

double time_tick_interval(double total_s, int max_ticks) {
    static constexpr double k_steps[] = {1,   2,   5,    10,   15,   30,    60,    120,   300,
                                         600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    max_ticks = std::max(max_ticks, 1);
    // 10 s when it fits; otherwise the smallest round step that does.
    if (total_s / 10 <= max_ticks && total_s >= 10) {
        return 10;
    }
    for (double step : k_steps) {
        if (total_s / step <= max_ticks) {
            return step;
        }
    }
    return std::ceil(total_s / max_ticks / 86400) * 86400;
}

std::string compact_number(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    double magnitude = std::fabs(value);
    if (magnitude >= 999.5e3) {
        return format_significant(value / 1e6) + "M";
    }
    if (magnitude >= 999.5) {
        return format_significant(value / 1e3) + "k";
    }
    return format_significant(value);
}

std::string line_chart(std::string_view title, const std::vector<std::string>& line_names,
                       const std::vector<ChartSegment>& segments,
                       std::string (*format_value)(double), ChartOptions options) {
    double total_s = 0;
    std::vector<double> values;
    double threshold_max = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const ChartSegment& segment = segments[i];
        for (const auto& line : segment.lines) {
            for (const auto& [t, value] : line) {
                if (value && std::isfinite(*value)) {
                    values.push_back(*value);
                }
            }
        }
        for (const auto& threshold : segment.thresholds) {
            if (std::isfinite(threshold.value)) {
                threshold_max = std::max(threshold_max, threshold.value);
            }
        }
        total_s += segment_length(segment) + (i > 0 ? std::max(segment.cooldown_s, 0.0) : 0.0);
    }
    if (values.empty() || total_s <= 0) {
        return {};
    }
    double max_value = *std::max_element(values.begin(), values.end());
    double body_max = max_value;
    bool clamped = false;
    if (options.clamp_spikes && values.size() >= 20) {
        std::vector<double> sorted = values;
        auto at = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() * 95 / 100);
        std::nth_element(sorted.begin(), at, sorted.end());
        double p95 = *at;
        if (p95 > 0 && max_value > 3 * p95) {
            body_max = p95 * 1.5;
            clamped = true;
        }
    }
    // A limit within reach of the data is drawn; one far above it would flatten the data.
    double top = body_max;
    if (threshold_max > 0 && threshold_max <= 3 * std::max(body_max, 1e-9)) {
        top = std::max(top, threshold_max);
    }
    double y_max = nice_ceiling(top > 0 ? top * 1.05 : 1);
    const double plot_w = k_timeline_frame.plot_width();
    const double plot_h = k_timeline_frame.plot_height();
    auto x_of = [&](double t) { return k_timeline_frame.x_at(t / total_s); };
    auto y_of = [&](double v) { return k_timeline_frame.y_at(v / y_max); };

    std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + svg_number(k_timeline_frame.width) +
                      " " + svg_number(k_timeline_frame.height) + "\" role=\"img\" aria-label=\"" +
                      escape_markup(title, MarkupContext::attribute) + "\">\n";
    svg += "<title>" + escape_markup(title) + "</title>\n";
    // Grid and y labels at 0, a quarter, half, three quarters and full scale.
    for (double fraction : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        double y = y_of(y_max * fraction);
        svg += "<line class=\"grid\" x1=\"" + svg_number(k_timeline_frame.left) + "\" y1=\"" +
               svg_number(y) + "\" x2=\"" +
               svg_number(k_timeline_frame.width - k_timeline_frame.right) + "\" y2=\"" +
               svg_number(y) + "\"/>\n";
        svg += "<text class=\"axis\" x=\"" + svg_number(k_timeline_frame.left - 6) + "\" y=\"" +
               svg_number(y + 4) + "\" text-anchor=\"end\">" +
               escape_markup(format_value(y_max * fraction)) + "</text>\n";
    }
    // Line i's colour class: s0..s3 by index, or sfail for a series of failed requests.
    auto colour_of = [&options](std::size_t i) -> std::string {
        if (i < options.line_styles.size() && options.line_styles[i] == LineStyle::failure) {
            return "sfail";
        }
        return "s" + std::to_string(i % 4);
    };
    // Legend, right-aligned on the top line, when there is more than one line.
    if (line_names.size() > 1) {
        double x = k_timeline_frame.width - k_timeline_frame.right;
        for (std::size_t i = line_names.size(); i-- > 0;) {
            std::string name = escape_markup(line_names[i]);
            std::string colour = colour_of(i);
            // A dashed key for a dashed line.
            std::string_view key = colour == "sfail" ? "\u2505" : "\u25AC";
            svg += "<text class=\"legend " + colour + "\" x=\"" + svg_number(x) +
                   "\" y=\"12\" text-anchor=\"end\">" + std::string(key) + " " + name + "</text>\n";
            x -= 30 + k_char_px * static_cast<double>(line_names[i].size());
        }
    }
    if (clamped) {
        svg += "<text class=\"axis\" x=\"" + svg_number(k_timeline_frame.left) +
               "\" y=\"12\">\u25B2 spikes above the axis, drawn at its top</text>\n";
    }
    // Time ticks at round intervals, on the whole axis (cooldowns included).
    double step = time_tick_interval(total_s, static_cast<int>(plot_w / 60));
    for (double t = 0; t <= total_s + 1e-9; t += step) {
        double x = x_of(t);
        svg += "<line class=\"tick\" x1=\"" + svg_number(x) + "\" y1=\"" +
               svg_number(k_timeline_frame.height - k_timeline_frame.bottom) + "\" x2=\"" +
               svg_number(x) + "\" y2=\"" +
               svg_number(k_timeline_frame.height - k_timeline_frame.bottom + 4) + "\"/>\n";
        std::string anchor =
            t == 0 ? "start"
                   : (x > k_timeline_frame.width - k_timeline_frame.right - 30 ? "end" : "middle");
        svg += "<text class=\"axis\" x=\"" + svg_number(x) + "\" y=\"" +
               svg_number(k_timeline_frame.height - 10) + "\" text-anchor=\"" + anchor + "\">" +
               escape_markup(tick_label(t)) + "</text>\n";
    }
    double offset = 0;
    double label_end = -1;  // right edge of the last stage name drawn
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const ChartSegment& segment = segments[i];
        if (i > 0 && segment.cooldown_s > 0) {
            double c0 = x_of(offset);
            double c1 = x_of(offset + segment.cooldown_s);
            svg += "<rect class=\"cooldown\" x=\"" + svg_number(c0) + "\" y=\"" +
                   svg_number(k_timeline_frame.top) + "\" width=\"" +
                   svg_number(std::max(c1 - c0, 1.0)) + "\" height=\"" + svg_number(plot_h) +
                   "\"><title>cooldown " + escape_markup(format_seconds(segment.cooldown_s)) +
                   "</title></rect>\n";
            offset += segment.cooldown_s;
        }
        double x0 = x_of(offset);
        double x1 = x_of(offset + segment_length(segment));
        if (i > 0) {
            svg += "<line class=\"boundary\" x1=\"" + svg_number(x0) + "\" y1=\"" +
                   svg_number(k_timeline_frame.top) + "\" x2=\"" + svg_number(x0) + "\" y2=\"" +
                   svg_number(k_timeline_frame.height - k_timeline_frame.bottom) + "\"><title>" +
                   escape_markup(segment.label) + "</title></line>\n";
        }
        // Names that would overlap the previous one are left out (the boundary keeps the
        // name as its tooltip); one too long for the chart's right edge ends there.
        double width = label_width(segment.label);
        double lx = x0 + 4;
        if (lx > label_end + 8 && lx + width <= k_timeline_frame.width - k_timeline_frame.right) {
            svg += "<text class=\"stage\" x=\"" + svg_number(lx) + "\" y=\"" +
                   svg_number(k_timeline_frame.top - 8) + "\">" + escape_markup(segment.label) +
                   "</text>\n";
            label_end = lx + width;
        }
        for (const auto& threshold : segment.thresholds) {
            if (!std::isfinite(threshold.value) || threshold.value > y_max) {
                continue;
            }
            double y = y_of(threshold.value);
            svg += "<line class=\"threshold\" x1=\"" + svg_number(x0) + "\" y1=\"" + svg_number(y) +
                   "\" x2=\"" + svg_number(x1) + "\" y2=\"" + svg_number(y) + "\"><title>" +
                   escape_markup(threshold.label) + "</title></line>\n";
        }
        for (const auto& [t, text] : segment.failure_marks) {
            double x = x_of(offset + t);
            svg += "<line class=\"failmark\" x1=\"" + svg_number(x) + "\" y1=\"" +
                   svg_number(k_timeline_frame.height - k_timeline_frame.bottom - 7) + "\" x2=\"" +
                   svg_number(x) + "\" y2=\"" +
                   svg_number(k_timeline_frame.height - k_timeline_frame.bottom) + "\"><title>" +
                   escape_markup(text) + "</title></line>\n";
        }
        for (std::size_t l = 0; l < segment.lines.size(); ++l) {
            // Consecutive values form one polyline; a missing value starts a new one.
            std::string points;
            std::string marks;
            auto flush = [&] {
                if (!points.empty()) {
                    svg += "<polyline class=\"series " + colour_of(l) + "\" points=\"" + points +
                           "\"/>\n";
                    points.clear();
                }
            };
            for (const auto& [t, value] : segment.lines[l]) {
                if (!value || !std::isfinite(*value)) {
                    flush();
                    continue;
                }
                double x = x_of(offset + t);
                points +=
                    (points.empty() ? "" : " ") + svg_number(x) + "," + svg_number(y_of(*value));
                if (clamped && *value > y_max) {
                    marks += "<text class=\"spike " + colour_of(l) + "\" x=\"" + svg_number(x) +
                             "\" y=\"" + svg_number(k_timeline_frame.top + 4) +
                             "\" text-anchor=\"middle\">\u25B2<title>" +
                             escape_markup(format_value(*value)) + "</title></text>\n";
                }
            }
            flush();
            svg += marks;
        }
        offset += segment_length(segment);
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace orch::html
