// The k6 runner: the one part of the k6 plugin that touches processes. It starts k6
// through process/BackendProcess (own process group, output to a log artifact, SIGTERM
// then SIGKILL to the group), follows the NDJSON output while k6 runs, and hands each
// second's requests to the observer.
#include "plugins/executors/k6/k6_executor.hpp"

#include <chrono>
#include <cstdlib>
#include <mutex>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "plugin/tool_executor.hpp"
#include "plugin/tool_run.hpp"
#include "plugin/tool_support.hpp"
#include "plugins/executors/k6/k6_command.hpp"
#include "plugins/executors/k6/k6_config.hpp"
#include "plugins/executors/k6/k6_output_reader.hpp"
#include "plugins/executors/k6/k6_summary.hpp"
#include "process/backend_process.hpp"

namespace orch {

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr auto k_poll_interval = std::chrono::milliseconds(200);
constexpr auto k_interval = std::chrono::seconds(1);
constexpr std::size_t k_log_tail_lines = 20;

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

class K6Executor final : public ToolExecutor<K6Config> {
  public:
    explicit K6Executor(const Pipeline& pipeline) : ToolExecutor(pipeline, k6_config(pipeline)) {}

    Result<void> prepare(const RunContext&) override {
        const K6Config& scenario = *m_config;
        const fs::path base_dir = pipeline_dir(m_pipeline);
        const std::string name = scenario.binary.empty() ? "k6" : scenario.binary;
        auto binary = find_program(name, base_dir);
        if (!binary) {
            if (scenario.binary.empty()) {
                return fail(ErrorCode::infrastructure,
                            "k6 not found on PATH (install k6 or set scenario.binary)");
            }
            return fail(ErrorCode::infrastructure,
                        "k6 binary \"" + scenario.binary +
                            "\" not found or not executable (scenario.binary)");
        }
        std::error_code ec;
        m_program = fs::absolute(*binary, ec);
        fs::path script = fs::absolute(scenario.script, ec);
        if (scenario.script.empty() || !fs::is_regular_file(script, ec)) {
            return fail(ErrorCode::infrastructure,
                        "k6 script not found: " + script.string() + " (scenario.script)");
        }
        m_script = script.lexically_normal();
        return {};
    }

