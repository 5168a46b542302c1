// GitLab's load performance report: k6's --summary-export shape, from the last stage that
// ran. (The shape against the recorded k6 file: tests/e2e/report_exports.sh.)
#include "plugins/reporters/gitlab/gitlab_reporter.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sample_reports.hpp"

using namespace orch;

TEST_CASE("gitlab-load-performance: k6 summary-export keys from the last stage that ran") {
    RunReport report = samples::failed_run();
    auto json = nlohmann::json::parse(make_gitlab_reporter()->render(report));
    INFO(json.dump(2));
    REQUIRE(json.contains("root_group"));
    REQUIRE(json.contains("metrics"));
    const auto& m = json["metrics"];
    // The load stage ran last (capacity was skipped).
    const StageReport& load = report.stages[1];
    CHECK(m["http_reqs"]["count"] == load.metrics.get("requests").value());
    CHECK(m["http_req_duration"]["p(95)"] == load.metrics.get("p95").value());
    CHECK(m["http_req_duration"].contains("med"));
    CHECK(m["http_req_failed"]["value"].get<double>() > 0);
    CHECK(m.contains("http_reqs{stage:smoke}"));
    CHECK(m.contains("http_reqs{stage:load}"));
    CHECK_FALSE(m.contains("http_reqs{stage:capacity}"));
    CHECK(m.contains("http_req_duration{operation:send}"));
    CHECK(m["checks"]["fails"].get<int>() >= 2);
    CHECK(json["root_group"]["id"] == "d41d8cd98f00b204e9800998ecf8427e");
}
