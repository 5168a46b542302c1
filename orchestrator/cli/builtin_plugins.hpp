// Registers the executors and reporters that ship with stagegate, by their YAML/CLI names.
// The only place in orchestrator/ that knows plugins/ exists.
#pragma once

#include "plugin/executor.hpp"
#include "plugin/reporter.hpp"

namespace orch::cli {

// --- Interface ---

const ExecutorRegistry& executors();
const ReporterRegistry& reporters();

}  // namespace orch::cli
