// The output folder of one run: an exclusive lock (flock on DIR/.stagegate.lock, holding the
// holder's pid) for the whole run, so two runs never write into one folder at once, and the
// removal of what an earlier run left there, so no stale report sits beside new results.
#pragma once

#include <filesystem>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

class OutputLock {
  public:
    /// Takes the lock on `dir` (which must exist) without waiting. When another process
    /// holds it: an infrastructure error naming that process's pid and what to do.
    static Result<OutputLock> acquire(const std::filesystem::path& dir);

    OutputLock(OutputLock&& other) noexcept;
    OutputLock& operator=(OutputLock&& other) noexcept;
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;
    /// Releases the lock (the lock file stays).
    ~OutputLock();

  private:
    explicit OutputLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

/// The name of the lock file in an output folder.
inline constexpr const char* k_output_lock_name = ".stagegate.lock";

/// Removes from `dir` the files a stagegate run writes there (reports, results, logs,
/// executor artifacts such as k6-STAGE-summary.json and command-STAGE-result.json, temp
/// files of interrupted atomic writes); nothing else. Call it with the lock held.
/// An infrastructure error names the first file that could not be removed.
Result<void> clear_previous_outputs(const std::filesystem::path& dir);

}  // namespace orch
