// The builtin executor: stagegate's own HTTP load engine (closed model: VUs with ramps and
// think time; open model: a fixed or ramping arrival rate, latency counted from each
// request's scheduled time). The CLI registers it under "builtin".
#pragma once

#include <memory>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "plugin/executor.hpp"

namespace orch {

// --- Interface ---

/// Compiles `pipeline`'s scenario for the engine. Errors (invalid_input): no operation,
/// weights all zero, a regex or JSON pointer that does not compile.
Result<std::unique_ptr<Executor>> make_builtin_executor(const Pipeline& pipeline);

/// The builtin executor for the registry: no `scenario:` keys of its own; it sends the
/// operations.
ExecutorPlugin builtin_executor_plugin();

}  // namespace orch
