// Replaying a stage result into StageMetrics: exact counts, percentiles that come back as
// reported, histogram buckets at their upper bounds.
#include "plugins/executors/command/stage_result_replay.hpp"

#include <catch2/catch.hpp>

#include "command_test_support.hpp"

using namespace orch;

namespace {

StageResultLatency percentiles(std::vector<std::pair<double, double>> points) {
    StageResultLatency latency;
    latency.form = StageResultLatency::Form::percentiles;
    latency.percentiles = std::move(points);
    return latency;
}

// The histogram's percentile, in ms (1% relative error).
double p(const OperationStats& stats, double percentile) {
    return static_cast<double>(stats.latency().value_at_percentile(percentile)) / 1000.0;
}

}  // namespace

TEST_CASE("synthesized latencies hit every given percentile at its nearest rank") {
    auto latency = percentiles({{0, 1}, {50, 10}, {90, 40}, {95, 50}, {99, 100}, {100, 400}});
    auto values = synthesize_latencies_us(latency, 1000);
    REQUIRE(values.size() == 1000);
    CHECK(std::is_sorted(values.begin(), values.end()));
    CHECK(values[0] == 1000);      // min, rank 1
    CHECK(values[499] == 10000);   // p50, rank 500
    CHECK(values[899] == 40000);   // p90, rank 900
    CHECK(values[949] == 50000);   // p95, rank 950
    CHECK(values[989] == 100000);  // p99, rank 990
    CHECK(values[999] == 400000);  // max, rank 1000
    // Between anchors: linear.
    CHECK(values[699] == 25000);  // rank 700, halfway from p50 to p90
}

TEST_CASE("few samples: percentiles sharing a rank keep the higher value") {
    // 10 samples: p95 and p99 both fall on rank 10, as does max.
    auto values = synthesize_latencies_us(percentiles({{50, 5}, {95, 9}, {99, 12}, {100, 20}}), 10);
    REQUIRE(values.size() == 10);
    CHECK(values[4] == 5000);
    CHECK(values[9] == 20000);
    CHECK(values[0] == 5000);  // below the lowest anchor: flat
    CHECK(synthesize_latencies_us(percentiles({{50, 5}}), 1) == std::vector<std::int64_t>{5000});
    CHECK(synthesize_latencies_us(percentiles({{50, 5}}), 0).empty());
}

TEST_CASE("a histogram's samples sit at their bucket's upper bound") {
    StageResultLatency latency;
    latency.form = StageResultLatency::Form::histogram;
    latency.histogram = {{1, 2}, {5, 3}, {20, 1}};
    CHECK(synthesize_latencies_us(latency, 6) ==
          std::vector<std::int64_t>{1000, 1000, 5000, 5000, 5000, 20000});
    // 3 answered requests described by 6 histogram samples: quantile mapping.
    CHECK(synthesize_latencies_us(latency, 3) == std::vector<std::int64_t>{1000, 5000, 20000});
}

TEST_CASE("replaying the per-operation fixture gives exact counts and the reported percentiles") {
    auto result =
        read_stage_result(test::stage_result_fixture("valid-operations-percentiles.json"));
    REQUIRE(result);
    StageMetrics metrics(2, 0);
    auto unmatched = replay_stage_result(*result, {"send", "history"}, metrics);
    CHECK(unmatched.empty());
    const OperationStats& totals = metrics.totals();
    CHECK(totals.requests() == 1000);
    CHECK(totals.failures() == 25);
    CHECK(metrics.iterations() == 1000);

    const OperationStats& send = metrics.operations()[0];
    CHECK(send.requests() == 700);
    CHECK(send.errors(ErrorKind::status_5xx) == 14);
    CHECK(send.errors(ErrorKind::status_429) == 7);
    CHECK(send.errors(ErrorKind::connection_refused) == 3);
    CHECK(send.errors(ErrorKind::timeout) == 1);
    // Status classes as the tool counted them: 675x201 + 7x429 + 10x500 + 4x503 (the 4
    // unanswered requests have none).
    CHECK(send.status_class(0) == 4);
    CHECK(send.status_class(2) == 675);
    CHECK(send.status_class(4) == 7);
    CHECK(send.status_class(5) == 14);
    CHECK(send.latency().count() == 696);
    CHECK(p(send, 50) == Approx(12.5).epsilon(0.01));
    CHECK(p(send, 90) == Approx(40).epsilon(0.01));
    CHECK(p(send, 95) == Approx(55.5).epsilon(0.01));
    CHECK(p(send, 99) == Approx(120).epsilon(0.01));
    CHECK(send.latency().min() == 1200);
    CHECK(send.latency().max() == 480000);

    const OperationStats& history = metrics.operations()[1];
    CHECK(history.requests() == 300);
    CHECK(history.failures() == 0);
    CHECK(p(history, 50) == Approx(8).epsilon(0.01));
    CHECK(p(history, 95) == Approx(30).epsilon(0.01));
    CHECK(p(history, 99) == Approx(45.25).epsilon(0.01));
}

TEST_CASE("totals-only results and unknown operation names count in the totals only") {
    auto totals_only = read_stage_result(test::stage_result_fixture("valid-totals-histogram.json"));
    REQUIRE(totals_only);
    StageMetrics metrics(2, 0);
    CHECK(replay_stage_result(*totals_only, {"send", "history"}, metrics).empty());
    CHECK(metrics.totals().requests() == 1000);
    CHECK(metrics.totals().errors(ErrorKind::status_4xx) == 10);
    CHECK(metrics.totals().errors(ErrorKind::dns) == 5);
    CHECK(metrics.totals().status_class(4) == 10);  // no status_counts: 400 stands in
    CHECK(metrics.operations()[0].requests() == 0);
    CHECK(metrics.totals().latency().count() == 995);
    CHECK(metrics.totals().latency().max() == 50000);

    auto wrk = read_stage_result(test::stage_result_fixture("valid-wrk-recorded.json"));
    REQUIRE(wrk);
    StageMetrics by_name(2, 0);
    CHECK(replay_stage_result(*wrk, {"send", "history"}, by_name) ==
          std::vector<std::string>{"request"});
    CHECK(by_name.totals().requests() == 12724);
    CHECK(by_name.totals().errors(ErrorKind::status_5xx) == 6362);
    CHECK(by_name.operations()[0].requests() == 0);
    CHECK(by_name.operations()[1].requests() == 0);
}

TEST_CASE("open model counts are replayed") {
    auto result = read_stage_result(test::stage_result_fixture("valid-open-model-dropped.json"));
    REQUIRE(result);
    StageMetrics metrics(1, 0);
    replay_stage_result(*result, {"send"}, metrics);
    CHECK(metrics.scheduled() == 6000);
    CHECK(metrics.dropped() == 120);
    CHECK(metrics.operations()[0].requests() == 5880);
}

TEST_CASE("replay: a tool's generator errors are errors.generator, not requests") {
    auto result = parse_stage_result(
        R"({"schema": "stagegate.stage-result/v1", "duration_s": 1,
            "operations": [{"name": "get", "requests": 10, "errors": {"generator": 7},
                            "latency_ms": {"percentiles": {"p50": 1, "p99": 2}}}]})",
        "result.json");
    REQUIRE(result);
    StageMetrics metrics(1, 0);
    replay_stage_result(*result, {"get"}, metrics);
    CHECK(metrics.totals().requests() == 10);
    CHECK(metrics.totals().failures() == 0);
    CHECK(metrics.totals().errors(ErrorKind::generator) == 7);
}
