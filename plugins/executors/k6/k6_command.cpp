#include "plugins/executors/k6/k6_command.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "config/tls_environment.hpp"
#include "core/units.hpp"
#include "plugin/tool_run.hpp"
#include "plugins/executors/k6/k6_config.hpp"

namespace orch {

namespace {

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
    const auto config = k6_config(pipeline);
    argv.insert(argv.end(), config->extra_args.begin(), config->extra_args.end());
    argv.push_back(script.string());

    command.env = stage_environment(pipeline, stage);
    command.env.emplace_back("BASE_URL", pipeline.target.base_url);
    // The same as --no-usage-report, for k6 versions that read only this.
    command.env.emplace_back("K6_NO_USAGE_REPORT", "true");
    for (auto& variable : tls_tool_environment(pipeline.target)) {
        command.env.push_back(std::move(variable));  // target.tls, as k6 (Go) reads it
    }
    return command;
}

}  // namespace orch