  private:
    Result<StageRun> run_tool_stage(const StageSpec& stage, StageObserver& observer,
                                    std::stop_token stop, const fs::path& out_dir) override {
        std::error_code ec;
        K6Command command =
            build_k6_command(m_pipeline, stage, m_program.string(), m_script, out_dir);
        // A re-run into the same folder must not read the previous run's artifacts.
        fs::remove(command.summary_export, ec);
        fs::remove(command.ndjson, ec);

        const auto operation_names = m_pipeline.operation_names();
        const std::size_t pattern_count = m_pipeline.body_patterns.size();
        StageMetrics totals(operation_names.size(), pattern_count);
        StageMetrics interval(operation_names.size(), pattern_count);
        K6OutputReader reader(operation_names, m_config->operation_tag, stage.rate.has_value());

        // The intervals count from just before k6 starts.
        auto start = SteadyClock::now();
        auto tick = start;
        const int planned_vus = stage.rate ? stage.max_vus : stage.vus;
        auto emit = [&](SteadyClock::time_point now) {
            totals.merge(interval);
            Interval progress;
            progress.elapsed_s = seconds_between(start, now);
            progress.length_s = seconds_between(tick, now);
            progress.active_vus = reader.active_vus().value_or(planned_vus);
            progress.delta = &interval;
            progress.totals = &totals;
            observer.on_interval(progress);
            interval.reset();
            tick = now;
        };

        ToolRun tool =
            tool_run("k6", command.argv, out_dir, command.env, command.log, k_poll_interval);
        tool.follow = command.ndjson;
        tool.on_line = [&](std::string_view line) { reader.feed_line(line, interval); };
        tool.on_tick = emit;
        tool.tick_interval = k_interval;
        auto ran = run_tool(tool, stage, stop);
        if (!ran) {
            return tl::unexpected(ran.error());
        }
        const ExitInfo& ended = ran->exit;
        const bool stopped = ran->stopped;
        const auto end = ran->end;
        reader.finish(interval);
        emit(end);

        StageRun run(std::move(totals));
        run.stopped_early = stopped;
        run.duration_s = seconds_between(start, end);

        nlohmann::json k6 = nlohmann::json::object();
        k6["exit_code"] =
            ended.signal > 0 ? nlohmann::json(nullptr) : nlohmann::json(ended.exit_code);
        k6["exit"] = ended.describe();
        k6["checks"] = nlohmann::json::array();
        k6["thresholds"] = nlohmann::json::array();
        nlohmann::json cross_check = {{"ndjson_http_reqs", reader.http_reqs()},
                                      {"ndjson_requests", reader.requests_recorded()}};
        if (fs::exists(command.summary_export, ec)) {
            auto summary = read_k6_summary(command.summary_export);
            if (summary) {
                k6["checks"] = k6_checks_json(*summary);
                k6["thresholds"] = k6_thresholds_json(*summary);
                k6["thresholds_ok"] = summary->thresholds_ok();
                cross_check["http_reqs"] = summary->http_reqs ? nlohmann::json(*summary->http_reqs)
                                                              : nlohmann::json(nullptr);
                cross_check["failed_requests"] = summary->failed_requests
                                                     ? nlohmann::json(*summary->failed_requests)
                                                     : nlohmann::json(nullptr);
                cross_check["iterations"] = summary->iterations
                                                ? nlohmann::json(*summary->iterations)
                                                : nlohmann::json(nullptr);
                const bool match = summary->http_reqs == reader.http_reqs() &&
                                   reader.http_reqs() == reader.requests_recorded();
                cross_check["counts_match"] = match;
                if (!match) {
                    spdlog::warn(
                        "stage {}: k6's summary counts {} requests, its NDJSON output {} "
                        "(http_reqs points) and {} (http_req_duration points)",
                        stage.name, summary->http_reqs.value_or(0), reader.http_reqs(),
                        reader.requests_recorded());
                }
                if (summary->duration_s) {
                    // k6's own test-run length: excludes its start-up and summary time.
                    run.duration_s = *summary->duration_s;
                    cross_check["duration_s"] = *summary->duration_s;
                }
            } else {
                spdlog::warn("stage {}: {}", stage.name, summary.error().message);
            }
        } else if (!stopped) {
            spdlog::warn("stage {}: k6 wrote no summary export ({})", stage.name,
                         command.summary_export.string());
        }
        k6["summary"] = std::move(cross_check);
        k6["untagged_requests"] = reader.untagged_requests();
        k6["unknown_operations"] = reader.unknown_operations();
        k6["artifacts"] = {{"log", command.log.string()},
                           {"summary_export", command.summary_export.string()},
                           {"ndjson", command.ndjson.string()}};
        if (reader.untagged_requests() > 0) {
            spdlog::warn(
                "stage {}: {} k6 request(s) have no '{}' tag naming a pipeline operation: "
                "counted in the totals only",
                stage.name, reader.untagged_requests(), m_config->operation_tag);
        }
        run.extra["k6"] = std::move(k6);

        const auto tail = [&] { return log_tail(command.log, k_log_tail_lines); };
        if (ran->overran) {
            return fail(ErrorCode::infrastructure,
                        "k6 was still running long after stage " + stage.name +
                            " should have ended: stopped it",
                        tail());
        }
        const bool clean_exit =
            ended.signal == 0 && (ended.exit_code == 0 || ended.exit_code == 99);
        if (!stopped && !clean_exit) {
            if (run.totals.totals().requests() == 0) {
                return fail(ErrorCode::infrastructure,
                            "k6 " + ended.describe() + " and sent no requests (stage " +
                                stage.name + ", output in " + command.log.string() + ")",
                            tail());
            }
            spdlog::warn("stage {}: k6 {} after {} requests (see {})", stage.name, ended.describe(),
                         run.totals.totals().requests(), command.log.string());
        }
        return run;
    }

    fs::path m_script;
};

}  // namespace

ExecutorPlugin k6_executor_plugin() {
    return tool_executor_plugin<K6Executor>(k6_section());
}

}  // namespace orch
