// A small inline SVG line chart for report.html: the stages laid end to end on a shared
// time axis, each cooldown drawn as a shaded gap before its stage, the stage boundaries
// marked, one or more named lines (p50/p95/p99, ...). No script, no external resources;
// colours come from the page's CSS variables so light and dark themes both work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::html {

// --- Interface ---

/// (seconds since the stage started, value); a missing value breaks the line.
using ChartPoints = std::vector<std::pair<double, std::optional<double>>>;

/// One stage's part of a chart.
struct ChartSegment {
    std::string label;    ///< stage name (plain text; escaped when drawn)
    double length_s = 0;  ///< the stage's length on the time axis
    /// Cooldown before the stage, drawn as a shaded gap (not before the first segment).
    double cooldown_s = 0;
    std::vector<ChartPoints> lines;  ///< line i is the chart's line i (same order everywhere)
};

/// The chart as an <svg> element, or "" when no segment has a value. `title` is plain
/// text (the accessible name); `line_names` label the lines in a legend (none drawn for
/// a single line); line i is drawn with CSS class `s(i % 4)`; `format_value` labels the
/// y axis.
std::string line_chart(std::string_view title, const std::vector<std::string>& line_names,
                       const std::vector<ChartSegment>& segments,
                       std::string (*format_value)(double));

}  // namespace orch::html
