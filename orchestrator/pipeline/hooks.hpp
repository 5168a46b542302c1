// Hooks: the user's programs run at fixed points of a run (before_run, a stage's before,
// after and on_fail, after_run, the run's on_fail), e.g. to move traffic to a new version
// and to roll it back. Each hook is spawned like the backend (process/backend_process: argv,
// no shell, its own process group, the whole group stopped at its timeout), gets the run's
// facts in STAGEGATE_* variables, and its output is appended, redacted, to hooks.log.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// What every hook of one run is told (STAGEGATE_RUN_ID, _PIPELINE, _RESULTS, _OUT).
struct HookRunContext {
    std::string run_id;
    std::string pipeline_name;
    std::filesystem::path out_dir;   ///< hooks.log goes here; STAGEGATE_OUT
    std::filesystem::path base_dir;  ///< the pipeline file's folder: the hooks' cwd
};

/// Where a hook runs: its stage (empty at run level), the stage's index and traffic share,
/// and the verdict so far (STAGEGATE_VERDICT; empty before one exists).
struct HookPoint {
    std::string stage;
    int stage_index = -1;
    std::optional<double> traffic_percent;
    std::string verdict;
};

/// Whether an interrupt (SIGINT/SIGTERM) stops a running hook: `before`/`after` hooks are
/// stopped, the rollback (`on_fail`) and `after_run` run on, bounded by their timeout.
enum class OnInterrupt { stop_hook, run_on };

class HookRunner {
  public:
    /// `interrupts`: the signal handler's counter (may be null).
    HookRunner(HookRunContext context, const std::atomic<int>* interrupts);

    /// Runs `hook` at `point` and waits until it exits, its timeout passes (then its whole
    /// process group is stopped: SIGTERM, SIGKILL 2 s later) or, with
    /// OnInterrupt::stop_hook, the run is interrupted. Appends its output to hooks.log.
    /// Never throws; a hook that cannot start is a record with `error` set.
    HookRecord run(const HookSpec& hook, const HookPoint& point, OnInterrupt on_interrupt);

    /// "before hook [scripts/set-weight.sh 10] exited with code 3 after 0.1s (see
    /// hooks.log)": what a failed hook did, for reasons and messages; redacted.
    static std::string describe_failure(const HookRecord& record);

  private:
    void append_log(const HookRecord& record, const std::filesystem::path& output) const;

    HookRunContext m_context;
    const std::atomic<int>* m_interrupts;
};

/// The first hook of `kind` in `hooks`, or null.
const HookSpec* find_hook(const std::vector<HookSpec>& hooks, HookKind kind);

}  // namespace orch
