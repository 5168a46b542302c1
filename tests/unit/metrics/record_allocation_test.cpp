// record() must not allocate on the steady path (StageMetrics: an operation's first response
// allocates its histograms; HdrHistogram: the first value in a chunk allocates that chunk): this
// file replaces the global operator new and counts the calls made on this thread while `t_counting`
// is set (only around the recording loops).
#include <cstdlib>
#include <new>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/hdr_histogram.hpp"
#include "metrics/stage_metrics.hpp"

namespace {

thread_local bool t_counting = false;
thread_local std::size_t t_allocations = 0;

void* counted_allocation(std::size_t size) {
    if (t_counting) {
        ++t_allocations;
    }
    void* p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}

/// Counts the allocations `body` makes on this thread.
template <class Body>
std::size_t allocations_during(Body body) {
    t_allocations = 0;
    t_counting = true;
    body();
    t_counting = false;
    return t_allocations;
}

}  // namespace

// Every non-aligned form is replaced, so no block is ever freed by a different allocator
// (AddressSanitizer checks that).
void* operator new(std::size_t size) {
    return counted_allocation(size);
}
void* operator new[](std::size_t size) {
    return counted_allocation(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_allocation(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return operator new(size, tag);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

using namespace orch;

TEST_CASE("the allocation counter sees allocations") {
    static std::vector<int>* volatile sink = nullptr;  // volatile: the new cannot be elided
    std::size_t n = allocations_during([] {
        sink = new std::vector<int>(100);
        delete sink;
    });
    CHECK(n >= 1);
}

TEST_CASE("HdrHistogram allocates at most once per chunk, never on the steady path") {
    HdrHistogram histogram;
    HdrHistogram other;
    other.record(5);
    auto pass = [&] {
        for (std::int64_t i = 0; i < 100'000; ++i) {
            histogram.record(i * 7919);
        }
        histogram.record(-1);
        histogram.record(HdrHistogram::k_max_value_us * 4);
        histogram.merge(other);
        (void)histogram.value_at_percentile(99.9);
    };
    // The first pass meets each chunk once: at most one allocation per chunk it uses.
    std::size_t first = allocations_during(pass);
    CHECK(first > 0);
    CHECK(first <= histogram.chunks_allocated());
    // Once the range has been seen, recording and merging it again allocate nothing, also
    // after a reset (which keeps the chunks).
    histogram.reset();
    CHECK(allocations_during(pass) == 0);
    CHECK(allocations_during(pass) == 0);
    // Recording the same values into an empty one allocates (it has no chunks yet).
    HdrHistogram fresh;
    CHECK(allocations_during([&] { fresh.record(1'000); }) == 1);
    CHECK(allocations_during([&] { fresh.record(1'001); }) == 0);
}

TEST_CASE("StageMetrics::record allocates an operation's histograms once, on its first response") {
    StageMetrics metrics(3, 5);
    RequestSample timeout;
    timeout.operation = 1;
    timeout.error = ErrorKind::timeout;  // no response: no latency, nothing to allocate
    CHECK(allocations_during([&] { metrics.record(timeout); }) == 0);
    RequestSample answered;
    answered.operation = 1;
    answered.status = 200;
    answered.latency_us = 1'000;
    // The totals' histograms and operation 1's.
    CHECK(allocations_during([&] { metrics.record(answered); }) > 0);
    CHECK(metrics.operations()[1].has_histograms());
    CHECK_FALSE(metrics.operations()[0].has_histograms());
    CHECK(allocations_during([&] { metrics.record(answered); }) == 0);
    metrics.reset();  // keeps the histograms
    CHECK(allocations_during([&] { metrics.record(answered); }) == 0);
    answered.operation = 2;
    CHECK(allocations_during([&] { metrics.record(answered); }) > 0);
    CHECK(allocations_during([&] { metrics.record(answered); }) == 0);
}

TEST_CASE("StageMetrics::record does not allocate once its latencies' range has been seen") {
    StageMetrics metrics(3, 5);
    auto pass = [&] {
        for (std::uint32_t i = 0; i < 100'000; ++i) {
            RequestSample sample;
            sample.operation = i % 4;  // 3 is out of range: totals only
            sample.status = (i % 10 == 0) ? 0 : 200;
            sample.error = (i % 10 == 0) ? ErrorKind::timeout : ErrorKind::none;
            sample.latency_us = i;
            sample.latency_uncorrected_us = i;
            sample.has_phases = true;
            sample.phases.waiting = i;
            sample.body_pattern_mask = i;
            metrics.record(sample);
        }
        metrics.count_scheduled();
        metrics.count_dropped();
        metrics.count_iteration();
    };
    CHECK(allocations_during(pass) > 0);  // histograms and their chunks, the first time
    metrics.reset();
    std::size_t n = allocations_during(pass);
    CHECK(n == 0);
    CHECK(metrics.totals().requests() == 100'000);
}
