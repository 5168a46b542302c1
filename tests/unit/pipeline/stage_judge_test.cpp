// StageJudge fed by hand: abort criteria on the running totals, windowed criteria on their
// worst window, and no data never passing.
#include "pipeline/stage_judge.hpp"

#include <catch2/catch.hpp>

using namespace orch;

namespace {

const MetricNames k_names{{"send"}, {}, {}};

CriterionSpec spec(const std::string& text, bool abort = false) {
    auto parsed = parse_criterion(text, MetricCatalog{{"send"}, {}, {}});
    REQUIRE(parsed);
    CriterionSpec s;
    s.criterion = *parsed;
    s.criterion.abort = abort;
    return s;
}

/// `ok` 200s and `failed` 500s, each taking `latency_ms`.
StageMetrics second_of(std::uint64_t ok, std::uint64_t failed, std::int64_t latency_ms = 10) {
    StageMetrics metrics(1, 0);
    for (std::uint64_t i = 0; i < ok + failed; ++i) {
        RequestSample sample;
        sample.status = i < ok ? 200 : 500;
        sample.error = i < ok ? ErrorKind::none : ErrorKind::status_5xx;
        sample.latency_us = sample.latency_uncorrected_us = latency_ms * 1000;
        metrics.record(sample);
    }
    return metrics;
}

StageJudge judge_of(const StageSpec& stage) {
    return StageJudge(stage, k_names, [](Snapshot&) {});
}

}  // namespace

TEST_CASE("judge: an abort criterion is breached by the running totals", "[judge]") {
    StageSpec stage;
    stage.criteria = {spec("error_rate < 10%", true), spec("p95 < 1ms")};  // p95 never aborts
    StageJudge judge = judge_of(stage);
    CHECK_FALSE(judge.on_interval(second_of(100, 0), 1, 1));
    CHECK_FALSE(judge.on_interval(second_of(95, 5), 2, 1));    // 5 of 200: 2.5%
    auto breach = judge.on_interval(second_of(70, 30), 3, 1);  // 35 of 300: 11.7%
    REQUIRE(breach);
    CHECK(breach->criterion.metric == "error_rate");
    CHECK_FALSE(breach->pass);
    CHECK(breach->note == "aborted the stage at 3.0s");
    CHECK(judge.running_totals().totals().requests() == 300);
}

TEST_CASE("judge: a windowed criterion is judged on its worst full window", "[judge]") {
    StageSpec stage;
    stage.criteria = {spec("error_rate < 10% over 2s")};
    StageJudge judge = judge_of(stage);
    for (int s = 1; s <= 10; ++s) {
        // seconds 5 and 6 are bad (50% errors); the whole stage is 10% errors.
        bool bad = s == 5 || s == 6;
        (void)judge.on_interval(second_of(bad ? 50 : 100, bad ? 50 : 0), s, 1);
    }
    auto results = judge.judge(summarize(judge.running_totals(), k_names, 10));
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results[0].pass);
    REQUIRE(results[0].actual);
    CHECK(*results[0].actual == Approx(50.0));
    CHECK(results[0].note == "worst 2s window ended at 6s");
}

TEST_CASE("judge: a stage shorter than the window is judged on the whole stage", "[judge]") {
    StageSpec stage;
    stage.criteria = {spec("error_rate < 10% over 30s")};
    StageJudge judge = judge_of(stage);
    (void)judge.on_interval(second_of(100, 0), 1, 1);
    auto results = judge.judge(summarize(judge.running_totals(), k_names, 1));
    REQUIRE(results.size() == 1);
    CHECK(results[0].pass);
    CHECK(results[0].note == "stage shorter than the window: judged on the whole stage");
}

TEST_CASE("judge: no data never passes, whatever the operator", "[judge]") {
    StageSpec stage;
    stage.criteria = {spec("p95 < 100ms"), spec("p95 > 0ms"), spec("send.p99 <= 1s")};
    StageJudge judge = judge_of(stage);
    auto results = judge.judge(summarize(StageMetrics(1, 0), k_names, 1));
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        CHECK_FALSE(r.actual);
        CHECK_FALSE(r.pass);
    }
}
