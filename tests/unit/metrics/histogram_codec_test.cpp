#include "metrics/histogram_codec.hpp"

#include <random>
#include <vector>

#include <catch2/catch.hpp>

using namespace orch;

namespace {

/// Every bucket and every exact figure of `a` and `b` are the same.
void require_identical(const HdrHistogram& a, const HdrHistogram& b) {
    REQUIRE(a.count() == b.count());
    REQUIRE(a.min() == b.min());
    REQUIRE(a.max() == b.max());
    REQUIRE(a.sum() == b.sum());
    REQUIRE(a.overflow_count() == b.overflow_count());
    REQUIRE(a.bucket_count() == b.bucket_count());
    for (std::size_t i = 0; i < a.bucket_count(); ++i) {
        INFO("bucket " << i);
        REQUIRE(a.bucket(i) == b.bucket(i));
    }
}

std::vector<std::int64_t> latency_like(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::lognormal_distribution<double> body(8.5, 1.2);  // ~5 ms median, long tail
    std::vector<std::int64_t> values;
    for (std::size_t i = 0; i < n; ++i) {
        values.push_back(static_cast<std::int64_t>(body(random)));
    }
    values.push_back(0);
    values.push_back(HdrHistogram::k_max_value_us + 5);  // overflow, clamped
    return values;
}

}  // namespace

TEST_CASE("N histograms merged equal one that recorded every value, bucket for bucket", "[codec]") {
    auto values = latency_like(200000, 42);
    HdrHistogram whole;
    std::vector<HdrHistogram> parts(3);
    for (std::size_t i = 0; i < values.size(); ++i) {
        whole.record(values[i]);
        parts[i % 3].record(values[i]);
    }
    // Merged directly, and merged after each part went through the codec (as merge does).
    HdrHistogram merged;
    HdrHistogram merged_decoded;
    for (const auto& part : parts) {
        merged.merge(part);
        auto decoded = decode_histogram(encode_histogram(part));
        REQUIRE(decoded);
        require_identical(*decoded, part);
        merged_decoded.merge(*decoded);
    }
    require_identical(merged, whole);
    require_identical(merged_decoded, whole);
    for (double p : {50.0, 95.0, 99.0, 99.9}) {
        REQUIRE(merged_decoded.value_at_percentile(p) == whole.value_at_percentile(p));
    }
}

TEST_CASE("an empty histogram and a single value round-trip", "[codec]") {
    HdrHistogram empty;
    auto decoded = decode_histogram(encode_histogram(empty));
    REQUIRE(decoded);
    REQUIRE(decoded->empty());
    HdrHistogram one;
    one.record(1234567);
    decoded = decode_histogram(encode_histogram(one));
    REQUIRE(decoded);
    require_identical(*decoded, one);
}

TEST_CASE("the encoding is HdrHistogram's V2 compressed form", "[codec]") {
    HdrHistogram h;
    h.record(5);
    HistogramRecord record = encode_histogram(h);
    // base64 of the big-endian cookie 0x1c849314 starts "HISTF".
    REQUIRE(record.hdr.rfind("HISTF", 0) == 0);
}

TEST_CASE("corrupt histograms are refused, each with what is wrong", "[codec]") {
    HdrHistogram h;
    for (auto v : latency_like(5000, 7)) {
        h.record(v);
    }
    const HistogramRecord good = encode_histogram(h);
    auto refused = [](const HistogramRecord& record, const std::string& says) {
        auto decoded = decode_histogram(record);
        REQUIRE_FALSE(decoded);
        INFO(decoded.error().message);
        CHECK(decoded.error().message.find(says) != std::string::npos);
    };
    SECTION("a changed byte in the deflated data") {
        HistogramRecord bad = good;
        bad.hdr[bad.hdr.size() / 2] = bad.hdr[bad.hdr.size() / 2] == 'A' ? 'B' : 'A';
        refused(bad, "corrupt histogram");
    }
    SECTION("not base64") {
        HistogramRecord bad = good;
        bad.hdr[3] = '*';
        refused(bad, "not base64");
    }
    SECTION("cut short") {
        HistogramRecord bad = good;
        bad.hdr.resize(bad.hdr.size() - 8);
        refused(bad, "corrupt histogram");
    }
    SECTION("a count that is not what the buckets hold") {
        HistogramRecord bad = good;
        bad.count += 1;
        refused(bad, "\"count\"");
    }
    SECTION("a max outside the last bucket") {
        HistogramRecord bad = good;
        bad.max = 3;
        refused(bad, "do not fit the buckets");
    }
    SECTION("a sum that no values in the buckets can have") {
        HistogramRecord bad = good;
        bad.sum = 1;
        refused(bad, "do not fit the buckets");
    }
}
