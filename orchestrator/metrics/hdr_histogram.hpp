// A log-linear (HDR-style) latency histogram in microseconds. Values are bucketed by
// magnitude (power of two) and, within a magnitude, linearly into 128 sub-buckets, so the
// relative error of any reported quantile is below 1%. Min, max, sum and count are exact.
// Histograms of the same layout merge.
//
// Storage is sparse: the 3841 counters are kept in chunks of 32 (a quarter of a power of
// two, 256 bytes), and a chunk is allocated the first time a value falls in it. A histogram
// of a typical latency distribution (a few hundred us to a few tens of ms) holds a few KB
// instead of 30 KB. The allocation rule: record() and merge() allocate at most once per
// chunk over the histogram's life (reset() keeps every chunk), so once the values' range
// has been seen, the steady path never allocates; memory never grows with the number of
// samples, only with the range of values, and is bounded by the whole layout (~31 KB).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace orch {

// --- Interface ---

class HdrHistogram {
  public:
    /// Highest trackable value: 2^36 us (about 19 hours). Larger values are clamped to it
    /// and counted in overflow_count().
    static constexpr std::int64_t k_max_value_us = std::int64_t{1} << 36;

    HdrHistogram();

    /// Records one value in microseconds; negative values are recorded as 0. Allocates only
    /// when the value is the first in its chunk; should that allocation fail, the value is
    /// not recorded (nothing changes). Inline: the common case (a value in range, in a
    /// chunk already allocated) is one table load, one increment and the exact figures;
    /// everything else goes out of line.
    void record(std::int64_t value_us) noexcept {
        auto value = static_cast<std::uint64_t>(value_us);  // a negative value is huge here
        if (value <= static_cast<std::uint64_t>(k_max_value_us)) [[likely]] {
            std::size_t index = index_of(value);
            std::uint8_t slot = m_slots[index >> k_chunk_bits];
            if (slot != 0) [[likely]] {
                ++m_counts[slot_offset(slot) + (index & k_chunk_mask)];
                ++m_count;
                m_sum += value;
                m_min = value_us < m_min ? value_us : m_min;
                m_max = value_us > m_max ? value_us : m_max;
                return;
            }
        }
        record_slow(value_us);
    }

    /// Adds every count of `other` into this histogram. Allocates only the chunks `other`
    /// uses that this one does not; should that fail, nothing is added.
    void merge(const HdrHistogram& other) noexcept;

    /// Forgets every sample (keeps every chunk allocated).
    void reset() noexcept;

    std::uint64_t count() const noexcept { return m_count; }
    bool empty() const noexcept { return m_count == 0; }
    std::int64_t min() const noexcept;  ///< exact; 0 when empty
    std::int64_t max() const noexcept;  ///< exact; 0 when empty
    double mean() const noexcept;       ///< exact (sum / count); 0 when empty
    std::uint64_t overflow_count() const noexcept { return m_overflow; }

    /// The value at `percentile` in [0, 100] (e.g. 99.9), within 1% of the exact
    /// nearest-rank percentile of the recorded samples, clamped to [min(), max()].
    std::int64_t value_at_percentile(double percentile) const noexcept;

    /// Number of buckets of the layout (fixed, whether allocated or not) and bytes held
    /// (the object and the chunks allocated so far), for memory checks.
    std::size_t bucket_count() const noexcept;
    std::size_t memory_bytes() const noexcept;

    // Bucket access, for the lossless serialization (metrics/histogram_codec.hpp). The
    // layout is HdrHistogram's for lowest value 1, highest k_max_value_us and 2 significant
    // figures: bucket index i here is counts index i there.

    /// Bucket layout (as HdrHistogram with two significant digits): bucket b >= 0 covers
    /// [128 * 2^b, 256 * 2^b) in 128 sub-buckets of width 2^b, and bucket 0 also covers
    /// [0, 128) with width 1. A value's index is b * 128 + (value >> b) where
    /// b = bit_width(value | 255) - 8: one bit_width, one shift, no branch, no loop.
    /// This is the bucket of a value in [0, k_max_value_us] (bucket_of clamps first).
    static constexpr std::size_t index_of(std::uint64_t value) noexcept {
        auto magnitude = static_cast<unsigned>(std::bit_width(value | 255U)) - 8U;
        return (static_cast<std::size_t>(magnitude) << 7) +
               static_cast<std::size_t>(value >> magnitude);
    }
    /// The bucket a value falls in (values are clamped to [0, k_max_value_us]).
    static std::size_t bucket_of(std::int64_t value_us) noexcept;
    /// The count of bucket `index` (0 past the last bucket or in a chunk not allocated).
    std::uint64_t bucket(std::size_t index) const noexcept {
        std::size_t chunk = index >> k_chunk_bits;
        if (chunk >= k_chunk_count || m_slots[chunk] == 0) {
            return 0;
        }
        return m_counts[slot_offset(m_slots[chunk]) + (index & k_chunk_mask)];
    }
    /// The exact sum of the recorded values (microseconds; exact below 2^64 us, some
    /// 584,000 years of summed latency, as the serialization's 64-bit field).
    long double sum() const noexcept { return static_cast<long double>(m_sum); }

    /// Rebuilds a histogram from its buckets and exact figures, as serialized. False (and
    /// the histogram left empty) when they do not fit together: a bucket index past the
    /// layout, counts that do not add up to the total, min or max outside their buckets
    /// or not the first/last non-empty bucket, a sum that the buckets' values cannot add
    /// up to. Allocates the chunks of the non-empty buckets; false too if that fails.
    bool assign(const std::vector<std::pair<std::size_t, std::uint64_t>>& buckets,
                std::uint64_t overflow, std::int64_t min, std::int64_t max,
                long double sum) noexcept;

    /// Counters per chunk, and chunks in the layout.
    static constexpr unsigned k_chunk_bits = 5;
    static constexpr std::size_t k_chunk_size = std::size_t{1} << k_chunk_bits;
    static constexpr std::size_t k_chunk_mask = k_chunk_size - 1;
    static constexpr std::size_t k_chunk_count = (3841 + k_chunk_size - 1) / k_chunk_size;
    /// Chunks allocated so far.
    std::size_t chunks_allocated() const noexcept { return m_counts.size() / k_chunk_size; }

  private:
    static constexpr std::size_t slot_offset(std::uint8_t slot) noexcept {
        return (static_cast<std::size_t>(slot) - 1) << k_chunk_bits;
    }
    /// Allocates chunk `chunk` (not allocated yet) at the end of m_counts; false without memory.
    bool add_chunk(std::size_t chunk) noexcept;
    /// record() for a value out of range (clamped, counted as overflow) or in a chunk not
    /// allocated yet.
    void record_slow(std::int64_t value_us) noexcept;

    /// Per chunk of the layout: 0 when not allocated, else 1 + its position in m_counts.
    std::array<std::uint8_t, k_chunk_count> m_slots{};
    /// The allocated chunks' counters, k_chunk_size each, in the order they were allocated.
    std::vector<std::uint64_t> m_counts;
    std::uint64_t m_count = 0;
    std::uint64_t m_overflow = 0;
    std::int64_t m_min = 0;
    std::int64_t m_max = 0;
    std::uint64_t m_sum = 0;
};

}  // namespace orch
