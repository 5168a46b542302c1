// What a stage's numbers mean in words (report/stage_analysis.hpp) and how far a criterion
// missed (report_format.hpp): the pieces report.md, report.html and the console share.
#include "report/stage_analysis.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../reporters/sample_reports.hpp"
#include "report/report_format.hpp"

using namespace orch;

namespace {

const CauseCheck& check_named(const std::vector<CauseCheck>& checks, const std::string& start) {
    for (const auto& check : checks) {
        if (check.cause.rfind(start, 0) == 0) {
            return check;
        }
    }
    FAIL("no check " << start);
    return checks.front();
}

CriterionResult result(CompareOp op, double target, double actual, MetricUnit unit) {
    CriterionResult r;
    r.criterion.op = op;
    r.criterion.target = target;
    r.criterion.unit = unit;
    r.actual = actual;
    return r;
}

}  // namespace

TEST_CASE("format_distance: in the criterion's unit, percentage points for percentages") {
    CHECK(format_distance(result(CompareOp::lt, 250, 612.4, MetricUnit::milliseconds)) ==
          "362 ms over");
    CHECK(format_distance(result(CompareOp::lt, 1, 0.2, MetricUnit::milliseconds)) ==
          "800 \u00b5s under");
    CHECK(format_distance(result(CompareOp::gt, 99, 86.27, MetricUnit::percent)) ==
          "12.7 percentage points short");
    CHECK(format_distance(result(CompareOp::eq, 0, 826, MetricUnit::count)) == "826 above");
    CHECK(format_distance(result(CompareOp::ge, 100, 100, MetricUnit::per_second)) ==
          "exactly at the target");
    CriterionResult none;
    CHECK(format_distance(none).empty());
    CHECK(format_ms(0.000412) == "0.000412 ms");
    CHECK(format_ms(0) == "0 ms");
    CHECK(format_ms(0.21) == "0.21 ms");
    CHECK(format_ms(12.34) == "12.3 ms");
}

TEST_CASE("the root-cause checklist lists every known cause, seen or not, with evidence") {
    RunReport run = samples::failed_run();
    auto smoke = cause_checklist(run.stages[0], nullptr);
    auto load = cause_checklist(run.stages[1], &run.stages[0]);
    REQUIRE(smoke.size() == load.size());
    CHECK(smoke.size() >= 12);
    for (const auto& check : smoke) {
        INFO(check.cause);
        CHECK_FALSE(check.seen);
        CHECK_FALSE(check.evidence.empty());
    }
    CHECK(check_named(load, "Server errors").seen);
    CHECK(check_named(load, "Server errors").evidence ==
          "errors.status_5xx = 826 of 6,015 requests");
    CHECK(check_named(load, "Application errors").seen);
    CHECK(check_named(load, "Latency rising").seen);
    CHECK_FALSE(check_named(load, "Backend crashed").seen);
    CHECK_FALSE(check_named(load, "Load generator").seen);

    // 20 VUs without think time keep ~20 requests in flight; 2 in flight means the
    // generator, not the server, held the load back.
    StageReport starved = run.stages[1];
    starved.think_time_s = 0;
    starved.metrics.set("rps", 10);
    starved.metrics.set("avg", 200);
    CHECK(check_named(cause_checklist(starved, nullptr), "Load generator").seen);
    starved.extra["generator_cpu_percent"] = 95.0;
    starved.metrics.set("rps", 100);
    CHECK(check_named(cause_checklist(starved, nullptr), "Load generator").seen);
}

TEST_CASE("failure samples: grouped by operation, kind and status, at most 3, cut and one line") {
    StageReport stage;
    stage.extra["failure_samples"] = nlohmann::json::array();
    for (int i = 0; i < 5; ++i) {
        stage.extra["failure_samples"].push_back(
            {{"operation", "send"},
             {"status", 500},
             {"error", "status_5xx"},
             {"body", "line one\nline two " + std::string(300, 'x')}});
    }
    stage.extra["failure_samples"].push_back({{"operation", "send"},
                                              {"status", 0},
                                              {"error", "timeout"},
                                              {"body", ""},
                                              {"message", "timed out after 5 s"}});
    auto groups = failure_groups(stage, 3, 20);
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].samples == 5);
    REQUIRE(groups[0].bodies.size() == 3);
    CHECK(groups[0].bodies[0] == "line one line two xx\u2026");
    CHECK(groups[1].bodies == std::vector<std::string>{"timed out after 5 s"});
    CHECK(failure_groups(StageReport{}).empty());
}

TEST_CASE("next stage: not worth running after a failure; headroom against the load increase") {
    RunReport run = samples::failed_run();
    auto after_load = next_stage_outlook(run, 1);
    REQUIRE(after_load);
    CHECK(after_load->verdict == "not worth running yet");
    CHECK(after_load->load == "200/s (max 200 VUs) for 2m");
    CHECK_FALSE(next_stage_outlook(run, 2).has_value());

    // smoke: send.p95 23.7 ms of 250 ms (10.5x headroom); load asks for 4x the rate.
    auto after_smoke = next_stage_outlook(run, 0);
    REQUIRE(after_smoke);
    CHECK(after_smoke->verdict == "likely to pass");
    CHECK(after_smoke->reasoning.find("10.5x headroom") != std::string::npos);
    // With 40x the VUs the same headroom is not enough.
    run.stages[1].vus = 200;
    CHECK(next_stage_outlook(run, 0)->verdict == "at risk");
}

TEST_CASE("the summary paragraph states what passed, what missed and by how much") {
    RunReport run = samples::failed_run();
    std::string load = stage_summary(run.stages[1]);
    CHECK(load.rfind("load FAIL: 5 of 8 criteria met; success rate 86.3% (target > 99%, 12.7 "
                     "percentage points short); send p95 612 ms (target < 250 ms, 362 ms over)",
                     0) == 0);
    CHECK(load.find("826 failed (13.7%: status_5xx 826, body.prisma 826)") != std::string::npos);
    CHECK(load.find("The backend's RSS grew 17.5 MB (51.3 MB to 68.8 MB).") != std::string::npos);
    CHECK(stage_summary(run.stages[2]).rfind("capacity did not run: skipped", 0) == 0);
}
