// A small inline SVG line chart for report.html: the stages laid end to end on a shared
// time axis, each cooldown drawn as a shaded gap before its stage, the stage boundaries
// marked and named (names thinned where they would overlap), time ticks at round intervals,
// one or more named lines (p50/p95/p99, ...) and dashed threshold lines for criteria. No
// script, no external resources; colours come from the page's CSS variables so light and
// dark themes both work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::html {

// --- Interface ---

/// (seconds since the stage started, value); a missing value breaks the line.
using ChartPoints = std::vector<std::pair<double, std::optional<double>>>;

/// A criterion's limit, drawn dashed across its stage.
struct ChartThreshold {
    double value = 0;
    std::string label;  ///< plain text, e.g. "p95 < 250 ms"
};

/// One stage's part of a chart.
struct ChartSegment {
    std::string label;    ///< stage name (plain text; escaped when drawn)
    double length_s = 0;  ///< the stage's length on the time axis
    /// Cooldown before the stage, drawn as a shaded gap (not before the first segment).
    double cooldown_s = 0;
    std::vector<ChartPoints> lines;  ///< line i is the chart's line i (same order everywhere)
    std::vector<ChartThreshold> thresholds;
    /// Moments with failed requests (seconds since the stage started, tooltip): drawn as
    /// red ticks along the bottom, so a latency drop during a wave of fast failures (429s)
    /// does not read as an improvement.
    std::vector<std::pair<double, std::string>> failure_marks;
};

/// How a line is drawn: `normal` in the chart's colour for its index (CSS class `s(i % 4)`),
/// `failure` dashed in the warning colour (class `sfail`), for a series of failed requests.
enum class LineStyle : std::uint8_t { normal, failure };

struct ChartOptions {
    /// Keep the body of the distribution readable: when a few values lie far above the
    /// rest (max > 3x the 95th percentile of the values), the axis ends near the body and
    /// the values above it are drawn at the top edge, marked and titled with their value.
    bool clamp_spikes = false;
    /// Style of line i; lines past the end are `normal`.
    std::vector<LineStyle> line_styles;
};

/// The chart as an <svg> element, or "" when no segment has a value. `title` is plain
/// text (the accessible name); `line_names` label the lines in a legend (none drawn for
/// a single line); line i is drawn with CSS class `s(i % 4)` (or as its
/// options.line_styles entry says); `format_value` labels the
/// y axis (keep it short: "108k/s").
std::string line_chart(std::string_view title, const std::vector<std::string>& line_names,
                       const std::vector<ChartSegment>& segments,
                       std::string (*format_value)(double), ChartOptions options = {});

/// The tick interval (seconds) for a time axis of `total_s` seconds: a round value (1, 2,
/// 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h, ...) giving at most `max_ticks` ticks,
/// 10 s whenever that fits.
double time_tick_interval(double total_s, int max_ticks);

/// A short axis number with k/M suffixes, 3 significant digits: 107514.2 -> "108k",
/// 2500000 -> "2.5M", 0.25 -> "0.25".
std::string compact_number(double value);

}  // namespace orch::html
