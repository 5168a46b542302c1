// Wall-clock stamps for reports and a monotonic stopwatch for durations.
#pragma once

#include <chrono>
#include <string>

namespace orch {

// --- Interface ---

/// "2026-11-27T04:30:00.123Z" (UTC, milliseconds).
std::string iso8601_utc(std::chrono::system_clock::time_point when);
inline std::string iso8601_now() {
    return iso8601_utc(std::chrono::system_clock::now());
}

/// "20261127T043000Z": compact UTC stamp for run ids and folder names.
std::string compact_utc(std::chrono::system_clock::time_point when);

/// Seconds elapsed on the monotonic clock since construction.
class Stopwatch {
  public:
    Stopwatch() : m_start(std::chrono::steady_clock::now()) {}
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    std::chrono::steady_clock::time_point start() const { return m_start; }

  private:
    std::chrono::steady_clock::time_point m_start;
};

}  // namespace orch
