// The JSON reporter: results.json, the machine-readable result (`stagegate.results/v1`,
// schemas/results.schema.json), which `stagegate report` and `stagegate compare` read.
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `results.json` (format "json"): to_json(report), indented by 2.
std::unique_ptr<Reporter> make_json_reporter();

}  // namespace orch
