// The runs of `stagegate serve`: a FIFO of at most N waiting runs and one dispatcher thread
// that starts them one at a time, each as `stagegate run DIR/NAME.yaml --out OUT/runs/ID
// --no-progress [--set K=V]...`, a child of this very binary in its own process group. One
// run at a time keeps the measurements honest (two load tests on one host skew each other),
// and the child being the ordinary `stagegate run` keeps the stage loop in one place. Stopping
// sends SIGTERM to the child's group (the run then stops its backend and writes its reports),
// waits, and kills the group only if it outlives the grace period.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace orch::serve {

// --- Interface ---

/// One run as serve knows it. `state`: queued, running, finished, cancelled (stopped before it
/// started: serve was asked to stop).
struct RunRecord {
    std::string id;
    std::string pipeline;
    std::string checksum;  ///< the Flagger checksum that started it; empty for POST /runs
    std::string origin;    ///< "api" or "flagger"
    std::vector<std::string> overrides;  ///< the `--set` texts
    std::string state = "queued";
    std::optional<int> exit_code;  ///< when finished: the child's exit code (128+N: signal N)
    std::string created_at, started_at, finished_at;  ///< ISO 8601 UTC
};

struct QueueConfig {
    std::filesystem::path program;                ///< the stagegate binary (/proc/self/exe)
    std::filesystem::path out_dir;                ///< runs go to out_dir/runs/ID
    std::size_t max_queued = 4;                   ///< waiting runs at most (the running one aside)
    std::chrono::milliseconds stop_grace{30000};  ///< SIGTERM to SIGKILL when stopping
};

class RunQueue {
  public:
    explicit RunQueue(QueueConfig config);
    /// Stops (see stop()).
    ~RunQueue();
    RunQueue(const RunQueue&) = delete;
    RunQueue& operator=(const RunQueue&) = delete;

    enum class Outcome { accepted, busy, full, stopping };
    struct Submitted {
        Outcome outcome = Outcome::accepted;
        std::string id;  ///< the new run, or for busy the pipeline's queued or running run
    };

    /// Queues a run of `pipeline_file` (an existing file in the pipelines folder, checked by
    /// the caller) under the name `pipeline`. busy: that pipeline already has a queued or
    /// running run; full: max_queued runs wait already.
    Submitted submit(const std::string& pipeline, const std::filesystem::path& pipeline_file,
                     std::vector<std::string> overrides, const std::string& checksum,
                     const std::string& origin);

    std::optional<RunRecord> get(const std::string& id) const;
    /// The pipeline's newest run (queued, running or done).
    std::optional<RunRecord> latest(const std::string& pipeline) const;
    /// The run a Flagger checksum started for this pipeline.
    std::optional<RunRecord> for_checksum(const std::string& pipeline,
                                          const std::string& checksum) const;

    /// Takes no more runs, cancels the waiting ones, sends SIGTERM to the running child's
    /// process group, waits up to stop_grace for it (then SIGKILL to the group) and joins the
    /// dispatcher. Idempotent.
    void stop();

    /// Passes a second SIGTERM to the running child's process group while stop() waits:
    /// `stagegate run` then ends at once (killing its backend's group) as on a second Ctrl-C.
    void hurry();

  private:
    void dispatch();
    std::string new_id_locked() const;

    QueueConfig m_config;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_child_done;
    std::deque<std::string> m_waiting;
    std::map<std::string, RunRecord> m_runs;
    std::map<std::string, std::filesystem::path> m_files;  ///< id -> pipeline file
    std::map<std::string, std::string> m_latest;           ///< pipeline -> id
    std::map<std::pair<std::string, std::string>, std::string> m_by_checksum;
    pid_t m_child = 0;
    bool m_stopping = false;
    std::thread m_dispatcher;
};

}  // namespace orch::serve
