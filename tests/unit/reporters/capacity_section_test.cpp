#include <catch2/catch.hpp>

#include "plugins/reporters/html/html_reporter.hpp"
#include "plugins/reporters/markdown/markdown_reporter.hpp"
#include "sample_reports.hpp"
#include "support/text.hpp"

using namespace orch;

namespace {

using test::contains;
using test::count;

// `stages` stages of 1, 2, 4, ... VUs whose throughput peaks at the third: a USL peak.
RunReport growing_run(int stages, const std::string& name_prefix = "step-") {
    RunReport report = samples::passing_run();
    StageReport base = report.stages.back();
    report.stages.clear();
    const double rps[] = {100, 180, 240, 220, 150};
    for (int i = 0; i < stages; ++i) {
        StageReport s = base;
        s.name = name_prefix + std::to_string(i + 1);
        s.vus = 1 << i;
        s.metrics.set("rps", rps[i]);
        s.metrics.set("avg", 1000.0 * s.vus / rps[i]);
        for (auto& point : s.series) {
            point.vus = s.vus;
        }
        s.metrics.set("success_rate", 100.0);
        report.stages.push_back(s);
    }
    return report;
}

}  // namespace

TEST_CASE("report.md and report.html: Capacity with the fit from three stages on") {
    RunReport report = growing_run(5);
    std::string md = make_markdown_reporter()->render(report);
    CHECK(contains(md, "## Capacity\n\nEstimated peak: "));
    CHECK(contains(md, "step-5 | 16 | 150.0/s | "));
    CHECK(contains(md, "past peak"));
    CHECK(contains(md, "Next stage: "));

    std::string html = make_html_reporter()->render(report);
    CHECK(contains(html, "<h2>Capacity</h2>"));
    CHECK(contains(html, "aria-label=\"Throughput against concurrency"));
    CHECK(count(html, "<circle class=\"measured\"") == 5);
    CHECK(count(html, "class=\"series s0 usl-fit\"") == 1);
    CHECK(contains(html, "peak N="));
}

TEST_CASE("report.md and report.html: fewer than three stages say why, no chart") {
    RunReport report = growing_run(2);
    std::string md = make_markdown_reporter()->render(report);
    CHECK(contains(md,
                   "## Capacity\n\nNo capacity fit: 2 stages with load ran; a capacity fit "
                   "needs three or more."));
    std::string html = make_html_reporter()->render(report);
    CHECK(contains(html, "No capacity fit: 2 stages"));
    CHECK_FALSE(contains(html, "usl-fit"));

    RunReport none = samples::error_run();
    CHECK_FALSE(contains(make_markdown_reporter()->render(none), "## Capacity"));
    CHECK_FALSE(contains(make_html_reporter()->render(none), "<h2>Capacity</h2>"));
}

TEST_CASE("the Capacity sections escape stage names") {
    RunReport report = growing_run(3, "<b>|*x*");
    std::string md = make_markdown_reporter()->render(report);
    CHECK_FALSE(contains(md, "| <b>|*x*1 |"));
    std::string html = make_html_reporter()->render(report);
    CHECK_FALSE(contains(html, "<b>|*x*"));
    CHECK(contains(html, "&lt;b&gt;|*x*1"));
}
