// The stage judge reads the executor's running totals when the executor passes them, and
// keeps no second copy of the stage (issue 17 item 5); without them it adds the deltas up.
#include "pipeline/stage_judge.hpp"

#include <catch2/catch.hpp>

using namespace orch;

namespace {

StageSpec aborting_stage() {
    auto parsed = parse_criterion("p95 < 10ms", MetricCatalog{{"send"}, {}, {}});
    REQUIRE(parsed);
    parsed->expr = "p95 < 10ms";
    parsed->abort = true;
    StageSpec s;
    s.name = "load";
    s.criteria.push_back(CriterionSpec{*parsed, SourcePos{3, 9}});
    return s;
}

StageMetrics requests(int n, std::int64_t latency_us) {
    StageMetrics m(1, 0);
    RequestSample sample;
    sample.status = 200;
    sample.latency_us = latency_us;
    sample.latency_uncorrected_us = latency_us;
    for (int i = 0; i < n; ++i) {
        m.record(sample);
    }
    return m;
}

}  // namespace

TEST_CASE("with the executor's totals the judge keeps no copy and aborts on those totals") {
    StageSpec s = aborting_stage();
    MetricNames names{{"send"}, {}, {}};
    auto no_backend = [](Snapshot&) {};
    StageJudge judge(s, names, no_backend);

    // This second is fast, but the stage so far (as the executor passes it) is slow: the
    // abort follows the passed totals, not a sum of the deltas the judge saw.
    StageMetrics delta = requests(10, 1'000);
    StageMetrics totals = requests(100, 50'000);
    totals.merge(delta);
    auto breach = judge.on_interval(delta, 1.0, 1.0, &totals);
    REQUIRE(breach);
    CHECK(breach->criterion.metric == "p95");
    CHECK(judge.running_totals().totals().requests() == 0);
    CHECK_FALSE(judge.running_totals().operations()[0].has_histograms());

    // Without them, the judge adds the deltas up itself: the fast second does not abort.
    StageJudge own(s, names, no_backend);
    CHECK_FALSE(own.on_interval(delta, 1.0, 1.0));
    CHECK(own.running_totals().totals().requests() == 10);
}
