// The load generator's open-files budget. Every connection a stage keeps open is a file
// descriptor of this process, so a stage with more connections than RLIMIT_NOFILE allows
// fails inside the generator (EMFILE), not in the backend. stagegate raises its soft limit
// to the hard one at start and checks each stage's connections against it before the load.
#pragma once

#include <cstdint>
#include <string>

namespace orch {

// --- Interface ---

/// The RLIMIT_NOFILE of this process, and how many descriptors it has open now.
struct OpenFiles {
    std::uint64_t soft = 0;    ///< the limit in force (EMFILE past it)
    std::uint64_t hard = 0;    ///< the most an unprivileged process may raise `soft` to
    std::uint64_t in_use = 0;  ///< descriptors open now (/proc/self/fd)
};

/// Raises the soft open-files limit to the hard limit (a no-op when they are equal or the
/// call is refused). Returns the limits in force afterwards.
OpenFiles raise_open_files_limit() noexcept;

/// The limits in force and the descriptors in use now.
OpenFiles open_files() noexcept;

/// Descriptors a stage needs beyond its connections: the health probe, the backend's log
/// pipes, reports and logs being written, libcurl's and epoll's own descriptors.
inline constexpr std::uint64_t k_open_files_reserve = 32;

/// Checks that `connections` more descriptors (plus `per_worker` for each of `workers`
/// threads and k_open_files_reserve) fit under the soft limit. Returns an empty string when
/// they do, else the problem in words with the `ulimit -n` to set, e.g.
/// `stage "peak" needs about 10100 open files (10000 connections + 68 in use + ...), but the
/// open-files limit is 1024 (hard limit 1024): run `ulimit -n 10100` ... or lower vus`.
/// `what` names the stage, `load_key` the pipeline key that sets the connections ("vus" or
/// "max_vus").
std::string open_files_problem(const OpenFiles& limits, std::uint64_t connections,
                               std::uint64_t workers, std::uint64_t per_worker,
                               const std::string& what, const std::string& load_key);

/// How many connections fit under the soft limit with the same accounting as
/// open_files_problem (0 when none do).
std::uint64_t connections_that_fit(const OpenFiles& limits, std::uint64_t workers,
                                   std::uint64_t per_worker) noexcept;

}  // namespace orch
