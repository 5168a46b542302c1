#include "metrics/stage_metrics.hpp"

#include <cerrno>
#include <vector>

#include <catch2/catch.hpp>

using namespace orch;

namespace {

RequestSample ok(std::uint32_t operation, std::int64_t latency_us, std::uint16_t status = 200) {
    RequestSample s;
    s.operation = operation;
    s.status = status;
    s.latency_us = latency_us;
    s.latency_uncorrected_us = latency_us;
    return s;
}

RequestSample failed(std::uint32_t operation, ErrorKind kind, std::uint16_t status = 0,
                     std::uint64_t patterns = 0) {
    RequestSample s;
    s.operation = operation;
    s.status = status;
    s.error = kind;
    s.latency_us = 5'000;
    s.latency_uncorrected_us = 5'000;
    s.body_pattern_mask = patterns;
    return s;
}

}  // namespace

TEST_CASE("error kinds have the SPEC's metric names") {
    CHECK(error_kind_name(ErrorKind::none) == "none");
    CHECK(error_kind_name(ErrorKind::connection_refused) == "connection_refused");
    CHECK(error_kind_name(ErrorKind::timeout) == "timeout");
    CHECK(error_kind_name(ErrorKind::connection_reset) == "connection_reset");
    CHECK(error_kind_name(ErrorKind::connection_closed) == "connection_closed");
    CHECK(error_kind_name(ErrorKind::dns) == "dns");
    CHECK(error_kind_name(ErrorKind::tls) == "tls");
    CHECK(error_kind_name(ErrorKind::status_4xx) == "status_4xx");
    CHECK(error_kind_name(ErrorKind::status_429) == "status_429");
    CHECK(error_kind_name(ErrorKind::status_5xx) == "status_5xx");
    CHECK(error_kind_name(ErrorKind::expect) == "expect");
    CHECK(error_kind_name(ErrorKind::interrupted) == "interrupted");
    CHECK(error_kind_name(ErrorKind::other) == "other");
    CHECK(error_kind_name(ErrorKind::generator) == "generator");
    CHECK(static_cast<std::size_t>(ErrorKind::generator) + 1 == k_error_kind_count);
}

