#include "plugins/executors/k6/k6_command.hpp"

#include <algorithm>
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
    if (error != std::errc()) {
        return "0";
    }
    return std::string(buffer.data(), end);
}

// k6 reads Go durations ("1m30s", "1.5s", "250ms"): format_duration writes exactly those.
std::string k6_stage(Duration length, int target) {
    return format_duration(length) + ":" + std::to_string(target);
}

}  // namespace

K6Command build_k6_command(const Pipeline& pipeline, const StageSpec& stage,
                           const std::string& binary, const std::filesystem::path& script,
                           const std::filesystem::path& out_dir) {
    K6Command command;
    command.summary_export = out_dir / ("k6-" + stage.name + "-summary.json");
    command.ndjson = out_dir / ("k6-" + stage.name + ".ndjson");
    command.log = out_dir / ("k6-" + stage.name + ".log");

    auto& argv = command.argv;
    argv = {binary, "run"};
    if (!stage.rate) {
        const Duration ramps = stage.ramp_up + stage.ramp_down;
        if (ramps.count() == 0) {
            argv.insert(argv.end(), {"--vus", std::to_string(stage.vus), "--duration",
                                     format_duration(stage.duration)});
        } else {
            if (stage.ramp_up.count() > 0) {
                argv.insert(argv.end(), {"--stage", k6_stage(stage.ramp_up, stage.vus)});
            }
            if (stage.duration > ramps) {
                argv.insert(argv.end(), {"--stage", k6_stage(stage.duration - ramps, stage.vus)});
            }
            if (stage.ramp_down.count() > 0) {
                argv.insert(argv.end(), {"--stage", k6_stage(stage.ramp_down, 0)});
            }
        }
    }
    argv.insert(argv.end(), {"--summary-export", command.summary_export.string(), "--out",
                             "json=" + command.ndjson.string()});
    // k6 reports anonymous usage statistics to its vendor unless told not to; stagegate sends
    // nothing off the machine except the load the pipeline names, so it always tells it.
    argv.push_back("--no-usage-report");
    argv.insert(argv.end(), pipeline.scenario.extra_args.begin(),
                pipeline.scenario.extra_args.end());
    argv.push_back(script.string());

    const bool open_model = stage.rate.has_value();
    const int max_vus = open_model ? stage.max_vus : stage.vus;
    auto& env = command.env;
    env = {
        {"STAGEGATE_STAGE", stage.name},
        {"STAGEGATE_VUS", std::to_string(max_vus)},
        {"STAGEGATE_MAX_VUS", std::to_string(max_vus)},
        {"STAGEGATE_RATE", open_model ? number_text(stage.rate->from_per_s) : "0"},
        {"STAGEGATE_RATE_TO", open_model ? number_text(stage.rate->to_per_s) : "0"},
        {"STAGEGATE_DURATION_S", number_text(to_seconds(stage.duration))},
        {"STAGEGATE_RAMP_UP_S", number_text(to_seconds(stage.ramp_up))},
        {"STAGEGATE_TIMEOUT_S", number_text(to_seconds(pipeline.target.timeout))},
        {"STAGEGATE_BASE_URL", pipeline.target.base_url},
        {"BASE_URL", pipeline.target.base_url},
        {"K6_NO_USAGE_REPORT", "true"},  // the same, for k6 versions that read only this
    };
    for (auto& variable : tls_tool_environment(pipeline.target)) {
        env.push_back(std::move(variable));  // target.tls, as k6 (Go) reads it
    }
    return command;
}

}  // namespace orch
