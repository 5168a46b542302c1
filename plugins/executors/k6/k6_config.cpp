#include "plugins/executors/k6/k6_config.hpp"

#include "config/yaml_reader.hpp"
#include "plugin/tool_executor.hpp"

namespace orch {

// Each executor reads its own `scenario:` keys (issue 16: an executor is its folder plus one
// registry line), so its section reader has the shape of every other executor's.
ExecutorSection k6_section() {
    ExecutorSection section;
    section.name = "k6";
    section.keys = {"script", "binary", "operation_tag", "extra_args"};
    section.required = {{"script", "the k6 executor runs a script, e.g. script: load/chat.js"}};
    section.read = [](const ExecutorSectionInput& in) -> std::shared_ptr<const ExecutorConfig> {
        auto config = std::make_shared<K6Config>();
        if (auto v = in.scenario.get("script")) {
            if (auto script = in.reader.non_empty_text(*v)) {
                config->script = resolve_relative(in.base_dir, *script);
            }
        }
        if (auto v = in.scenario.get("binary")) {
            if (auto binary = in.reader.non_empty_text(*v)) {
                config->binary = *binary;
            }
        }
        if (auto v = in.scenario.get("operation_tag")) {
            if (auto tag = in.reader.non_empty_text(*v)) {
                config->operation_tag = *tag;
            }
        }
        if (auto v = in.scenario.get("extra_args")) {
            if (auto args = in.reader.string_list(*v, "extra_args is a list: [--flag, value]")) {
                config->extra_args = *args;
            }
        }
        return config;
    };
    return section;
}

std::shared_ptr<const K6Config> k6_config(const Pipeline& pipeline) {
    return executor_config_or_default<K6Config>(pipeline);
}

}  // namespace orch
