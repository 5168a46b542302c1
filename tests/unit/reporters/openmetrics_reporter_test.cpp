// The Prometheus text exposition of a run: families with HELP and TYPE, the figures of the
// report, verdicts as gauges, and label values escaped so no text can add a sample.
// (promtool's own check of a real run's file: tests/e2e/report_exports.sh.)
#include "plugins/reporters/openmetrics/openmetrics_reporter.hpp"

#include <catch2/catch.hpp>

#include "sample_reports.hpp"
#include "support/text.hpp"

using namespace orch;

namespace {

using test::contains;

}  // namespace

TEST_CASE("openmetrics: every family has HELP and TYPE, and the run's figures") {
    std::string text = make_openmetrics_reporter()->render(samples::failed_run());
    INFO(text);
    CHECK(contains(text, "# TYPE stagegate_requests_total counter\n"));
    CHECK(contains(text, "# TYPE stagegate_latency_seconds summary\n"));
    CHECK(contains(text, "# TYPE stagegate_stage_verdict gauge\n"));
    CHECK(contains(text, "stagegate_stage_verdict{stage=\"load\",verdict=\"FAIL\"} 1\n"));
    CHECK(contains(text, "stagegate_stage_passed{stage=\"smoke\"} 1\n"));
    CHECK(contains(text, "stagegate_stage_passed{stage=\"load\"} 0\n"));
    CHECK(contains(text, "stagegate_run_exit_code 1\n"));
    CHECK(contains(text, "stagegate_requests_total{stage=\"load\",operation=\"send\"} "));
    CHECK(contains(
        text,
        "stagegate_latency_seconds{stage=\"load\",operation=\"send\",quantile=\"0.95\"} 0.6"));
    CHECK(contains(text,
                   "stagegate_criterion_passed{stage=\"load\",criterion=\"send.p95 < "
                   "250ms\",severity=\"fail\"} 0\n"));
    // A stage that did not run has its verdict, and no traffic figures.
    CHECK(contains(text, "stagegate_stage_verdict{stage=\"capacity\",verdict=\"SKIPPED\"} 1\n"));
    CHECK_FALSE(contains(text, "stagegate_requests_total{stage=\"capacity\""));
    CHECK(text.size() > 6);
    CHECK(text.substr(text.size() - 6) == "# EOF\n");
}

TEST_CASE("openmetrics: label values are escaped and valid UTF-8") {
    RunReport report = samples::failed_run();
    report.pipeline_name = "a\"b\\c\nevil_metric 1 \xff";
    std::string text = make_openmetrics_reporter()->render(report);
    INFO(text);
    CHECK(contains(text, "pipeline=\"a\\\"b\\\\c\\nevil_metric 1 \xEF\xBF\xBD\""));
    CHECK_FALSE(contains(text, "\nevil_metric"));
}
