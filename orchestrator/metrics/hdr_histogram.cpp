// Bucket layout (as HdrHistogram with two significant digits): bucket b >= 0 covers
// [128 * 2^b, 256 * 2^b) in 128 sub-buckets of width 2^b, and bucket 0 also covers
// [0, 128) with width 1. A value's index is b * 128 + (value >> b) where
// b = bit_width(value | 255) - 8: one bit_width, one shift, no branch, no loop.
#include "metrics/hdr_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace orch {

namespace {

constexpr int k_sub_bucket_bits = 7;  // 128 sub-buckets per power of two
constexpr std::int64_t k_sub_bucket_half = std::int64_t{1} << k_sub_bucket_bits;

constexpr std::size_t index_of(std::int64_t value) noexcept {
    auto v = static_cast<std::uint64_t>(value);
    auto magnitude = static_cast<unsigned>(std::bit_width(v | 255U)) - 8U;
    return static_cast<std::size_t>(magnitude) * static_cast<std::size_t>(k_sub_bucket_half) +
           static_cast<std::size_t>(v >> magnitude);
}

/// The lowest value and the width of the bucket at `index`.
constexpr void bucket_range(std::size_t index, std::int64_t& low, std::int64_t& width) noexcept {
    std::size_t magnitude = index < 256 ? 0 : (index >> k_sub_bucket_bits) - 1;
    std::size_t sub = index - magnitude * static_cast<std::size_t>(k_sub_bucket_half);
    low = static_cast<std::int64_t>(sub) << magnitude;
    width = std::int64_t{1} << magnitude;
}

constexpr std::size_t k_bucket_count = index_of(HdrHistogram::k_max_value_us) + 1;

static_assert(index_of(127) == 127 && index_of(255) == 255 && index_of(256) == 256);
static_assert(index_of(511) == 383 && index_of(512) == 384);

}  // namespace

HdrHistogram::HdrHistogram()
    : m_counts(k_bucket_count, 0), m_min(std::numeric_limits<std::int64_t>::max()) {}

void HdrHistogram::record(std::int64_t value_us) noexcept {
    if (value_us < 0) {
        value_us = 0;
    }
    if (value_us > k_max_value_us) {
        value_us = k_max_value_us;
        ++m_overflow;
    }
    ++m_counts[index_of(value_us)];
    ++m_count;
    m_sum += static_cast<long double>(value_us);
    m_min = std::min(m_min, value_us);
    m_max = std::max(m_max, value_us);
}

void HdrHistogram::merge(const HdrHistogram& other) noexcept {
    if (other.m_count == 0) {
        return;
    }
    std::size_t n = std::min(m_counts.size(), other.m_counts.size());
    for (std::size_t i = 0; i < n; ++i) {
        m_counts[i] += other.m_counts[i];
    }
    m_count += other.m_count;
    m_overflow += other.m_overflow;
    m_sum += other.m_sum;
    m_min = std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
}

void HdrHistogram::reset() noexcept {
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_count = 0;
    m_overflow = 0;
    m_sum = 0;
    m_min = std::numeric_limits<std::int64_t>::max();
    m_max = 0;
}

std::int64_t HdrHistogram::min() const noexcept {
    return m_count == 0 ? 0 : m_min;
}

std::int64_t HdrHistogram::max() const noexcept {
    return m_count == 0 ? 0 : m_max;
}

double HdrHistogram::mean() const noexcept {
    return m_count == 0 ? 0.0 : static_cast<double>(m_sum / static_cast<long double>(m_count));
}

std::size_t HdrHistogram::bucket_count() const noexcept {
    return m_counts.size();
}

std::size_t HdrHistogram::memory_bytes() const noexcept {
    return sizeof(*this) + m_counts.capacity() * sizeof(std::uint64_t);
}

std::size_t HdrHistogram::bucket_of(std::int64_t value_us) noexcept {
    return index_of(std::clamp<std::int64_t>(value_us, 0, k_max_value_us));
}

bool HdrHistogram::assign(const std::vector<std::pair<std::size_t, std::uint64_t>>& buckets,
                          std::uint64_t overflow, std::int64_t min, std::int64_t max,
                          long double sum) noexcept {
    reset();
    std::uint64_t total = 0;
    std::size_t first = m_counts.size();
    std::size_t last = 0;
    // The sum lies between what the buckets' lowest and highest values add up to.
    long double lowest_sum = 0;
    long double highest_sum = 0;
    for (const auto& [index, count] : buckets) {
        if (index >= m_counts.size() || count > ~std::uint64_t{0} - total) {
            reset();
            return false;
        }
        if (count == 0) {
            continue;
        }
        m_counts[index] += count;
        total += count;
        std::int64_t low = 0;
        std::int64_t width = 0;
        bucket_range(index, low, width);
        lowest_sum += static_cast<long double>(count) * static_cast<long double>(low);
        highest_sum += static_cast<long double>(count) * static_cast<long double>(low + width - 1);
        first = std::min(first, index);
        last = std::max(last, index);
    }
    if (total == 0) {
        bool ok = overflow == 0 && min == 0 && max == 0 && sum == 0;
        reset();
        return ok;
    }
    bool ok = min >= 0 && min <= max && max <= k_max_value_us && index_of(min) == first &&
              index_of(max) == last && overflow <= total && sum >= lowest_sum && sum <= highest_sum;
    if (!ok) {
        reset();
        return false;
    }
    m_count = total;
    m_overflow = overflow;
    m_min = min;
    m_max = max;
    m_sum = sum;
    return true;
}

std::int64_t HdrHistogram::value_at_percentile(double percentile) const noexcept {
    if (m_count == 0) {
        return 0;
    }
    if (!(percentile > 0)) {  // also NaN
        return m_min;
    }
    if (percentile >= 100) {
        return m_max;
    }
    // Nearest rank: the smallest value with at least ceil(p/100 * n) samples at or below it.
    // The small allowance keeps 99.9% of 1000 at rank 999, not 1000 (0.999 is inexact).
    double exact_rank = percentile / 100.0 * static_cast<double>(m_count);
    auto rank = static_cast<std::uint64_t>(std::ceil(exact_rank - 1e-7));
    rank = std::clamp<std::uint64_t>(rank, 1, m_count);
    std::uint64_t seen = 0;
    std::size_t last = index_of(m_max);
    for (std::size_t i = index_of(m_min); i <= last; ++i) {
        seen += m_counts[i];
        if (seen >= rank) {
            std::int64_t low = 0;
            std::int64_t width = 0;
            bucket_range(i, low, width);
            // The midpoint is within half a bucket (< 0.4%) of any value in the bucket.
            std::int64_t value = low + (width - 1) / 2;
            return std::clamp(value, m_min, m_max);
        }
    }
    return m_max;
}

}  // namespace orch
