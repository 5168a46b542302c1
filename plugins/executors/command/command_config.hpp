// The command executor's own key of `scenario:` (command, an argv list): its typed config
// and the section the loader asks to read it (config/executor_section.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

struct CommandConfig final : ExecutorConfig {
    std::vector<std::string> command;  ///< argv, no shell; never empty once loaded
};

/// The "command" section: `command` is required.
ExecutorSection command_section();

/// The CommandConfig of `pipeline`; an empty one when it holds none.
std::shared_ptr<const CommandConfig> command_config(const Pipeline& pipeline);

}  // namespace orch
