#include "plugins/executors/command/command_env.hpp"

#include <array>
#include <charconv>

#include "config/tls_environment.hpp"
#include "core/units.hpp"

namespace orch {

namespace {

// Shortest text that reads back the same: 30 -> "30", 0.25 -> "0.25".
std::string number_text(double value) {
    std::array<char, 64> buffer{};
    auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return error == std::errc() ? std::string(buffer.data(), end) : std::string("0");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> command_environment(
    const Pipeline& pipeline, const StageSpec& stage, const std::filesystem::path& result_file,
    const std::filesystem::path& out_dir) {
    const bool open_model = stage.rate.has_value();
    const int vus = open_model ? stage.max_vus : stage.vus;
    std::vector<std::pair<std::string, std::string>> env = {
        {"STAGEGATE_STAGE", stage.name},
        {"STAGEGATE_VUS", std::to_string(vus)},
        {"STAGEGATE_MAX_VUS", std::to_string(vus)},
        {"STAGEGATE_RATE", open_model ? number_text(stage.rate->from_per_s) : "0"},
        {"STAGEGATE_RATE_TO", open_model ? number_text(stage.rate->to_per_s) : "0"},
        {"STAGEGATE_DURATION_S", number_text(to_seconds(stage.duration))},
        {"STAGEGATE_RAMP_UP_S", number_text(to_seconds(stage.ramp_up))},
        {"STAGEGATE_TIMEOUT_S", number_text(to_seconds(pipeline.target.timeout))},
        {"STAGEGATE_BASE_URL", pipeline.target.base_url},
        {"STAGEGATE_RESULT_FILE", result_file.string()},
        {"STAGEGATE_OUT_DIR", out_dir.string()},
    };
    auto tls = tls_tool_environment(pipeline.target);  // target.tls (config/tls_environment.hpp)
    env.insert(env.end(), tls.begin(), tls.end());
    return env;
}

}  // namespace orch
