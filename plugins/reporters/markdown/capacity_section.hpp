// The "Capacity" section of report.md: the USL fit across stages (report/capacity.hpp) in
// words, and one row per measured stage saying where it sits on the fitted curve.
#pragma once

#include <string>

#include "report/run_report.hpp"

namespace orch::markdown {

// --- Interface ---

/// Appends "## Capacity" to `out`: the fit, or why there is none; nothing when no stage
/// ran with load.
void write_capacity(std::string& out, const RunReport& report);

}  // namespace orch::markdown
