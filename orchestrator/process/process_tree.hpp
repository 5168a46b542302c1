// A snapshot of the process table read from /proc, and the questions the backend
// supervisor asks of it: which processes descend from the backend (also the ones that
// left its process group), is a pid still the same live process, how much memory a tree
// holds. Linux only; every function is best effort and never throws.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace orch {

// --- Interface ---

/// One line of the process table (/proc/PID/stat).
struct ProcessEntry {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    char state = '?';  ///< R S D Z T ...; Z and X are dead
    /// Start time in clock ticks since boot: with `pid`, identifies a process even when
    /// its pid number is reused later.
    std::uint64_t start_time = 0;

    bool is_dead() const { return state == 'Z' || state == 'X'; }
};

/// Reads /proc/`pid`/stat; nullopt when the process does not exist (any more).
std::optional<ProcessEntry> read_process(pid_t pid);

/// Every process visible in /proc, read in one pass.
std::vector<ProcessEntry> scan_processes();

/// The processes in `table` whose parent chain leads to `root` (children, grandchildren,
/// ...), not `root` itself.
std::vector<ProcessEntry> descendants_of(const std::vector<ProcessEntry>& table, pid_t root);

/// True while `entry.pid` is the same process as `entry` (same start time) and not a zombie.
bool still_running(const ProcessEntry& entry);

/// Resident memory of one process in bytes (/proc/PID/statm); nullopt when unreadable.
std::optional<std::uint64_t> resident_bytes(pid_t pid);

}  // namespace orch
