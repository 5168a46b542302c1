// results.json keeps a criterion's place in the pipeline (line, column) when it is known,
// so `stagegate report --format junit` from a results.json still points there.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report/run_report.hpp"

using namespace orch;

TEST_CASE("results.json carries a criterion's line and column, and reads them back") {
    RunReport report;
    report.pipeline_file = "p.yaml";
    StageReport stage;
    stage.name = "smoke";
    stage.verdict = Verdict::pass;
    CriterionResult placed;
    placed.criterion.expr = placed.criterion.name = "p95 < 250ms";
    placed.criterion.metric = "p95";
    placed.criterion.unit = MetricUnit::milliseconds;
    placed.criterion.target = 250;
    placed.criterion.line = 12;
    placed.criterion.column = 9;
    placed.pass = true;
    CriterionResult unplaced = placed;
    unplaced.criterion.line = unplaced.criterion.column = 0;
    stage.criteria = {placed, unplaced};
    report.stages.push_back(stage);

    nlohmann::json json = to_json(report);
    const auto& criteria = json["stages"][0]["criteria"];
    CHECK(criteria[0]["line"] == 12);
    CHECK(criteria[0]["column"] == 9);
    CHECK_FALSE(criteria[1].contains("line"));

    auto back = run_report_from_json(json);
    REQUIRE(back);
    CHECK(back->stages[0].criteria[0].criterion.line == 12);
    CHECK(back->stages[0].criteria[0].criterion.column == 9);
    CHECK(back->stages[0].criteria[1].criterion.line == 0);
}
