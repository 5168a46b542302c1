#include "plugin/tool_run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "plugin/line_follower.hpp"
#include "plugin/tool_support.hpp"

namespace orch {

ToolRun tool_run(std::string name, std::vector<std::string> argv, std::filesystem::path cwd,
                 std::vector<std::pair<std::string, std::string>> env, std::filesystem::path log,
                 Duration poll_interval) {
    ToolRun tool;
    tool.name = std::move(name);
    tool.process.command = std::move(argv);
    tool.process.cwd = std::move(cwd);
    tool.process.env = std::move(env);
    tool.process.stop_timeout = std::chrono::seconds(5);
    tool.log = std::move(log);
    tool.poll_interval = poll_interval;
    return tool;
}

Result<ToolRunEnd> run_tool(const ToolRun& tool, const StageSpec& stage, std::stop_token stop) {
    auto process = BackendProcess::spawn(tool.process, tool.process.cwd, tool.log);
    if (!process) {
        return fail(ErrorCode::infrastructure,
                    "cannot start " + tool.name + ": " + process.error().message,
                    process.error().context);
    }
    spdlog::info("stage {}: {} started (pid {}), output in {}", stage.name, tool.name,
                 (*process)->pid(), tool.log.string());

    std::optional<LineFollower> follower;
    if (!tool.follow.empty()) {
        follower.emplace(tool.follow);
    }
    auto stream = [&] {
        if (follower && tool.on_line) {
            follower->poll(tool.on_line);
        }
    };
    ToolRunEnd end;
    end.start = ToolRun::Clock::now();
    const auto deadline = end.start + stage.duration + stage.graceful_stop + tool.overrun_allowance;
    auto tick = end.start;
    std::optional<ExitInfo> exit;
    for (;;) {
        exit = (*process)->exited();
        stream();
        if (exit) {
            break;
        }
        const auto now = ToolRun::Clock::now();
        if (tool.on_tick && now - tick >= tool.tick_interval) {
            tool.on_tick(now);
            tick = now;
        }
        if (stop.stop_requested()) {
            end.stopped = true;
            break;
        }
        if (now > deadline) {
            end.overran = true;
            break;
        }
        sleep_unless_stopped(stop, tool.poll_interval);
    }
    if (end.stopped || end.overran) {
        spdlog::info("stage {}: stopping {} (pid {})", stage.name, tool.name, (*process)->pid());
    }
    // Also ends what the tool left behind in its group, when it exited by itself.
    end.exit = (*process)->stop(tool.process.stop_timeout);
    if (exit) {
        end.exit = *exit;
    }
    end.end = ToolRun::Clock::now();
    if (follower && tool.on_line) {
        follower->finish(tool.on_line);
    }
    return end;
}

std::vector<std::pair<std::string, std::string>> stage_environment(const Pipeline& pipeline,
                                                                   const StageSpec& stage) {
    const bool open_model = stage.rate.has_value();
    const int vus = open_model ? stage.max_vus : stage.vus;
    // {} is the shortest text that reads back the same: 30 -> "30", 0.25 -> "0.25".
    return {
        {"STAGEGATE_STAGE", stage.name},
        {"STAGEGATE_VUS", std::to_string(vus)},
        {"STAGEGATE_MAX_VUS", std::to_string(vus)},
        {"STAGEGATE_RATE", open_model ? fmt::format("{}", stage.rate->from_per_s) : "0"},
        {"STAGEGATE_RATE_TO", open_model ? fmt::format("{}", stage.rate->to_per_s) : "0"},
        {"STAGEGATE_DURATION_S", fmt::format("{}", to_seconds(stage.duration))},
        {"STAGEGATE_RAMP_UP_S", fmt::format("{}", to_seconds(stage.ramp_up))},
        {"STAGEGATE_TIMEOUT_S", fmt::format("{}", to_seconds(pipeline.target.timeout))},
        {"STAGEGATE_BASE_URL", pipeline.target.base_url},
    };
}

std::string log_tail(const std::filesystem::path& log, std::size_t lines) {
    return join_lines(tail_lines(log, lines));
}

}  // namespace orch
