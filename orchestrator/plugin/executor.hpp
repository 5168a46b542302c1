// The Executor interface: what the runner asks of a load generator (builtin engine, k6,
// any command). Lifecycle, as Taurus' EngineModule: prepare() once before anything starts
// (slow checks: binary present, script readable; a failure is exit 3 and nothing runs),
// then run_stage() once per stage. Executors register by the `scenario.executor` name.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"
#include "core/json_box.hpp"
#include "core/result.hpp"
#include "core/segment.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

/// What every stage of a run shares.
struct RunContext {
    std::filesystem::path out_dir;  ///< artifacts go here (k6 summaries, tool output)
    int threads = 0;                ///< worker threads for the engine; 0 = number of cores
    /// `--segment I/N`: run only this share of every stage (core/segment.hpp). Only an
    /// executor whose section says `splits_stages` is given a segment other than the whole
    /// (the CLI refuses the others before the run).
    Segment segment;
};

/// One second (or so) of a running stage, for progress, abort and windowed criteria.
struct Interval {
    double elapsed_s = 0;                 ///< since the stage started
    double length_s = 0;                  ///< this interval's length
    int active_vus = 0;                   ///< VUs (or in-flight requests, open model) right now
    const StageMetrics* delta = nullptr;  ///< what completed during this interval only
    /// The whole stage so far, this interval included, when the executor keeps it (then
    /// the stage judge uses it instead of keeping a second copy); may be null.
    const StageMetrics* totals = nullptr;
};

/// Receives intervals while a stage runs. Called from the thread that called run_stage.
class StageObserver {
  public:
    virtual ~StageObserver() = default;
    virtual void on_interval(const Interval& interval) = 0;
};

/// What an executor measured in one stage.
struct StageRun {
    explicit StageRun(StageMetrics totals_) : totals(std::move(totals_)) {}
    StageMetrics totals;         ///< the whole stage
    double duration_s = 0;       ///< measured wall time of the load
    bool stopped_early = false;  ///< the stop token fired
    /// The load generator could not keep up: open-model drops over 1% of scheduled, or its
    /// CPU was saturated. Makes the stage INCONCLUSIVE unless a criterion failed.
    bool generator_behind = false;
    std::string generator_note;  ///< why generator_behind, in words
    /// The generator's own limits shaped the measurement: requests it could not send
    /// (errors.generator: out of descriptors or ports) or arrivals dropped because every
    /// allowed VU was busy. Implies generator_behind, and makes the stage INCONCLUSIVE even
    /// when latency or throughput criteria missed (those numbers are the generator's own
    /// queue); a miss of any other criterion (the backend's errors, backend.*) still FAILs.
    bool generator_limited = false;
    double generator_cpu_percent = 0;
    /// Executor-specific extras for reports (k6 checks and thresholds, tool exit code...).
    JsonBox extra = JsonBox::object();
};

class Executor {
  public:
    virtual ~Executor() = default;

    /// Slow checks before the backend starts. Errors are infrastructure errors (exit 3).
    virtual Result<void> prepare(const RunContext& context) = 0;

    /// Runs `stage` to its end (or until `stop` fires), calling `observer` about once a
    /// second from this thread. Every request sent is in the result exactly once.
    virtual Result<StageRun> run_stage(const RunContext& context, const StageSpec& stage,
                                       StageObserver& observer, std::stop_token stop) = 0;
};

using ExecutorFactory = std::function<Result<std::unique_ptr<Executor>>(const Pipeline&)>;

/// Everything stagegate knows of one executor: how the loader reads its `scenario:` keys
/// and how to make it for a loaded pipeline. Each executor's folder exports one function
/// returning this, `ExecutorPlugin NAME_executor_plugin()`; registering it is one line,
/// `ORCH_EXECUTOR(NAME)` in cli/builtin_plugins.def.
struct ExecutorPlugin {
    ExecutorSection section;  ///< section.name is the `scenario.executor` value
    ExecutorFactory create;
};

/// Executors by `scenario.executor` name. Registering a name twice is a programming error.
class ExecutorRegistry {
  public:
    void add(ExecutorPlugin plugin);
    /// An unknown name is invalid_input listing the valid names.
    Result<std::unique_ptr<Executor>> create(const std::string& name,
                                             const Pipeline& pipeline) const;
    std::vector<std::string> names() const;
    /// What the loader needs (LoadOptions::executors): every executor's section, in
    /// registration order.
    const ExecutorSections& sections() const { return m_sections; }

  private:
    ExecutorSections m_sections;
    std::vector<ExecutorFactory> m_factories;  ///< parallel to m_sections
};

/// The executor's own config of `pipeline`, as its section reader made it: null when the
/// pipeline holds none or one of another type (a Pipeline built by hand).
template <typename Config>
std::shared_ptr<const Config> executor_config(const Pipeline& pipeline) {
    return std::dynamic_pointer_cast<const Config>(pipeline.scenario.executor_config);
}

}  // namespace orch
