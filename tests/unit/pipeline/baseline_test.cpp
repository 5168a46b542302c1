// apply_baseline: baseline criteria take their baseline value from the stage of the same
// name in an earlier run; what is missing there becomes "no baseline data", naming the stage.
#include "pipeline/baseline.hpp"

#include "pipeline/stage_judge.hpp"

#include <cmath>

#include <catch2/catch.hpp>

using namespace orch;

namespace {

const MetricCatalog k_catalog{{"send"}, {}, {}};

CriterionSpec spec(std::string_view text, int line) {
    auto parsed = parse_criterion(text, k_catalog);
    REQUIRE(parsed);
    parsed->expr = std::string(text);
    return CriterionSpec{*parsed, SourcePos{line, 9}};
}

StageSpec stage(std::string name, std::vector<CriterionSpec> criteria) {
    StageSpec s;
    s.name = std::move(name);
    s.criteria = std::move(criteria);
    return s;
}

StageReport ran(std::string name, Verdict verdict, Snapshot metrics) {
    StageReport s;
    s.name = std::move(name);
    s.verdict = verdict;
    s.metrics = std::move(metrics);
    return s;
}

}  // namespace

TEST_CASE("baseline_criteria lists only relative criteria, stage by stage") {
    Pipeline pipeline;
    pipeline.stages.push_back(
        stage("smoke", {spec("send.p95 < 250ms", 3), spec("send.p95 < baseline + 10%", 4)}));
    pipeline.stages.push_back(stage("load", {spec("rps > baseline - 5%", 7)}));
    auto relative = baseline_criteria(pipeline);
    REQUIRE(relative.size() == 2);
    CHECK(relative[0]->pos.line == 4);
    CHECK(relative[1]->criterion.metric == "rps");

    Pipeline absolute;
    absolute.stages.push_back(stage("smoke", {spec("send.p95 < 250ms", 3)}));
    CHECK(baseline_criteria(absolute).empty());
}

TEST_CASE("apply_baseline matches stages by name and metrics by name") {
    Pipeline pipeline;
    pipeline.stages.push_back(stage(
        "smoke",
        {spec("send.p95 < max(baseline * 1.5, baseline + 20ms)", 4), spec("p95 < 250ms", 5)}));
    pipeline.stages.push_back(stage("load", {spec("rps > baseline - 10%", 7)}));
    pipeline.stages.push_back(stage("spike", {spec("rps > baseline", 9)}));
    pipeline.stages.push_back(stage("soak", {spec("send.p99 < baseline * 2", 11)}));
    pipeline.stages.push_back(stage("capacity", {spec("rps > baseline", 13)}));

    RunReport baseline;
    Snapshot smoke;
    smoke.set("send.p95", 40.0);
    smoke.set("p95", 1000.0);  // the whole-stage p95 must not be used for send.p95
    Snapshot load;
    load.set("rps", 200.0);
    Snapshot soak;
    soak.set("send.p95", 10.0);
    // Stages in another order than the pipeline's: matched by name, not position.
    baseline.stages.push_back(ran("load", Verdict::fail, load));
    baseline.stages.push_back(ran("smoke", Verdict::pass, smoke));
    baseline.stages.push_back(ran("soak", Verdict::pass, soak));
    baseline.stages.push_back(ran("capacity", Verdict::skipped, {}));

    apply_baseline(pipeline, baseline);

    const Criterion& send = pipeline.stages[0].criteria[0].criterion;
    CHECK(send.baseline == 40.0);
    CHECK(send.target == Approx(60));
    CHECK(pipeline.stages[0].criteria[1].criterion.target == 250.0);
    const Criterion& rps = pipeline.stages[1].criteria[0].criterion;
    CHECK(rps.baseline == 200.0);  // a failed baseline stage still measured
    CHECK(rps.target == Approx(180));

    const Criterion& spike = pipeline.stages[2].criteria[0].criterion;
    CHECK(spike.lacks_baseline());
    CHECK(spike.baseline_missing == "stage \"spike\" is not in the baseline run");
    const Criterion& soak_p99 = pipeline.stages[3].criteria[0].criterion;
    CHECK(soak_p99.lacks_baseline());
    CHECK(soak_p99.baseline_missing == "stage \"soak\" of the baseline run has no send.p99");
    const Criterion& capacity = pipeline.stages[4].criteria[0].criterion;
    CHECK(capacity.lacks_baseline());
    CHECK(capacity.baseline_missing == "stage \"capacity\" did not run in the baseline run");

    Snapshot now;
    now.set("rps", 500.0);
    CriterionResult result = evaluate(capacity, now);
    CHECK_FALSE(result.pass);
    CHECK(result.note == "no baseline data: stage \"capacity\" did not run in the baseline run");
}

TEST_CASE("the judge applies a resolved baseline target and never aborts on a missing one") {
    StageSpec s = stage("smoke", {spec("send.p95 < baseline + 10ms", 4),
                                  spec("send.p95 < baseline * 2 over 1s", 5)});
    s.criteria[0].criterion.abort = true;
    StageSpec resolved = s;
    for (auto& c : resolved.criteria) {
        resolve_baseline(c.criterion, 5.0, "");
    }
    for (auto& c : s.criteria) {
        resolve_baseline(c.criterion, std::nullopt, "stage \"smoke\" is not in the baseline run");
    }
    MetricNames names{{"send"}, {}, {}};
    StageMetrics second(1, 0);
    RequestSample sample;
    sample.status = 201;
    sample.latency_us = 50'000;  // 50 ms: over both resolved targets (15 ms, 10 ms)
    sample.latency_uncorrected_us = sample.latency_us;
    for (int i = 0; i < 10; ++i) {
        second.record(sample);
    }
    auto no_backend = [](Snapshot&) {};

    StageJudge with_baseline(resolved, names, no_backend);
    auto breach = with_baseline.on_interval(second, 1.0, 1.0);
    REQUIRE(breach);
    CHECK(breach->criterion.target == Approx(15));

    StageJudge without(s, names, no_backend);
    CHECK_FALSE(without.on_interval(second, 1.0, 1.0));
    auto results = without.judge(summarize(without.running_totals(), names, 1.0));
    REQUIRE(results.size() == 2);
    for (const auto& r : results) {
        CHECK_FALSE(r.pass);
        CHECK(r.note == "no baseline data: stage \"smoke\" is not in the baseline run");
    }
}
