#include "plugins/executors/command/command_env.hpp"

#include "plugin/tool_run.hpp"

namespace orch {

std::vector<std::pair<std::string, std::string>> command_environment(
    const Pipeline& pipeline, const StageSpec& stage, const std::filesystem::path& result_file,
    const std::filesystem::path& out_dir) {
    auto env = stage_environment(pipeline, stage);
    env.emplace_back("STAGEGATE_RESULT_FILE", result_file.string());
    env.emplace_back("STAGEGATE_OUT_DIR", out_dir.string());
    return env;
}

}  // namespace orch
