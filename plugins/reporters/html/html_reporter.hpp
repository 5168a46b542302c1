// The HTML reporter: report.html, one self-contained page (inline CSS and SVG, no script,
// nothing loaded from the network) with the verdict, stage table, criteria, operations
// and charts of rps and p95 across the run. Follows the reader's light/dark preference.
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `report.html` (format "html").
std::unique_ptr<Reporter> make_html_reporter();

}  // namespace orch
