// A small inline SVG line chart for report.html: one line per stage laid end to end on a
// shared time axis, with the stage boundaries marked. No script, no external resources;
// colours come from the page's CSS variables so light and dark themes both work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::html {

// --- Interface ---

/// One stage's part of a chart.
struct ChartSegment {
    std::string label;    ///< stage name (plain text; escaped when drawn)
    double length_s = 0;  ///< the stage's length on the time axis
    /// (seconds since the stage started, value); a missing value breaks the line.
    std::vector<std::pair<double, std::optional<double>>> points;
};

/// The chart as an <svg> element, or "" when no segment has a value. `title` is plain
/// text (the accessible name); `format_value` labels the y axis.
std::string line_chart(std::string_view title, const std::vector<ChartSegment>& segments,
                       std::string (*format_value)(double));

}  // namespace orch::html
