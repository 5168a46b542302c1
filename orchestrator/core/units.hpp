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

/// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest of `candidates` to `word` when it is close enough to be a likely typo,
/// else an empty string.
template <class Range>
std::string closest_match(std::string_view word, const Range& candidates) {
    std::string best;
    std::size_t best_distance = std::string::npos;
    for (const auto& candidate : candidates) {
        std::string_view c(candidate);
        std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(c);
        }
    }
    std::size_t limit = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
    return best_distance <= limit ? best : std::string();
}

}  // namespace orch
