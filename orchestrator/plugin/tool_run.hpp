// The one loop that runs an external load tool for a stage (k6, any command): spawn it in its
// own process group with its output in a log, stream a file it writes line by line while it
// runs, tick about once a second, stop it when the stop token fires or when it overruns its
// deadline, and say how it ended. The executors keep only what is theirs: the command line,
// what a line means, and how the result is read.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "process/backend_process.hpp"

namespace orch {

// --- Interface ---

struct ToolRun {
    using Clock = std::chrono::steady_clock;

    std::string name;     ///< for messages: "k6", "the command"
    BackendSpec process;  ///< argv (resolved), cwd, env and stop_timeout (SIGTERM, then SIGKILL)
    std::filesystem::path log;  ///< the tool's stdout and stderr
    /// The tool is stopped (and the run fails) when it is still running this long after the
    /// stage's planned end: duration + graceful_stop + overrun_allowance. Tools have set-up
    /// and tear-down of their own (k6's setup()/teardown() run outside the stage, its
    /// default gracefulStop is 30 s): one still running 90 s after the end is stuck.
    Duration overrun_allowance = std::chrono::seconds(90);
    Duration poll_interval = std::chrono::milliseconds(200);
    /// A file the tool appends lines to while it runs (e.g. k6's NDJSON): each complete line
    /// goes to `on_line` as it appears, the unterminated last one after the tool ended.
    /// Empty: nothing is streamed.
    std::filesystem::path follow;
    std::function<void(std::string_view line)> on_line;
    /// Called about every `tick_interval` while the tool runs, from the caller's thread,
    /// after the lines that arrived were handed out. Null: no ticks.
    std::function<void(Clock::time_point now)> on_tick;
    Duration tick_interval = std::chrono::seconds(1);
};

struct ToolRunEnd {
    ExitInfo exit;         ///< how the tool ended (after stop(), when it was stopped)
    bool stopped = false;  ///< the stop token fired
    bool overran = false;  ///< still running past its deadline: stopped, an error for the caller
    ToolRun::Clock::time_point start;
    ToolRun::Clock::time_point end;
    double wall_s() const { return std::chrono::duration<double>(end - start).count(); }
};

/// A ToolRun named `name` that runs `argv` in `cwd` with `env` added to its environment, its
/// output in `log`, stopped with SIGTERM and then SIGKILL after 5 s, polled every
/// `poll_interval`. Set follow/on_line/on_tick on it to stream a file.
ToolRun tool_run(std::string name, std::vector<std::string> argv, std::filesystem::path cwd,
                 std::vector<std::pair<std::string, std::string>> env, std::filesystem::path log,
                 Duration poll_interval);

/// Runs `tool` for `stage` until it exits, `stop` fires or it overruns. Whatever happens, the
/// tool's whole process group is gone when this returns. Errors: the tool could not start.
Result<ToolRunEnd> run_tool(const ToolRun& tool, const StageSpec& stage, std::stop_token stop);

/// What every tool is told of `stage` (SPEC "Executors"), to add to its environment:
/// STAGEGATE_STAGE; STAGEGATE_VUS and STAGEGATE_MAX_VUS (vus, or the open model's max_vus);
/// STAGEGATE_RATE and STAGEGATE_RATE_TO (a rate ramp's ends, "0" in the closed model);
/// STAGEGATE_DURATION_S, STAGEGATE_RAMP_UP_S, STAGEGATE_TIMEOUT_S (target.timeout) in
/// seconds, possibly fractional ("0.5"); STAGEGATE_BASE_URL.
std::vector<std::pair<std::string, std::string>> stage_environment(const Pipeline& pipeline,
                                                                   const StageSpec& stage);

/// The last `lines` lines of `log`, each followed by a newline (an error's context).
std::string log_tail(const std::filesystem::path& log, std::size_t lines = 20);

}  // namespace orch
