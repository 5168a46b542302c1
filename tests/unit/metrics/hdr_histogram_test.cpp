#include "metrics/hdr_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using namespace orch;

namespace {

/// The exact nearest-rank percentile of `sorted`, `permille` thousandths (integer math).
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, std::size_t permille) {
    std::size_t rank = (permille * sorted.size() + 999) / 1000;
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

/// Records `samples` and checks every reported figure against the exact ones.
void check_against_exact(std::vector<std::int64_t> samples) {
    HdrHistogram histogram;
    long double sum = 0;
    for (auto v : samples) {
        histogram.record(v);
        sum += static_cast<long double>(v);
    }
    std::sort(samples.begin(), samples.end());
    REQUIRE(histogram.count() == samples.size());
    CHECK(histogram.min() == samples.front());
    CHECK(histogram.max() == samples.back());
    double exact_mean = static_cast<double>(sum / static_cast<long double>(samples.size()));
    CHECK(histogram.mean() == Approx(exact_mean).epsilon(1e-12));
    for (std::size_t permille : {500, 750, 900, 950, 990, 999}) {
        auto exact = static_cast<double>(exact_percentile(samples, permille));
        auto reported = static_cast<double>(
            histogram.value_at_percentile(static_cast<double>(permille) / 10.0));
        INFO("permille " << permille << " exact " << exact << " reported " << reported);
        CHECK(std::fabs(reported - exact) <= 0.01 * exact);
    }
}

}  // namespace

