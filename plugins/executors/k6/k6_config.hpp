// The k6 executor's own keys of `scenario:` (script, binary, operation_tag, extra_args):
// its typed config and the section the loader asks to read them (config/executor_section.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

struct K6Config final : ExecutorConfig {
    std::filesystem::path script;             ///< resolved against the pipeline file's folder
    std::string binary;                       ///< empty: `k6` on PATH
    std::string operation_tag = "operation";  ///< the k6 tag that names the operation
    std::vector<std::string> extra_args;      ///< passed through to `k6 run`
};

/// The "k6" section: `script` is required, the others optional.
ExecutorSection k6_section();

/// The K6Config of `pipeline`; a default one (no script) when it holds none.
std::shared_ptr<const K6Config> k6_config(const Pipeline& pipeline);

}  // namespace orch
