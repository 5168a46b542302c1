// The "Capacity" section of report.html: the USL fit across stages (report/capacity.hpp)
// in words and as an inline SVG chart, throughput against concurrency, the fitted curve
// drawn as a line, each measured stage as a dot, the peak marked. Same look and rules as
// svg_chart.hpp: no script, no external resources, colours from the page's CSS variables.
#pragma once

#include <string>

#include "report/run_report.hpp"

namespace orch::html {

// --- Interface ---

/// "<h2>Capacity</h2>" with the summary, the chart (with a fit) and one row per stage;
/// "" when no stage ran with load.
std::string capacity_section(const RunReport& report);

}  // namespace orch::html
