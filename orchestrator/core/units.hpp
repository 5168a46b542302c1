// Durations and sizes as pipelines write them: "250ms", "30s", "2m", "1h30m", "64MB".
// A bare number is rejected with a hint, so "30" never silently means 30 ms or 30 s.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

using Duration = std::chrono::microseconds;

/// Parses a duration with units `us ms s m h`, concatenated from largest to smallest
/// ("1h30m", "1m30s", "1.5s"). Returns invalid_input with a message that suggests a fix
/// ("\"30\" is not a duration (try 30s)").
Result<Duration> parse_duration(std::string_view text);

/// Shortest exact form: 1500ms -> "1.5s", 90s -> "1m30s", 250ms -> "250ms".
std::string format_duration(Duration duration);

/// Parses a size in bytes: a number with a unit `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`
/// ("64MiB", "10MB", "1.5GB"). KB, MB and GB are powers of 1024 as well, as everywhere in
/// stagegate (backend.rss_* in MB is 2^20 bytes). A bare number is rejected with a hint.
Result<std::uint64_t> parse_size(std::string_view text);

/// Seconds as a double, for rates and reports.
inline double to_seconds(Duration duration) {
    return std::chrono::duration<double>(duration).count();
}

}  // namespace orch
