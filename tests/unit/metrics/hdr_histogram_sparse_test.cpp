// HdrHistogram keeps its counters in chunks allocated on first use. These tests hold it to
// the dense layout it replaced: DenseReference below is the previous implementation (one
// 3841-counter array allocated up front), kept here only as the oracle. Every figure the
// histogram reports must be the dense one's, bucket for bucket.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/hdr_histogram.hpp"

using namespace orch;

namespace {

/// The dense histogram as it was before chunked storage (same layout, same arithmetic).
class DenseReference {
  public:
    static std::size_t index_of(std::int64_t value) {
        auto v = static_cast<std::uint64_t>(value);
        auto magnitude = static_cast<unsigned>(std::bit_width(v | 255U)) - 8U;
        return static_cast<std::size_t>(magnitude) * 128 + static_cast<std::size_t>(v >> magnitude);
    }
    static void bucket_range(std::size_t index, std::int64_t& low, std::int64_t& width) {
        std::size_t magnitude = index < 256 ? 0 : (index >> 7) - 1;
        std::size_t sub = index - magnitude * 128;
        low = static_cast<std::int64_t>(sub) << magnitude;
        width = std::int64_t{1} << magnitude;
    }

    DenseReference() : counts(index_of(HdrHistogram::k_max_value_us) + 1, 0) {}

    void record(std::int64_t value) {
        value = std::max<std::int64_t>(value, 0);
        if (value > HdrHistogram::k_max_value_us) {
            value = HdrHistogram::k_max_value_us;
            ++overflow;
        }
        ++counts[index_of(value)];
        ++count;
        sum += static_cast<long double>(value);
        min = std::min(min, value);
        max = std::max(max, value);
    }
    void merge(const DenseReference& other) {
        for (std::size_t i = 0; i < counts.size(); ++i) {
            counts[i] += other.counts[i];
        }
        count += other.count;
        overflow += other.overflow;
        sum += other.sum;
        min = std::min(min, other.min);
        max = std::max(max, other.max);
    }
    std::int64_t value_at_percentile(double percentile) const {
        if (count == 0) {
            return 0;
        }
        if (!(percentile > 0)) {
            return min;
        }
        if (percentile >= 100) {
            return max;
        }
        double exact_rank = percentile / 100.0 * static_cast<double>(count);
        auto rank = static_cast<std::uint64_t>(std::ceil(exact_rank - 1e-7));
        rank = std::clamp<std::uint64_t>(rank, 1, count);
        std::uint64_t seen = 0;
        for (std::size_t i = index_of(min); i <= index_of(max); ++i) {
            seen += counts[i];
            if (seen >= rank) {
                std::int64_t low = 0;
                std::int64_t width = 0;
                bucket_range(i, low, width);
                return std::clamp(low + (width - 1) / 2, min, max);
            }
        }
        return max;
    }

