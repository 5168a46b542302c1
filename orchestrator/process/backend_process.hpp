// BackendProcess: the backend under test as a child process. Spawned from argv (never a
// shell) in its own process group, stdout+stderr to a log file (backend.log: through a pipe
// that LogSink drains and bounds), watched for an
// exit at any moment, and stopped with SIGTERM to the whole group then SIGKILL after
// stop_timeout, so no process (grandchildren included) is left behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "process/log_sink.hpp"

namespace orch {

// --- Interface ---

/// How a process ended.
struct ExitInfo {
    int exit_code = -1;  ///< when it exited normally
    int signal = 0;      ///< when killed by a signal
    std::chrono::system_clock::time_point at;
    bool core_dumped = false;  ///< killed by a signal that dumped core
    /// "exited with code 3", "killed by signal 9 (SIGKILL)", "killed by signal 11 (SIGSEGV,
    /// core dumped)"; "exit status unknown" for a default ExitInfo.
    std::string describe() const;
};

class BackendProcess {
  public:
    /// Starts `spec.command` with `spec.env` added to the inherited environment, in
    /// `spec.cwd` (relative to `base_dir`), output appended to `log_path`. Fails with an
    /// infrastructure error when the program cannot be found or started.
    /// `command[0]` with a slash is a path (relative ones against the cwd); a bare name is
    /// searched in PATH (spec.env's PATH when it sets one). The child gets stdin from
    /// /dev/null, no file descriptors of stagegate besides 0-2, default signal handling
    /// and an empty signal mask, its own process group, and SIGKILL when the thread that
    /// called spawn() ends (PR_SET_PDEATHSIG: call spawn() from a thread that outlives the
    /// backend, e.g. the main thread) so a crashed stagegate leaves no backend behind.
    /// `bounded_log`: nullopt, the child writes to `log_path` itself (appended); a size
    /// (0: no bound), `log_path` is made fresh and the child writes into a pipe that a
    /// LogSink drains at any rate, keeping the head and the newest part past that size.
    static Result<std::unique_ptr<BackendProcess>> spawn(
        const BackendSpec& spec, const std::filesystem::path& base_dir,
        const std::filesystem::path& log_path,
        std::optional<std::uint64_t> bounded_log = std::nullopt);

    /// Stops the process group if still running (as stop()).
    ~BackendProcess();
    BackendProcess(const BackendProcess&) = delete;
    BackendProcess& operator=(const BackendProcess&) = delete;

    pid_t pid() const { return m_pid; }

    /// Non-blocking: how the backend ended, or nullopt while it runs. Cheap enough to call
    /// many times a second.
    std::optional<ExitInfo> exited();

    /// SIGTERM to the process group, wait up to `stop_timeout`, then SIGKILL to the group;
    /// reaps the child. Returns how it ended. Idempotent.
    /// Also ends what the backend left behind: members of its group that outlive it, and
    /// descendants that moved to another group or session (found through /proc before and
    /// while stopping; best effort), and, after end_orphans_on_stop() when this process is a
    /// child subreaper (PR_SET_CHILD_SUBREAPER, as `stagegate run` makes itself), daemons
    /// the tree started (re-parented to us: our descendants started after this process).
    /// Returns within `stop_timeout` + about 1 s.
    ExitInfo stop(Duration stop_timeout);

    /// Makes stop() also end our descendants that started after this process (the orphans
    /// its tree left behind). Only for the process whose stop is the teardown (the backend):
    /// a load generator stopped while the backend runs would take the backend's newer
    /// children with it.
    void end_orphans_on_stop() { m_end_orphans = true; }

    /// Resident memory of the whole process tree (the process and all descendants), in
    /// bytes, read from /proc (one pass over the process table: fine once a second);
    /// nullopt when it cannot be read or the backend has exited.
    std::optional<std::uint64_t> tree_rss_bytes() const;

    /// The last `n` lines of the log file (for error messages and reports), redacted.
    std::vector<std::string> log_tail(std::size_t n) const;

    /// With a bounded log: the first write to it that failed ("cannot write PATH: No space
    /// left on device"), else nullopt.
    std::optional<std::string> log_error() const;

  private:
    BackendProcess(pid_t pid, std::filesystem::path log_path);
    /// Non-blocking reap of the leader; records m_exit.
    void reap();
    pid_t m_pid;
    std::filesystem::path m_log_path;
    std::optional<ExitInfo> m_exit;
    Duration m_stop_timeout = std::chrono::seconds(10);  ///< for the destructor
    std::uint64_t m_start_time = 0;                      ///< /proc start time of m_pid
    bool m_stopped = false;
    bool m_end_orphans = false;
    std::unique_ptr<LogSink> m_sink;  ///< with a bounded log; finished by stop()
};

/// The last `n` lines of the file at `path` (empty when unreadable), each redacted
/// (core/redact.hpp) and cut at 4 KiB. Reads only the end of the file.
std::vector<std::string> tail_lines(const std::filesystem::path& path, std::size_t n);

}  // namespace orch
