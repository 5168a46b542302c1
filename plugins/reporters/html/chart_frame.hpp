// What the HTML report's SVG charts (svg_chart: the run's time series; capacity_chart: the
// capacity curve) share: the frame of a chart (the SVG's size and the margins around its
// plot area) and how a coordinate is written. Each chart keeps its own frame values.
#pragma once

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace orch::html {

// --- Interface ---

struct ChartFrame {
    double width = 0;  ///< the whole SVG, px
    double height = 0;
    double left = 0;  ///< margins around the plot area, px
    double right = 0;
    double top = 0;
    double bottom = 0;

    double plot_width() const { return width - left - right; }
    double plot_height() const { return height - top - bottom; }
    /// The x of `share` (clamped to 0..1) of the plot area's width, from its left edge.
    double x_at(double share) const { return left + plot_width() * std::clamp(share, 0.0, 1.0); }
    /// The y of `share` (clamped to 0..1) of the plot area's height, from its bottom edge.
    double y_at(double share) const {
        return top + plot_height() * (1 - std::clamp(share, 0.0, 1.0));
    }
};

/// A coordinate or length in an SVG attribute: one decimal.
inline std::string svg_number(double value) {
    return fmt::format("{:.1f}", value);
}

}  // namespace orch::html
