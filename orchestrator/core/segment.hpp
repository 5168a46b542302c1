// Segments: `stagegate run P --segment I/N` runs a disjoint share of every stage so that N
// processes (machines) together run the whole stage. The split is striped, as k6's
// execution segments are striped: closed-model VU n (0-based, numbered across the whole
// stage) belongs to segment n mod N, and open-model arrival k to segment k mod N. So the
// shares of any count add up exactly (5 over 3: 2, 2, 1; the lower segments take the
// remainder), at every step of a ramp too (the first k VUs of a ramp are split by the same
// rule), and VU 7 is VU 7 whichever segment runs it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

struct Segment {
    std::uint32_t index = 0;  ///< I, 0-based
    std::uint32_t count = 1;  ///< N; 1: the whole stage (no --segment)

    bool whole() const noexcept { return count == 1; }
    /// Whether global item `n` (VU number or arrival index) belongs to this segment.
    bool owns(std::uint64_t n) const noexcept { return n % count == index; }
    /// How many of the items 0..total-1 belong to this segment: total / N, plus one for the
    /// first total mod N segments.
    std::uint64_t share(std::uint64_t total) const noexcept {
        return total / count + (index < total % count ? 1 : 0);
    }
    /// Items 0..total-1 of the segments before this one (where a contiguous numbering of
    /// this segment's share would start, 0-based).
    std::uint64_t shares_before(std::uint64_t total) const noexcept {
        return std::uint64_t{index} * (total / count) +
               std::min<std::uint64_t>(index, total % count);
    }
    /// "I/N".
    std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

/// Parses "I/N" (0 <= I < N, 1 <= N <= 1000000); invalid_input naming what is wrong.
Result<Segment> parse_segment(std::string_view text);

/// Parses an RFC 3339 timestamp ("2026-12-03T10:15:00Z", "2026-12-03T11:15:00.5+01:00")
/// into nanoseconds since the Unix epoch; invalid_input with an example otherwise.
Result<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace orch
