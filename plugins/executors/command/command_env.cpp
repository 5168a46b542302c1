#include "plugins/executors/command/command_env.hpp"

#include "config/tls_environment.hpp"
#include "plugin/tool_run.hpp"

namespace orch {

std::vector<std::pair<std::string, std::string>> command_environment(
    const Pipeline& pipeline, const StageSpec& stage, const std::filesystem::path& result_file,
    const std::filesystem::path& out_dir) {
    auto env = stage_environment(pipeline, stage);
    env.emplace_back("STAGEGATE_RESULT_FILE", result_file.string());
    env.emplace_back("STAGEGATE_OUT_DIR", out_dir.string());
    auto tls = tls_tool_environment(pipeline.target);  // target.tls (config/tls_environment.hpp)
    env.insert(env.end(), tls.begin(), tls.end());
    return env;
}

}  // namespace orch
