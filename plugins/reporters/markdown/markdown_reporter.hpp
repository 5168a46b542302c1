// The Markdown reporter: report.md, the report a person reads (and the GitHub step
// summary). Measured numbers only: summary, stage table, and per stage its criteria,
// operations, latency distribution, errors by kind, HTTP timing, backend and hints.
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `report.md` (format "md"): GitHub-flavoured Markdown.
std::unique_ptr<Reporter> make_markdown_reporter();

}  // namespace orch