TEST_CASE("failures are the samples with an error kind, counted per kind") {
    OperationStats stats;
    stats.record(ok(0, 1'000));
    stats.record(ok(0, 2'000, 404));  // allowed by the expectation: not a failure
    stats.record(failed(0, ErrorKind::status_5xx, 503));
    stats.record(failed(0, ErrorKind::status_429, 429));
    stats.record(failed(0, ErrorKind::connection_refused));
    stats.record(failed(0, ErrorKind::connection_refused));
    CHECK(stats.requests() == 6);
    CHECK(stats.failures() == 4);
    CHECK(stats.errors(ErrorKind::connection_refused) == 2);
    CHECK(stats.errors(ErrorKind::status_5xx) == 1);
    CHECK(stats.errors(ErrorKind::status_429) == 1);
    CHECK(stats.errors(ErrorKind::status_4xx) == 0);
    CHECK(stats.errors(ErrorKind::none) == 0);
    CHECK(stats.status_class(0) == 2);
    CHECK(stats.status_class(2) == 1);
    CHECK(stats.status_class(4) == 2);
    CHECK(stats.status_class(5) == 1);
    CHECK(stats.status_class(9) == 0);
}

TEST_CASE("latency is recorded only when a response arrived") {
    OperationStats stats;
    stats.record(ok(0, 1'000));
    stats.record(failed(0, ErrorKind::timeout));  // status 0: no latency
    stats.record(failed(0, ErrorKind::status_5xx, 500));
    CHECK(stats.latency().count() == 2);
    CHECK(stats.latency().min() == 1'000);
    CHECK(stats.latency().max() == 5'000);
    CHECK(stats.latency_uncorrected().count() == 2);

    RequestSample open_model = ok(0, 9'000);
    open_model.latency_uncorrected_us = 3'000;
    stats.record(open_model);
    CHECK(stats.latency().max() == 9'000);
    CHECK(stats.latency_uncorrected().max() == 5'000);
}

TEST_CASE("phase times accumulate into means over the samples that had them") {
    OperationStats stats;
    RequestSample a = ok(0, 1'000);
    a.has_phases = true;
    a.phases = PhaseTimes{10, 20, 30, 40, 500, 60};
    RequestSample b = a;
    b.phases = PhaseTimes{30, 40, 50, 60, 700, 80};
    stats.record(a);
    stats.record(b);
    stats.record(ok(0, 1'000));  // no phases: not part of the mean
    CHECK(stats.phase_samples() == 2);
    CHECK(stats.phase_mean_us(0) == 20.0);
    CHECK(stats.phase_mean_us(1) == 30.0);
    CHECK(stats.phase_mean_us(2) == 40.0);
    CHECK(stats.phase_mean_us(3) == 50.0);
    CHECK(stats.phase_mean_us(4) == 600.0);
    CHECK(stats.phase_mean_us(5) == 70.0);
    CHECK(stats.phase_mean_us(6) == 0.0);
    CHECK(OperationStats().phase_mean_us(4) == 0.0);
}

TEST_CASE("body pattern hits are counted per bit") {
    OperationStats stats(3);
    stats.record(failed(0, ErrorKind::status_5xx, 500, 0b101));
    stats.record(failed(0, ErrorKind::status_5xx, 500, 0b001));
    stats.record(failed(0, ErrorKind::status_5xx, 500, 0b1000));  // pattern 3 does not exist
    stats.record(failed(0, ErrorKind::status_5xx, 500, std::uint64_t{1} << 63));
    CHECK(stats.body_pattern_hits(0) == 2);
    CHECK(stats.body_pattern_hits(1) == 0);
    CHECK(stats.body_pattern_hits(2) == 1);
    CHECK(stats.body_pattern_hits(3) == 0);
    CHECK(stats.body_pattern_hits(63) == 0);
}

TEST_CASE("stage metrics record into the totals and the sample's operation") {
    StageMetrics metrics(2, 1);
    metrics.record(ok(0, 1'000));
    metrics.record(ok(1, 2'000));
    metrics.record(failed(1, ErrorKind::status_5xx, 500, 1));
    metrics.record(ok(7, 3'000));  // an unknown operation counts in the totals only
    CHECK(metrics.body_pattern_count() == 1);
    CHECK(metrics.totals().requests() == 4);
    CHECK(metrics.totals().failures() == 1);
    CHECK(metrics.totals().body_pattern_hits(0) == 1);
    REQUIRE(metrics.operations().size() == 2);
    CHECK(metrics.operations()[0].requests() == 1);
    CHECK(metrics.operations()[1].requests() == 2);
    CHECK(metrics.operations()[1].failures() == 1);
    CHECK(metrics.operations()[1].body_pattern_hits(0) == 1);
    CHECK(metrics.totals().latency().count() == 4);  // 1, 2, 5 (the 500) and 3 ms

    metrics.count_scheduled(10);
    metrics.count_dropped();
    metrics.count_iteration(3);
    CHECK(metrics.scheduled() == 10);
    CHECK(metrics.dropped() == 1);
    CHECK(metrics.iterations() == 3);
}

TEST_CASE("merging per-thread stage metrics adds everything up") {
    StageMetrics a(2, 2);
    StageMetrics b(2, 2);
    a.record(ok(0, 1'000));
    a.record(failed(1, ErrorKind::timeout, 0, 0b10));
    RequestSample with_phases = ok(1, 4'000);
    with_phases.has_phases = true;
    with_phases.phases.waiting = 3'000;
    b.record(with_phases);
    b.record(failed(0, ErrorKind::status_429, 429));
    a.count_scheduled(5);
    b.count_scheduled(6);
    b.count_dropped(2);
    a.count_iteration();
    b.count_iteration();
    a.merge(b);
    CHECK(a.totals().requests() == 4);
    CHECK(a.totals().failures() == 2);
    CHECK(a.totals().errors(ErrorKind::timeout) == 1);
    CHECK(a.totals().errors(ErrorKind::status_429) == 1);
    CHECK(a.totals().body_pattern_hits(1) == 1);
    CHECK(a.totals().latency().count() == 3);
    CHECK(a.totals().latency().max() == 5'000);
    CHECK(a.totals().phase_samples() == 1);
    CHECK(a.totals().phase_mean_us(4) == 3'000.0);
    CHECK(a.operations()[0].requests() == 2);
    CHECK(a.operations()[1].requests() == 2);
    CHECK(a.operations()[1].phase_mean_us(4) == 3'000.0);
    CHECK(a.scheduled() == 11);
    CHECK(a.dropped() == 2);
    CHECK(a.iterations() == 2);
}

TEST_CASE("reset empties a stage's metrics") {
    StageMetrics metrics(1, 1);
    metrics.record(failed(0, ErrorKind::status_5xx, 500, 1));
    metrics.count_scheduled();
    metrics.count_dropped();
    metrics.count_iteration();
    metrics.reset();
    CHECK(metrics.totals().requests() == 0);
    CHECK(metrics.totals().failures() == 0);
    CHECK(metrics.totals().errors(ErrorKind::status_5xx) == 0);
    CHECK(metrics.totals().body_pattern_hits(0) == 0);
    CHECK(metrics.totals().status_class(5) == 0);
    CHECK(metrics.totals().latency().empty());
    CHECK(metrics.operations()[0].requests() == 0);
    CHECK(metrics.operations()[0].latency().empty());
    CHECK(metrics.scheduled() == 0);
    CHECK(metrics.dropped() == 0);
    CHECK(metrics.iterations() == 0);
}

TEST_CASE("a status the expectation did not allow is classified by its class") {
    CHECK(error_kind_for_status(429) == ErrorKind::status_429);
    CHECK(error_kind_for_status(400) == ErrorKind::status_4xx);
    CHECK(error_kind_for_status(499) == ErrorKind::status_4xx);
    CHECK(error_kind_for_status(500) == ErrorKind::status_5xx);
    CHECK(error_kind_for_status(599) == ErrorKind::status_5xx);
    CHECK(error_kind_for_status(200) == ErrorKind::expect);
    CHECK(error_kind_for_status(302) == ErrorKind::expect);
}

TEST_CASE("a request the generator could not send is errors.generator, not a request") {
    StageMetrics m(1, 0);
    m.record(ok(0, 1'000));
    m.record(failed(0, ErrorKind::generator));
    m.record(failed(0, ErrorKind::generator));
    m.record(failed(0, ErrorKind::timeout));
    CHECK(m.totals().requests() == 2);
    CHECK(m.totals().failures() == 1);
    CHECK(m.totals().errors(ErrorKind::generator) == 2);
    CHECK(m.operations()[0].errors(ErrorKind::generator) == 2);
    CHECK(m.totals().latency().count() == 1);
    StageMetrics merged(1, 0);
    merged.merge(m);
    CHECK(merged.totals().errors(ErrorKind::generator) == 2);
    CHECK(error_kind_name(ErrorKind::generator) == "generator");
    CHECK(is_generator_errno(EMFILE));
    CHECK(is_generator_errno(EADDRNOTAVAIL));
    CHECK_FALSE(is_generator_errno(ECONNREFUSED));
}

TEST_CASE("drops while every VU is busy are counted apart, and as drops") {
    StageMetrics m(1, 0);
    m.count_dropped();
    m.count_dropped_all_busy(3);
    CHECK(m.dropped() == 4);
    CHECK(m.dropped_all_busy() == 3);
    StageMetrics merged(1, 0);
    merged.merge(m);
    CHECK(merged.dropped_all_busy() == 3);
    merged.reset();
    CHECK(merged.dropped_all_busy() == 0);
}

TEST_CASE("stage totals keep the latency of succeeded and failed responses apart") {
    StageMetrics m(2, 0);
    m.record(ok(0, 40'000));
    m.record(ok(1, 60'000));
    m.record(failed(0, ErrorKind::status_5xx, 500));  // a fast 500 (5 ms)
    m.record(failed(1, ErrorKind::status_429, 429));
    m.record(failed(0, ErrorKind::expect, 200));
    m.record(failed(0, ErrorKind::timeout));  // no response: in neither
    const HdrHistogram* succeeded = m.totals().latency_succeeded();
    const HdrHistogram* failed_latency = m.totals().latency_failed();
    REQUIRE(succeeded != nullptr);
    REQUIRE(failed_latency != nullptr);
    CHECK(succeeded->count() == 2);
    CHECK(succeeded->min() == 40'000);
    CHECK(failed_latency->count() == 3);
    CHECK(failed_latency->max() == 5'000);
    // Together they are exactly the responses latency() holds.
    CHECK(m.totals().latency().count() == succeeded->count() + failed_latency->count());
    // Per operation only the combined histogram is kept (no extra memory per operation).
    CHECK(m.operations()[0].latency_succeeded() == nullptr);
    CHECK(m.operations()[0].latency_failed() == nullptr);

    // Merged across workers, and forgotten by reset().
    StageMetrics other(2, 0);
    other.record(failed(1, ErrorKind::status_4xx, 404));
    m.merge(other);
    CHECK(m.totals().latency_failed()->count() == 4);
    CHECK(m.totals().latency_succeeded()->count() == 2);
    m.reset();
    CHECK(m.totals().latency_failed()->empty());
    CHECK(m.totals().latency_succeeded()->empty());
}

namespace {

/// 200 operations x 16 threads, as a worker pool records them: one StageMetrics per thread.
struct ThreadsOfOperations {
    static constexpr std::size_t k_operations = 200;
    static constexpr std::size_t k_threads = 16;
    std::vector<StageMetrics> threads;
    ThreadsOfOperations() : threads(k_threads, StageMetrics(k_operations, 2)) {}
    std::size_t memory_bytes() const {
        std::size_t bytes = 0;
        for (const auto& t : threads) {
            bytes += t.memory_bytes();
        }
        return bytes;
    }
};

}  // namespace

TEST_CASE("operations x threads that do not record cost a few hundred bytes each") {
    ThreadsOfOperations pool;
    const std::size_t cells = ThreadsOfOperations::k_operations * ThreadsOfOperations::k_threads;
    // Before any request: well under the 20 KB per operation and thread the issue allows.
    CHECK(pool.memory_bytes() / cells < 1'024);

    // Only operation 7 records, on thread 3: one operation's histograms plus the totals'.
    const std::size_t before = pool.memory_bytes();
    for (std::int64_t i = 1; i <= 1'000; ++i) {
        pool.threads[3].record(ok(7, i * 100));
    }
    pool.threads[3].record(failed(7, ErrorKind::status_5xx, 503));
    pool.threads[3].record(failed(7, ErrorKind::timeout));
    // 100 us to 100 ms: at most the 8 chunks below 256 us and 4 per power of two above
    // (9 of them), 44 of the 121 chunks.
    const std::size_t histogram = sizeof(HdrHistogram) + 44 * HdrHistogram::k_chunk_size * 8;
    const std::size_t one_operation = histogram * 2;
    const std::size_t totals = histogram * 4;
    CHECK(pool.memory_bytes() - before <= one_operation + totals + 1'024);
    CHECK(pool.threads[3].operations()[7].has_histograms());
    CHECK_FALSE(pool.threads[3].operations()[6].has_histograms());
    CHECK_FALSE(pool.threads[2].operations()[7].has_histograms());

    // Merged as at snapshot time: the same numbers as one StageMetrics that recorded it all,
    // and the merged stage allocates only the one operation that has latencies.
    StageMetrics merged(ThreadsOfOperations::k_operations, 2);
    for (const auto& t : pool.threads) {
        merged.merge(t);
    }
    StageMetrics direct(ThreadsOfOperations::k_operations, 2);
    for (std::int64_t i = 1; i <= 1'000; ++i) {
        direct.record(ok(7, i * 100));
    }
    direct.record(failed(7, ErrorKind::status_5xx, 503));
    direct.record(failed(7, ErrorKind::timeout));
    for (const StageMetrics* m : {&merged, &direct}) {
        const OperationStats& op = m->operations()[7];
        CHECK(op.requests() == 1'002);
        CHECK(op.failures() == 2);
        CHECK(op.errors(ErrorKind::timeout) == 1);
        CHECK(op.latency().count() == 1'001);
        CHECK(op.latency().min() == 100);
        CHECK(op.latency().max() == 100'000);
        CHECK(op.latency().value_at_percentile(95) ==
              direct.operations()[7].latency().value_at_percentile(95));
        CHECK(m->totals().latency_failed()->count() == 1);
        CHECK(m->totals().latency_succeeded()->count() == 1'000);
        CHECK(m->operations()[8].requests() == 0);
        CHECK(m->operations()[8].latency().empty());
    }
    CHECK(merged.memory_bytes() == direct.memory_bytes());
    CHECK_FALSE(merged.operations()[8].has_histograms());

    // A reset thread keeps its histograms but merges nothing in, and allocates nothing there.
    pool.threads[3].reset();
    StageMetrics after_reset(ThreadsOfOperations::k_operations, 2);
    after_reset.merge(pool.threads[3]);
    CHECK_FALSE(after_reset.operations()[7].has_histograms());
}

TEST_CASE("a copied StageMetrics owns its own histograms") {
    StageMetrics a(2, 0);
    a.record(ok(1, 2'000));
    StageMetrics b = a;
    b.record(ok(1, 4'000));
    CHECK(a.operations()[1].latency().count() == 1);
    CHECK(b.operations()[1].latency().count() == 2);
    a = b;
    CHECK(a.operations()[1].latency().max() == 4'000);
    CHECK(a.operations()[0].latency().empty());
}

TEST_CASE("uncorrected latencies share the latency histogram until one differs") {
    OperationStats closed;  // closed model: uncorrected == latency for every sample
    for (std::int64_t v = 100; v <= 100'000; v += 100) {
        closed.record(ok(0, v));
    }
    OperationStats one_histogram;
    one_histogram.record(ok(0, 100));
    CHECK(closed.latency_uncorrected().count() == 1'000);
    CHECK(closed.latency_uncorrected().value_at_percentile(95) ==
          closed.latency().value_at_percentile(95));
    // Only the latency histogram's chunks: no second copy of them.
    CHECK(closed.memory_bytes() - one_histogram.memory_bytes() ==
          closed.latency().memory_bytes() - one_histogram.latency().memory_bytes());

    // Open model: the first differing sample splits them; what came before is in both.
    OperationStats open = closed;
    RequestSample late = ok(0, 50'000);
    late.latency_uncorrected_us = 2'000;
    open.record(late);
    CHECK(open.latency().count() == 1'001);
    CHECK(open.latency_uncorrected().count() == 1'001);
    CHECK(open.latency().max() == 100'000);
    CHECK(open.latency_uncorrected().sum() == closed.latency().sum() + 2'000);
    CHECK(open.latency().sum() == closed.latency().sum() + 50'000);

    // Merging a split one into a shared one splits it; the other way keeps both right.
    OperationStats merged = closed;
    merged.merge(open);
    CHECK(merged.latency_uncorrected().count() == 2'001);
    CHECK(merged.latency_uncorrected().sum() == 2 * closed.latency().sum() + 2'000);
    OperationStats other_way = open;
    other_way.merge(closed);
    CHECK(other_way.latency_uncorrected().sum() == merged.latency_uncorrected().sum());
    CHECK(other_way.latency().sum() == merged.latency().sum());
}
