// The command runner: the one part of the command plugin that touches processes. The
// program runs through process/BackendProcess (own process group, output to a log
// artifact, SIGTERM then SIGKILL to the group); this file waits for it, then hands the
// stage result to the pure parser and replay.
#include "plugins/executors/command/command_executor.hpp"

#include <chrono>
#include <cstdlib>
#include <mutex>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/policy.hpp"
#include "plugin/tool_executor.hpp"
#include "plugin/tool_run.hpp"
#include "plugin/tool_support.hpp"
#include "plugins/executors/command/command_config.hpp"
#include "plugins/executors/command/command_env.hpp"
#include "plugins/executors/command/stage_result.hpp"
#include "plugins/executors/command/stage_result_replay.hpp"
#include "process/backend_process.hpp"

namespace orch {

namespace {

namespace fs = std::filesystem;

constexpr auto k_poll_interval = std::chrono::milliseconds(100);
constexpr std::size_t k_log_tail_lines = 20;

class CommandExecutor final : public ToolExecutor<CommandConfig> {
  public:
    explicit CommandExecutor(const Pipeline& pipeline)
        : ToolExecutor(pipeline, command_config(pipeline)) {}

    Result<void> prepare(const RunContext&) override {
        const auto& command = m_config->command;
        if (command.empty() || command[0].empty()) {
            return fail(ErrorCode::invalid_input,
                        "scenario.command is empty (the command executor runs a program)");
        }
        const fs::path cwd = pipeline_dir(m_pipeline);
        auto program = find_program(command[0], cwd);
        if (!program) {
            return fail(ErrorCode::infrastructure,
                        "command executor: program \"" + command[0] +
                            "\" not found or not executable (scenario.command[0]; a path is "
                            "relative to " +
                            cwd.string() + ", a bare name is searched in PATH)");
        }
        std::error_code ec;
        m_program = fs::absolute(*program, ec);
        return {};
    }

  private:
    Result<StageRun> run_tool_stage(const StageSpec& stage, StageObserver& observer,
                                    std::stop_token stop, const fs::path& out_dir) override {
        std::error_code ec;
        const fs::path result_file = out_dir / ("command-" + stage.name + "-result.json");
        const fs::path log = out_dir / ("command-" + stage.name + ".log");
        fs::remove(result_file, ec);  // never read a previous run's result

        auto argv = m_config->command;
        argv[0] = m_program.string();
        auto ran = run_tool(tool_run("the command", std::move(argv), pipeline_dir(m_pipeline),
                                     command_environment(m_pipeline, stage, result_file, out_dir),
                                     log, k_poll_interval),
                            stage, stop);
        if (!ran) {
            return tl::unexpected(ran.error());
        }
        const ExitInfo& ended = ran->exit;
        const bool stopped = ran->stopped;
        const auto tail = [&] { return log_tail(log, k_log_tail_lines); };

        if (ran->overran) {
            return fail(ErrorCode::infrastructure,
                        "the command was still running long after stage " + stage.name +
                            " should have ended: stopped it (output in " + log.string() + ")",
                        tail());
        }
        const bool has_result = fs::exists(result_file, ec);
        const bool clean_exit = ended.signal == 0 && ended.exit_code == 0;
        const auto operation_names = m_pipeline.operation_names();
        StageRun run(StageMetrics(operation_names.size(), m_pipeline.body_patterns.size()));
        run.stopped_early = stopped;
        run.duration_s = ran->wall_s();
        nlohmann::json extra = {
            {"exit_code",
             ended.signal > 0 ? nlohmann::json(nullptr) : nlohmann::json(ended.exit_code)},
            {"exit", ended.describe()},
            {"result_file", result_file.string()},
            {"log", log.string()},
            {"unmatched_operations", nlohmann::json::array()},
        };

        if (!has_result) {
            if (stopped) {
                spdlog::info("stage {}: the command was stopped before it wrote a result",
                             stage.name);
                run.extra["command"] = std::move(extra);
                return run;
            }
            return fail(ErrorCode::infrastructure,
                        "the command " + ended.describe() + " and wrote no stage result (" +
                            result_file.string() + "; output in " + log.string() + ")",
                        tail());
        }
        auto result = read_stage_result(result_file);
        if (!result) {
            Error error = result.error();
            error.context += "last lines of " + log.string() + ":\n" + tail();
            return tl::unexpected(std::move(error));
        }
        if (!clean_exit) {
            spdlog::warn("stage {}: the command {} (its stage result is used; output in {})",
                         stage.name, ended.describe(), log.string());
        }
        auto unmatched = replay_stage_result(*result, operation_names, run.totals);
        if (!unmatched.empty()) {
            spdlog::warn(
                "stage {}: the stage result has operation(s) the pipeline does not name ({}...): "
                "counted in the totals only",
                stage.name, unmatched.front());
        }
        extra["unmatched_operations"] = unmatched;
        if (!result->tool->is_null()) {
            extra["tool"] = *result->tool;
        }
        run.extra["command"] = std::move(extra);
        if (result->duration_s > 0) {
            run.duration_s = result->duration_s;
        }
        if (result->scheduled && result->dropped &&
            policy::too_many_dropped(*result->dropped, *result->scheduled)) {
            run.generator_behind = true;
            run.generator_note = "the tool reports " + std::to_string(*result->dropped) + " of " +
                                 std::to_string(*result->scheduled) +
                                 " scheduled requests dropped (more than 1%)";
        }
        if (auto unsent = run.totals.totals().errors(ErrorKind::generator); unsent > 0) {
            run.generator_behind = true;
            run.generator_limited = true;
            run.generator_note += std::string(run.generator_note.empty() ? "" : "; ") +
                                  "the tool reports " + std::to_string(unsent) +
                                  " requests it could not send (errors.generator)";
        }

        // The only interval: the whole stage, now that the program has reported it.
        Interval whole;
        whole.elapsed_s = run.duration_s;
        whole.length_s = run.duration_s;
        whole.active_vus = stage.rate ? stage.max_vus : stage.vus;
        whole.delta = &run.totals;
        observer.on_interval(whole);
        return run;
    }
};

}  // namespace

ExecutorPlugin command_executor_plugin() {
    return tool_executor_plugin<CommandExecutor>(command_section());
}

}  // namespace orch
