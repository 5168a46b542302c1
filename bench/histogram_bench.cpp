// The cost of measuring: HdrHistogram::record (per request, on every worker thread),
// merge and value_at_percentile (per snapshot, once a second), StageMetrics::record.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "metrics/hdr_histogram.hpp"
#include "metrics/stage_metrics.hpp"

namespace {

/// Log-normal latencies (median ~8 ms), pregenerated so the RNG is not measured.
std::vector<std::int64_t> latencies(std::size_t n) {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(9.0, 1.2);
    std::vector<std::int64_t> out(n);
    for (auto& v : out) {
        v = static_cast<std::int64_t>(dist(rng));
    }
    return out;
}

void bm_histogram_record(benchmark::State& state) {
    const auto values = latencies(4096);
    orch::HdrHistogram histogram;
    std::size_t i = 0;
    for (auto _ : state) {
        histogram.record(values[i++ & 4095]);
    }
    benchmark::DoNotOptimize(histogram.count());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_histogram_record);

void bm_histogram_merge(benchmark::State& state) {
    orch::HdrHistogram target;
    orch::HdrHistogram source;
    for (auto v : latencies(100'000)) {
        source.record(v);
    }
    for (auto _ : state) {
        target.merge(source);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_histogram_merge);

void bm_histogram_percentile(benchmark::State& state) {
    orch::HdrHistogram histogram;
    for (auto v : latencies(100'000)) {
        histogram.record(v);
    }
    const double percentile = static_cast<double>(state.range(0)) / 10.0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(histogram.value_at_percentile(percentile));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_histogram_percentile)->Arg(500)->Arg(950)->Arg(999);

void bm_stage_metrics_record(benchmark::State& state) {
    const auto values = latencies(4096);
    orch::StageMetrics metrics(4, 2);
    std::vector<orch::RequestSample> samples(4096);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        auto& s = samples[i];
        s.operation = static_cast<std::uint32_t>(i % 4);
        s.status = i % 50 == 0 ? 500 : 200;
        s.error = i % 50 == 0 ? orch::ErrorKind::status_5xx : orch::ErrorKind::none;
        s.latency_us = values[i];
        s.latency_uncorrected_us = values[i];
        s.has_phases = true;
        s.phases.waiting = values[i] / 2;
        s.body_pattern_mask = i % 50 == 0 ? 1 : 0;
    }
    std::size_t i = 0;
    for (auto _ : state) {
        metrics.record(samples[i++ & 4095]);
    }
    benchmark::DoNotOptimize(metrics.totals().requests());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_stage_metrics_record);

}  // namespace
