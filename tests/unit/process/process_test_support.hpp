// Helpers for the process tests: a scratch folder, waiting for a condition, and reading a
// process's state straight from /proc (independently of process/process_tree.hpp).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/files.hpp"

namespace orch::test {

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// True while `pid` exists and is not a zombie. A killed orphan may linger as a zombie when
/// the container's init does not reap: it is dead all the same.
inline bool process_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) {
        return false;
    }
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) {
        return false;
    }
    char state = stat[close + 2];
    return state != 'Z' && state != 'X';
}

inline std::filesystem::path fixture(const std::string& name) {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "processes" / name;
}

}  // namespace orch::test
