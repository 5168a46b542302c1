#include "plugins/executors/command/command_config.hpp"

#include "config/yaml_reader.hpp"
#include "plugin/tool_executor.hpp"

namespace orch {

// Each executor reads its own `scenario:` keys (issue 16: an executor is its folder plus one
// registry line), so its section reader has the shape of every other executor's.
ExecutorSection command_section() {
    ExecutorSection section;
    section.name = "command";
    section.keys = {"command"};
    section.required = {{"command", "the command executor runs a program: command: [prog, arg]"}};
    section.read = [](const ExecutorSectionInput& in) -> std::shared_ptr<const ExecutorConfig> {
        auto config = std::make_shared<CommandConfig>();
        if (auto v = in.scenario.get("command")) {
            if (auto command = in.reader.string_list(
                    *v, "command is an argv list, not a shell line: [prog, arg]")) {
                if (command->empty()) {
                    in.reader.error(*v, "is empty (give the program and its arguments)");
                } else {
                    config->command = *command;
                }
            }
        }
        return config;
    };
    return section;
}

std::shared_ptr<const CommandConfig> command_config(const Pipeline& pipeline) {
    return executor_config_or_default<CommandConfig>(pipeline);
}

}  // namespace orch
