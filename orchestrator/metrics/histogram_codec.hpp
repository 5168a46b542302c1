// The lossless, compact form of an HdrHistogram, for results.json parts that
// `stagegate merge` adds up. The buckets are written in HdrHistogram's V2 compressed
// encoding (the form HdrHistogram_c's hdr_log_encode and the Java/JS/Python ports read:
// a 40-byte big-endian header, counts as zig-zag LEB128 with runs of empty buckets as one
// negative number, deflated in a zlib stream with its Adler-32 check, then base64). Our
// bucket layout is theirs for lowest value 1, highest 2^36 and 2 significant figures.
// What that form lacks (exact min, max, sum and the overflow count) travels beside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "metrics/hdr_histogram.hpp"

namespace orch {

// --- Interface ---

/// One serialized histogram: the V2 compressed buckets in base64 plus the exact figures.
struct HistogramRecord {
    std::uint64_t count = 0;
    std::uint64_t overflow = 0;
    std::int64_t min = 0;  ///< microseconds; 0 when empty
    std::int64_t max = 0;
    std::uint64_t sum = 0;  ///< microseconds, exact (every recorded value is whole)
    std::string hdr;        ///< base64 of the V2 compressed encoding
};

/// Serializes `histogram`.
HistogramRecord encode_histogram(const HdrHistogram& histogram);

/// Reads a record back. invalid_input saying what is wrong for bad base64, a cookie or
/// layout of another histogram, a zlib stream that fails its check (corrupt or cut),
/// counts that run past the layout, or figures that do not fit the buckets (a count,
/// min, max or sum that differs from what the buckets hold).
Result<HdrHistogram> decode_histogram(const HistogramRecord& record);

}  // namespace orch