TEST_CASE("percentiles of a uniform distribution are within 1%") {
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<std::int64_t> dist(0, 2'000'000);
    std::vector<std::int64_t> samples(100'000);
    for (auto& s : samples) {
        s = dist(rng);
    }
    check_against_exact(samples);
}

TEST_CASE("percentiles of a log-normal distribution are within 1%") {
    std::mt19937_64 rng(2);
    std::lognormal_distribution<double> dist(9.0, 1.2);  // median ~8 ms, long tail
    std::vector<std::int64_t> samples(100'000);
    for (auto& s : samples) {
        s = std::llround(dist(rng));
    }
    check_against_exact(samples);
}

TEST_CASE("percentiles of a bimodal distribution are within 1%") {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> fast(2'000, 200);
    std::normal_distribution<double> slow(400'000, 30'000);
    std::bernoulli_distribution is_slow(0.07);
    std::vector<std::int64_t> samples(100'000);
    for (auto& s : samples) {
        s = std::max<std::int64_t>(0, std::llround(is_slow(rng) ? slow(rng) : fast(rng)));
    }
    check_against_exact(samples);
}

TEST_CASE("a constant and a single sample report that exact value") {
    check_against_exact(std::vector<std::int64_t>(1000, 123'457));
    check_against_exact({987'654'321});
    HdrHistogram one;
    one.record(77'777);
    CHECK(one.value_at_percentile(50) == 77'777);
    CHECK(one.value_at_percentile(99.9) == 77'777);
    CHECK(one.mean() == 77'777.0);
}

TEST_CASE("one million samples spanning microseconds to minutes stay within 1%") {
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> exponent(0.0, 27.0);  // 1 us .. ~2 min
    std::vector<std::int64_t> samples(1'000'000);
    for (auto& s : samples) {
        s = std::llround(std::exp2(exponent(rng)));
    }
    check_against_exact(samples);
}

TEST_CASE("small values are exact") {
    HdrHistogram histogram;
    for (std::int64_t v = 0; v < 256; ++v) {
        histogram.record(v);
    }
    for (int p = 1; p <= 100; ++p) {
        std::vector<std::int64_t> all(256);
        for (std::int64_t v = 0; v < 256; ++v) {
            all[static_cast<std::size_t>(v)] = v;
        }
        CHECK(histogram.value_at_percentile(p) ==
              exact_percentile(all, static_cast<std::size_t>(p) * 10));
    }
}

TEST_CASE("the rank is exact where the percentile is not representable") {
    HdrHistogram high;
    for (int i = 0; i < 999; ++i) {
        high.record(1'000);
    }
    high.record(1'000'000);
    // Rank 999 of 1000, not 1000 (99.9 / 100 is slightly above 0.999 in binary).
    CHECK(high.value_at_percentile(99.9) == Approx(1'000).epsilon(0.01));
    CHECK(high.value_at_percentile(100) == 1'000'000);

    HdrHistogram low;
    low.record(1);
    for (int i = 0; i < 999; ++i) {
        low.record(1'000);
    }
    CHECK(low.value_at_percentile(0.1) == 1);
    CHECK(low.value_at_percentile(0.2) == Approx(1'000).epsilon(0.01));
}

TEST_CASE("percentile 0 is the minimum and 100 the maximum") {
    HdrHistogram histogram;
    for (std::int64_t v : {5'001, 700'003, 123'456}) {
        histogram.record(v);
    }
    CHECK(histogram.value_at_percentile(0) == 5'001);
    CHECK(histogram.value_at_percentile(100) == 700'003);
    CHECK(histogram.value_at_percentile(-3) == 5'001);
    CHECK(histogram.value_at_percentile(250) == 700'003);
    CHECK(histogram.value_at_percentile(std::nan("")) == 5'001);
}

TEST_CASE("an empty histogram reports zeros") {
    HdrHistogram histogram;
    CHECK(histogram.empty());
    CHECK(histogram.count() == 0);
    CHECK(histogram.min() == 0);
    CHECK(histogram.max() == 0);
    CHECK(histogram.mean() == 0.0);
    CHECK(histogram.value_at_percentile(99) == 0);
}

TEST_CASE("merging two halves equals recording the whole") {
    std::mt19937_64 rng(5);
    std::lognormal_distribution<double> dist(10.0, 1.0);
    HdrHistogram whole;
    HdrHistogram first;
    HdrHistogram second;
    for (int i = 0; i < 50'000; ++i) {
        auto v = std::llround(dist(rng));
        whole.record(v);
        (i % 2 == 0 ? first : second).record(v);
    }
    first.merge(second);
    CHECK(first.count() == whole.count());
    CHECK(first.min() == whole.min());
    CHECK(first.max() == whole.max());
    CHECK(first.mean() == Approx(whole.mean()).epsilon(1e-12));
    for (double p = 0; p <= 100; p += 0.5) {
        CHECK(first.value_at_percentile(p) == whole.value_at_percentile(p));
    }
    CHECK(first.value_at_percentile(99.9) == whole.value_at_percentile(99.9));

    HdrHistogram empty;
    first.merge(empty);
    CHECK(first.count() == whole.count());
    CHECK(first.min() == whole.min());
    empty.merge(whole);
    CHECK(empty.min() == whole.min());
    CHECK(empty.max() == whole.max());
    CHECK(empty.value_at_percentile(95) == whole.value_at_percentile(95));
}

TEST_CASE("reset forgets every sample and keeps the allocation") {
    HdrHistogram histogram;
    histogram.record(1'000);
    histogram.record(HdrHistogram::k_max_value_us * 2);
    std::size_t bytes = histogram.memory_bytes();
    histogram.reset();
    CHECK(histogram.empty());
    CHECK(histogram.overflow_count() == 0);
    CHECK(histogram.min() == 0);
    CHECK(histogram.max() == 0);
    CHECK(histogram.value_at_percentile(50) == 0);
    CHECK(histogram.memory_bytes() == bytes);
    histogram.record(1'001);  // a chunk it already has: nothing more
    CHECK(histogram.memory_bytes() == bytes);
    histogram.reset();
    histogram.record(42);
    CHECK(histogram.min() == 42);
    CHECK(histogram.max() == 42);
    CHECK(histogram.value_at_percentile(50) == 42);
}

TEST_CASE("values above the maximum are clamped and counted, negatives become 0") {
    HdrHistogram histogram;
    histogram.record(HdrHistogram::k_max_value_us);
    CHECK(histogram.overflow_count() == 0);
    histogram.record(HdrHistogram::k_max_value_us + 1);
    histogram.record(std::numeric_limits<std::int64_t>::max());
    CHECK(histogram.overflow_count() == 2);
    CHECK(histogram.max() == HdrHistogram::k_max_value_us);
    CHECK(histogram.value_at_percentile(100) == HdrHistogram::k_max_value_us);
    auto p50 = static_cast<double>(histogram.value_at_percentile(50));
    CHECK(p50 >= 0.99 * static_cast<double>(HdrHistogram::k_max_value_us));

    HdrHistogram negative;
    negative.record(-5);
    negative.record(std::numeric_limits<std::int64_t>::min());
    CHECK(negative.count() == 2);
    CHECK(negative.min() == 0);
    CHECK(negative.max() == 0);
    CHECK(negative.overflow_count() == 0);
}

TEST_CASE("memory does not grow with the number of samples") {
    HdrHistogram histogram;
    std::size_t buckets = histogram.bucket_count();
    std::uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 1'000'000; ++i) {  // every chunk of the range gets a value
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        histogram.record(static_cast<std::int64_t>(x >> 26) >> (i % 40));
    }
    std::size_t bytes = histogram.memory_bytes();
    CHECK(bytes < 64 * 1024);  // about 30 KB: the whole range at 1% precision
    histogram.reset();
    for (int i = 0; i < 10'000'000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        histogram.record(static_cast<std::int64_t>(x >> 26));  // up to 2^38: some overflow
    }
    CHECK(histogram.count() == 10'000'000);  // after the reset
    CHECK(histogram.overflow_count() > 0);
    CHECK(histogram.bucket_count() == buckets);
    CHECK(histogram.memory_bytes() == bytes);
}
