#include "core/clock.hpp"

#include <fmt/format.h>
#include <ctime>

namespace orch {

std::string iso8601_utc(std::chrono::system_clock::time_point when) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(when);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - secs).count();
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(ms));
}

std::string compact_utc(std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace orch
