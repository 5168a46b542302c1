// Runner: the whole procedure of one run, top to bottom (runner.cpp::run):
// preflight -> start backend and wait until healthy -> for each stage: cooldown, health
// check, load, judge, write results -> stop backend -> final reports. The first failing
// stage stops the run (later stages are reported as skipped). Teardown always runs and the
// first reason for stopping wins.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "pipeline/run_clock.hpp"
#include "pipeline/supervisor.hpp"
#include "plugin/executor.hpp"
#include "plugin/reporter.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

struct RunOptions {
    std::filesystem::path out_dir;  ///< created if missing
    std::vector<std::string> only;  ///< run only these stages (names)
    std::string from;               ///< start at this stage
    int threads = 0;                ///< executor worker threads (0 = cores)
    std::string run_id;
    std::string version;
    /// Incremented by the signal handler; the runner stops the load, stops the backend and
    /// writes a partial report with verdict INTERRUPTED.
    const std::atomic<int>* interrupts = nullptr;
    /// Becomes readable when the signal handler counts an interrupt (it writes a byte to
    /// this pipe's other end): the run's waits are then woken at once. -1: none.
    int interrupt_fd = -1;
    /// Set to the backend's pid (its process group) while it runs, 0 otherwise, so a second
    /// SIGINT can kill the group at once from the signal handler.
    std::atomic<int>* backend_pid = nullptr;
    /// Makes an executor for `pipeline` (the executor registry's factory). Used for a stage
    /// with its own `target:` (the pipeline with that target merged in); without it such a
    /// stage ends with ERROR.
    std::function<Result<std::unique_ptr<Executor>>(const Pipeline&)> make_executor;
    /// `--segment I/N`: run that share of every stage and write a lossless part
    /// (report/part.hpp) into results.json.
    std::optional<PartInfo> part;
    /// `--start-at`: Unix time in ns at which stage 1 starts; later stages start at their
    /// planned times after it (planned_stage_start), so the segments stay in step.
    std::optional<std::int64_t> start_at_ns;
    /// Seams for the runner's unit tests, null in a real run: the clock cooldowns and the
    /// backend watch use (default: the steady clock), and a backend to use instead of the
    /// one run_pipeline would supervise (default: a BackendSupervisor of the pipeline).
    RunClock* clock = nullptr;
    BackendSupervisor* backend = nullptr;
};

/// With --start-at: when stage `index` of `stages` is planned to start, ns since the Unix
/// epoch: stage 1 at `start_at_ns`, each later one after the earlier ones' durations, 1 s
/// each for their last responses and results, and the cooldowns before it.
std::int64_t planned_stage_start(std::int64_t start_at_ns, const Pipeline& pipeline,
                                 const std::vector<const StageSpec*>& stages, std::size_t index);

/// Sets the run's verdict, exit code, reason, highest passed stage, recommendation and
/// finished_at from its stages (the worst stage wins) unless it already ended badly.
void conclude_run(RunReport& report);

/// What the runner tells a person while it works (the CLI prints it). All optional.
class RunListener {
  public:
    virtual ~RunListener() = default;
    virtual void on_message(std::string_view /*line*/) {}
    virtual void on_stage_start(const StageSpec& /*stage*/, std::size_t /*index*/,
                                std::size_t /*count*/) {}
    /// About once a second while a stage runs: totals so far.
    virtual void on_progress(const StageSpec& /*stage*/, double /*elapsed_s*/, int /*vus*/,
                             const Snapshot& /*so_far*/) {}
    virtual void on_stage_end(const StageReport& /*stage*/) {}
    /// During the cooldown before `next_stage`: at its start, about once a second, and at
    /// its end (remaining 0).
    virtual void on_cooldown(std::string_view /*next_stage*/, double /*remaining_s*/,
                             double /*total_s*/) {}
};

/// Checks that `out_dir` can be created and written (exit 3 otherwise).
Result<void> prepare_output_dir(const std::filesystem::path& out_dir);

/// Runs `pipeline` with `executor`, writing `reporters`' files into options.out_dir after
/// every stage and at the end. Never throws; the report's verdict and exit_code say how it
/// went (ERROR with a reason for infrastructure failures).
RunReport run_pipeline(const Pipeline& pipeline, Executor& executor,
                       const std::vector<const Reporter*>& reporters, const RunOptions& options,
                       RunListener& listener);

/// The stages `options` selects (--only, --from), in pipeline order, or an invalid_input
/// error naming an unknown stage (with did-you-mean).
Result<std::vector<const StageSpec*>> select_stages(const Pipeline& pipeline,
                                                    const RunOptions& options);

}  // namespace orch