    std::vector<std::uint64_t> counts;
    std::uint64_t count = 0;
    std::uint64_t overflow = 0;
    std::int64_t min = std::numeric_limits<std::int64_t>::max();
    std::int64_t max = 0;
    long double sum = 0;
};

/// Every reported figure of `sparse` is the dense one's: buckets, count, min, max, mean,
/// overflow and the percentiles on a fine grid.
void check_same(const HdrHistogram& sparse, const DenseReference& dense) {
    REQUIRE(sparse.bucket_count() == dense.counts.size());
    std::size_t different = 0;
    for (std::size_t i = 0; i < dense.counts.size(); ++i) {
        different += sparse.bucket(i) != dense.counts[i] ? 1 : 0;
    }
    CHECK(different == 0);
    CHECK(sparse.bucket(dense.counts.size()) == 0);
    CHECK(sparse.count() == dense.count);
    CHECK(sparse.overflow_count() == dense.overflow);
    CHECK(sparse.sum() == dense.sum);
    if (dense.count > 0) {
        CHECK(sparse.min() == dense.min);
        CHECK(sparse.max() == dense.max);
    }
    for (double p = 0; p <= 100; p += 0.25) {
        INFO("percentile " << p);
        CHECK(sparse.value_at_percentile(p) == dense.value_at_percentile(p));
    }
    for (double p : {99.9, 99.99, 99.999}) {
        CHECK(sparse.value_at_percentile(p) == dense.value_at_percentile(p));
    }
}

/// Named distributions of latencies in microseconds, seeded.
std::vector<std::int64_t> samples(int kind, std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> out;
    out.reserve(n);
    std::lognormal_distribution<double> narrow(std::log(2'000.0), 0.3);  // ~2 ms
    std::lognormal_distribution<double> wide(8.0, 2.0);
    std::uniform_int_distribution<std::int64_t> any(-10, HdrHistogram::k_max_value_us * 2);
    for (std::size_t i = 0; i < n; ++i) {
        switch (kind) {
            case 0:
                out.push_back(std::llround(narrow(rng)));
                break;
            case 1:
                out.push_back(std::llround(std::min(wide(rng), 1e12)));
                break;
            case 2:
                out.push_back(any(rng));
                break;  // every magnitude, negatives, overflow
            default:
                out.push_back(static_cast<std::int64_t>(i % 300));
                break;  // exact values
        }
    }
    return out;
}

}  // namespace

TEST_CASE("chunked storage reports what the dense histogram did, bucket for bucket") {
    for (int kind = 0; kind < 4; ++kind) {
        INFO("distribution " << kind);
        HdrHistogram sparse;
        DenseReference dense;
        for (auto v : samples(kind, 100'000, 11 + static_cast<std::uint64_t>(kind))) {
            sparse.record(v);
            dense.record(v);
        }
        check_same(sparse, dense);
    }
}

TEST_CASE("chunked merge equals the dense merge, whichever side holds which chunks") {
    HdrHistogram low;
    HdrHistogram high;
    DenseReference dense_low;
    DenseReference dense_high;
    for (auto v : samples(0, 20'000, 3)) {
        low.record(v);
        dense_low.record(v);
    }
    for (auto v : samples(1, 20'000, 4)) {
        high.record(v);
        dense_high.record(v);
    }
    HdrHistogram into_empty;
    into_empty.merge(high);
    check_same(into_empty, dense_high);

    low.merge(high);  // high has chunks low lacks, and shares some
    dense_low.merge(dense_high);
    check_same(low, dense_low);

    HdrHistogram again = low;  // a copy owns its chunks
    again.merge(high);
    dense_low.merge(dense_high);
    check_same(again, dense_low);
    CHECK(low.count() + high.count() == again.count());
}

TEST_CASE("buckets and figures round-trip through assign (the lossless codec's path)") {
    for (int kind = 0; kind < 4; ++kind) {
        INFO("distribution " << kind);
        HdrHistogram original;
        DenseReference dense;
        for (auto v : samples(kind, 50'000, 21 + static_cast<std::uint64_t>(kind))) {
            original.record(v);
            dense.record(v);
        }
        std::vector<std::pair<std::size_t, std::uint64_t>> buckets;
        for (std::size_t i = 0; i < original.bucket_count(); ++i) {
            if (original.bucket(i) != 0) {
                buckets.emplace_back(i, original.bucket(i));
            }
        }
        HdrHistogram copy;
        REQUIRE(copy.assign(buckets, original.overflow_count(), original.min(), original.max(),
                            original.sum()));
        check_same(copy, dense);
        CHECK(copy.chunks_allocated() == original.chunks_allocated());
    }
}

TEST_CASE("assign rejects figures that do not fit the buckets and leaves it empty") {
    HdrHistogram h;
    const std::size_t b = HdrHistogram::bucket_of(1'000);
    CHECK(h.assign({{b, 2}}, 0, 1'000, 1'000, 2'000));
    CHECK(h.count() == 2);
    CHECK_FALSE(h.assign({{h.bucket_count(), 1}}, 0, 0, 0, 0));  // past the layout
    CHECK(h.empty());
    CHECK_FALSE(h.assign({{b, 1}}, 0, 5, 1'000, 1'000));  // min not in the first bucket
    CHECK(h.empty());
    CHECK(h.bucket(b) == 0);
    CHECK_FALSE(h.assign({{b, 1}}, 0, 1'000, 1'000, 9'999));  // sum out of the bucket
    CHECK(h.assign({}, 0, 0, 0, 0));
    CHECK(h.empty());
}

TEST_CASE("a narrow latency distribution holds a few KB, the whole range about the dense size") {
    const std::size_t dense_bytes = sizeof(std::vector<std::uint64_t>) + 3841 * 8;  // ~30.7 KB
    HdrHistogram empty;
    CHECK(empty.memory_bytes() < 512);
    CHECK(empty.chunks_allocated() == 0);

    HdrHistogram narrow;  // ~2 ms, sigma 0.3: about 0.8 to 5 ms
    for (auto v : samples(0, 100'000, 7)) {
        narrow.record(v);
    }
    INFO("narrow: " << narrow.memory_bytes() << " bytes, " << narrow.chunks_allocated()
                    << " chunks");
    CHECK(narrow.memory_bytes() < 4 * 1024);
    CHECK(narrow.memory_bytes() == sizeof(HdrHistogram) + narrow.chunks_allocated() *
                                                              HdrHistogram::k_chunk_size *
                                                              sizeof(std::uint64_t));

    HdrHistogram full;  // every chunk: the dense size plus the chunk table
    for (int magnitude = 0; magnitude <= 36; ++magnitude) {  // every sub-bucket of the range
        for (std::int64_t sub = 0; sub < 256; ++sub) {
            full.record(sub << magnitude);
        }
    }
    CHECK(full.chunks_allocated() == HdrHistogram::k_chunk_count);
    CHECK(full.memory_bytes() <= dense_bytes + 512);
    std::size_t bytes = full.memory_bytes();
    for (auto v : samples(2, 200'000, 9)) {
        full.record(v);
    }
    CHECK(full.memory_bytes() == bytes);  // more samples, no more memory
}
