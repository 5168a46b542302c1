#include "core/open_files.hpp"

#include <dirent.h>
#include <sys/resource.h>

namespace orch {

namespace {

std::uint64_t descriptors_in_use() noexcept {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        return 0;
    }
    std::uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    ::closedir(dir);
    // The directory stream's own descriptor was one of them.
    return count > 0 ? count - 1 : 0;
}

std::uint64_t as_count(rlim_t value) noexcept {
    return value == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(value);
}

std::uint64_t overhead(const OpenFiles& limits, std::uint64_t workers,
                       std::uint64_t per_worker) noexcept {
    return limits.in_use + workers * per_worker + k_open_files_reserve;
}

}  // namespace

OpenFiles open_files() noexcept {
    OpenFiles result;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        result.soft = as_count(limit.rlim_cur);
        result.hard = as_count(limit.rlim_max);
    } else {
        result.soft = result.hard = UINT64_MAX;
    }
    result.in_use = descriptors_in_use();
    return result;
}

OpenFiles raise_open_files_limit() noexcept {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &limit);  // refused: the old limit stays, and counts
    }
    return open_files();
}

std::uint64_t connections_that_fit(const OpenFiles& limits, std::uint64_t workers,
                                   std::uint64_t per_worker) noexcept {
    std::uint64_t used = overhead(limits, workers, per_worker);
    return limits.soft > used ? limits.soft - used : 0;
}

std::string open_files_problem(const OpenFiles& limits, std::uint64_t connections,
                               std::uint64_t workers, std::uint64_t per_worker,
                               const std::string& what, const std::string& load_key) {
    std::uint64_t needed = connections + overhead(limits, workers, per_worker);
    if (needed <= limits.soft) {
        return {};
    }
    // Advice: 10% of room, rounded up to a multiple of 1024.
    std::uint64_t advice = (needed + needed / 10 + 1023) / 1024 * 1024;
    std::string text = what + " needs about " + std::to_string(needed) + " open files (" +
                       std::to_string(connections) + " connections + " +
                       std::to_string(limits.in_use) + " in use + " +
                       std::to_string(workers * per_worker + k_open_files_reserve) +
                       " for the workers, health checks and logs), but stagegate's open-files "
                       "limit is " +
                       std::to_string(limits.soft) + " (hard limit " + std::to_string(limits.hard) +
                       "): run `ulimit -n " + std::to_string(advice) + "` before stagegate";
    if (advice > limits.hard) {
        text += " (above the hard limit: as root `ulimit -Hn " + std::to_string(advice) +
                "` first, or nofile in /etc/security/limits.conf, LimitNOFILE= for a service, "
                "docker run --ulimit nofile=" +
                std::to_string(advice) + ")";
    }
    text += ", or lower " + load_key + " to at most " +
            std::to_string(connections_that_fit(limits, workers, per_worker));
    return text;
}

}  // namespace orch
