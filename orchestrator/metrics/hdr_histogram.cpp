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
    return HdrHistogram::index_of(static_cast<std::uint64_t>(value));
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

static_assert(k_bucket_count <= HdrHistogram::k_chunk_count * HdrHistogram::k_chunk_size);
static_assert(k_bucket_count > (HdrHistogram::k_chunk_count - 1) * HdrHistogram::k_chunk_size);
static_assert(HdrHistogram::k_chunk_count < 256, "a chunk's slot is a uint8_t");

}  // namespace

HdrHistogram::HdrHistogram() : m_min(std::numeric_limits<std::int64_t>::max()) {}

bool HdrHistogram::add_chunk(std::size_t chunk) noexcept {
    try {
        // Exactly one more chunk: one allocation per chunk, memory_bytes() is what is held.
        m_counts.reserve(m_counts.size() + k_chunk_size);
        m_counts.resize(m_counts.size() + k_chunk_size, 0);
    } catch (...) {
        return false;
    }
    m_slots[chunk] = static_cast<std::uint8_t>(m_counts.size() / k_chunk_size);
    return true;
}

void HdrHistogram::record_slow(std::int64_t value_us) noexcept {
    bool overflow = value_us > k_max_value_us;
    value_us = std::clamp<std::int64_t>(value_us, 0, k_max_value_us);
    std::size_t index = index_of(value_us);
    std::size_t chunk = index >> k_chunk_bits;
    if (m_slots[chunk] == 0 && !add_chunk(chunk)) {
        return;  // out of memory: nothing recorded
    }
    ++m_counts[slot_offset(m_slots[chunk]) + (index & k_chunk_mask)];
    ++m_count;
    m_overflow += overflow ? 1 : 0;
    m_sum += static_cast<std::uint64_t>(value_us);
    m_min = std::min(m_min, value_us);
    m_max = std::max(m_max, value_us);
}

void HdrHistogram::merge(const HdrHistogram& other) noexcept {
    if (other.m_count == 0) {
        return;
    }
    std::size_t missing = 0;
    for (std::size_t chunk = 0; chunk < k_chunk_count; ++chunk) {
        missing += other.m_slots[chunk] != 0 && m_slots[chunk] == 0 ? 1 : 0;
    }
    if (missing > 0) {
        try {
            m_counts.reserve(m_counts.size() + missing * k_chunk_size);  // one allocation
        } catch (...) {
            return;
        }
    }
    for (std::size_t chunk = 0; chunk < k_chunk_count; ++chunk) {
        std::uint8_t from = other.m_slots[chunk];
        if (from == 0) {
            continue;
        }
        if (m_slots[chunk] == 0) {
            add_chunk(chunk);  // within the capacity reserved above: cannot fail
        }
        std::uint64_t* to = &m_counts[slot_offset(m_slots[chunk])];
        const std::uint64_t* in = &other.m_counts[slot_offset(from)];
        for (std::size_t i = 0; i < k_chunk_size; ++i) {
            to[i] += in[i];
        }
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
    return m_count == 0 ? 0.0
                        : static_cast<double>(static_cast<long double>(m_sum) /
                                              static_cast<long double>(m_count));
}

std::size_t HdrHistogram::bucket_count() const noexcept {
    return k_bucket_count;
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
    std::size_t first = k_bucket_count;
    std::size_t last = 0;
    // The sum lies between what the buckets' lowest and highest values add up to.
    long double lowest_sum = 0;
    long double highest_sum = 0;
    for (const auto& [index, count] : buckets) {
        if (index >= k_bucket_count || count > ~std::uint64_t{0} - total) {
            reset();
            return false;
        }
        if (count == 0) {
            continue;
        }
        std::size_t chunk = index >> k_chunk_bits;
        if (m_slots[chunk] == 0 && !add_chunk(chunk)) {
            reset();
            return false;
        }
        m_counts[slot_offset(m_slots[chunk]) + (index & k_chunk_mask)] += count;
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
              index_of(max) == last && overflow <= total && sum >= lowest_sum &&
              sum <= highest_sum && sum < 18446744073709551616.0L && sum == std::floor(sum);
    if (!ok) {
        reset();
        return false;
    }
    m_count = total;
    m_overflow = overflow;
    m_min = min;
    m_max = max;
    m_sum = static_cast<std::uint64_t>(sum);
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
    std::size_t first = index_of(m_min);
    std::size_t last = index_of(m_max);
    for (std::size_t chunk = first >> k_chunk_bits; chunk <= last >> k_chunk_bits; ++chunk) {
        std::uint8_t slot = m_slots[chunk];
        if (slot == 0) {
            continue;  // nothing was ever recorded in it
        }
        const std::uint64_t* counts = &m_counts[slot_offset(slot)];
        std::size_t from = std::max(first, chunk << k_chunk_bits);
        std::size_t to = std::min(last, (chunk << k_chunk_bits) + k_chunk_mask);
        for (std::size_t i = from; i <= to; ++i) {
            seen += counts[i & k_chunk_mask];
            if (seen >= rank) {
                std::int64_t low = 0;
                std::int64_t width = 0;
                bucket_range(i, low, width);
                // The midpoint is within half a bucket (< 0.4%) of any value in the bucket.
                std::int64_t value = low + (width - 1) / 2;
                return std::clamp(value, m_min, m_max);
            }
        }
    }
    return m_max;
}

}  // namespace orch
