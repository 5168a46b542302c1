// BackendProcess: the backend under test as a child process. Spawned from argv (never a
// shell) in its own process group, stdout+stderr appended to backend.log, watched for an
// exit at any moment, and stopped with SIGTERM to the whole group then SIGKILL after
// stop_timeout, so no process (grandchildren included) is left behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// How a process ended.
struct ExitInfo {
    int exit_code = -1;  ///< when it exited normally
    int signal = 0;      ///< when killed by a signal
    std::chrono::system_clock::time_point at;
    /// "exited with code 3", "killed by signal 9 (SIGKILL)"
    std::string describe() const;
};

class BackendProcess {
public:
    /// Starts `spec.command` with `spec.env` added to the inherited environment, in
    /// `spec.cwd` (relative to `base_dir`), output appended to `log_path`. Fails with an
    /// infrastructure error when the program cannot be found or started.
    static Result<std::unique_ptr<BackendProcess>> spawn(const BackendSpec& spec,
                                                         const std::filesystem::path& base_dir,
                                                         const std::filesystem::path& log_path);

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
    ExitInfo stop(Duration stop_timeout);

    /// Resident memory of the whole process tree (the process and all descendants), in
    /// bytes, read from /proc; nullopt when it cannot be read.
    std::optional<std::uint64_t> tree_rss_bytes() const;

    /// The last `n` lines of the log file (for error messages and reports).
    std::vector<std::string> log_tail(std::size_t n) const;

private:
    BackendProcess(pid_t pid, std::filesystem::path log_path);
    pid_t m_pid;
    std::filesystem::path m_log_path;
    std::optional<ExitInfo> m_exit;
};

/// The last `n` lines of the file at `path` (empty when unreadable).
std::vector<std::string> tail_lines(const std::filesystem::path& path, std::size_t n);

}  // namespace orch
