// A log-linear (HDR-style) latency histogram in microseconds. Values are bucketed by
// magnitude (power of two) and, within a magnitude, linearly into 128 sub-buckets, so the
// relative error of any reported quantile is below 1%. Min, max, sum and count are exact.
// The counts array is allocated once in the constructor: record() never allocates, and
// memory does not grow with the number of samples. Histograms of the same layout merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace orch {

// --- Interface ---

class HdrHistogram {
  public:
    /// Highest trackable value: 2^36 us (about 19 hours). Larger values are clamped to it
    /// and counted in overflow_count().
    static constexpr std::int64_t k_max_value_us = std::int64_t{1} << 36;

    HdrHistogram();

    /// Records one value in microseconds; negative values are recorded as 0. Never allocates.
    void record(std::int64_t value_us) noexcept;

    /// Adds every count of `other` into this histogram.
    void merge(const HdrHistogram& other) noexcept;

    /// Forgets every sample (keeps the allocation).
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

    /// Number of buckets (fixed at construction) and bytes held, for memory checks.
    std::size_t bucket_count() const noexcept;
    std::size_t memory_bytes() const noexcept;

    // Bucket access, for the lossless serialization (metrics/histogram_codec.hpp). The
    // layout is HdrHistogram's for lowest value 1, highest k_max_value_us and 2 significant
    // figures: bucket index i here is counts index i there.

    /// The bucket a value falls in (values are clamped to [0, k_max_value_us]).
    static std::size_t bucket_of(std::int64_t value_us) noexcept;
    /// The count of bucket `index` (0 past the last bucket).
    std::uint64_t bucket(std::size_t index) const noexcept {
        return index < m_counts.size() ? m_counts[index] : 0;
    }
    /// The exact sum of the recorded values (microseconds).
    long double sum() const noexcept { return m_sum; }

    /// Rebuilds a histogram from its buckets and exact figures, as serialized. False (and
    /// the histogram left empty) when they do not fit together: a bucket index past the
    /// layout, counts that do not add up to the total, min or max outside their buckets
    /// or not the first/last non-empty bucket, a sum that the buckets' values cannot add
    /// up to.
    bool assign(const std::vector<std::pair<std::size_t, std::uint64_t>>& buckets,
                std::uint64_t overflow, std::int64_t min, std::int64_t max,
                long double sum) noexcept;

  private:
    std::vector<std::uint64_t> m_counts;
    std::uint64_t m_count = 0;
    std::uint64_t m_overflow = 0;
    std::int64_t m_min = 0;
    std::int64_t m_max = 0;
    long double m_sum = 0;
};

}  // namespace orch
