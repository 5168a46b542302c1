// report.md (and so the GitHub step summary) shows baseline deltas: a "Baseline" table per
// stage with the baseline value, this run's, the change and the computed target.
#include <cmath>

#include <catch2/catch.hpp>

#include "plugins/reporters/markdown/markdown_reporter.hpp"
#include "sample_reports.hpp"

using namespace orch;

namespace {

CriterionResult baseline_result(std::string expr, std::string metric,
                                std::optional<double> baseline, double target, double actual,
                                bool pass) {
    CriterionResult r;
    r.criterion.expr = expr;
    r.criterion.name = std::move(expr);
    r.criterion.metric = std::move(metric);
    r.criterion.unit = MetricUnit::milliseconds;
    r.criterion.relative = BaselineFormula{};
    r.criterion.baseline = baseline;
    r.criterion.target = target;
    r.actual = actual;
    r.pass = pass;
    return r;
}

}  // namespace

TEST_CASE("report.md has a Baseline table only when a stage has baseline criteria") {
    std::string plain = make_markdown_reporter()->render(samples::passing_run());
    CHECK(plain.find("### Baseline") == std::string::npos);

    RunReport report = samples::passing_run();
    report.stages[0].criteria.push_back(baseline_result(
        "send.p95 < max(baseline * 1.5, baseline + 20ms)", "send.p95", 10.0, 30.0, 70.0, false));
    CriterionResult missing = baseline_result("send.p99 < baseline * 2", "send.p99", std::nullopt,
                                              std::nan(""), 5, false);
    missing.note = "no baseline data: stage \"smoke\" is not in the baseline run";
    report.stages[0].criteria.push_back(missing);
    std::string md = make_markdown_reporter()->render(report);
    INFO(md);
    auto section = md.find("### Baseline");
    REQUIRE(section != std::string::npos);
    std::string table = md.substr(section, md.find("###", section + 4) - section);
    CHECK_THAT(table, Catch::Contains("| Criterion | Baseline | Actual | Change | Target |"));
    // 10 ms -> 70 ms is +600%; the computed target is shown as a target.
    CHECK_THAT(table, Catch::Contains("+600.0%"));
    CHECK_THAT(table, Catch::Contains("< 30 ms"));
    CHECK_THAT(table, Catch::Contains("no data"));
    CHECK_THAT(table, Catch::Contains("no baseline"));
    // The criteria table shows the computed target and the note.
    CHECK_THAT(md, Catch::Contains("no baseline data: stage \"smoke\" is not in the baseline run"));
}
