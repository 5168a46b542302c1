#include "plugins/reporters/html/html_reporter.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <regex>

#include "plugins/reporters/html/svg_chart.hpp"
#include "report/report_format.hpp"
#include "sample_reports.hpp"
#include "support/text.hpp"
#include "test_files.hpp"

using namespace orch;

namespace {

using test::contains;
using test::count;

}  // namespace

TEST_CASE("report.html is one self-contained page") {
    for (const RunReport& report : {samples::failed_run(), samples::hostile_run()}) {
        std::string html = make_html_reporter()->render(report);
        CHECK(html.rfind("<!DOCTYPE html>\n", 0) == 0);
        CHECK(contains(html, "<meta charset=\"utf-8\">"));
        // Nothing to fetch: no external scripts, styles, images, fonts or imports.
        CHECK_FALSE(contains(html, "<script"));
        CHECK_FALSE(contains(html, "<link"));
        CHECK_FALSE(contains(html, "<img"));
        // Every '<' from the run is escaped, so a tag here is ours: none has a src.
        CHECK_FALSE(std::regex_search(html, std::regex(R"(<[a-zA-Z][^>]*\ssrc\s*=)")));
        CHECK_FALSE(contains(html, "url("));
        CHECK_FALSE(contains(html, "@import"));
        std::regex remote(R"((href|src|xlink:href|action)\s*=\s*["']?\s*(https?:)?//)",
                          std::regex::icase);
        CHECK_FALSE(std::regex_search(html, remote));
        // The only links are to the page's own sections.
        std::regex link(R"(href="([^"]*)\")");
        for (auto it = std::sregex_iterator(html.begin(), html.end(), link);
             it != std::sregex_iterator(); ++it) {
            CHECK((*it)[1].str().rfind("#stage-", 0) == 0);
        }
        CHECK(contains(html, "default-src 'none'"));
        CHECK(contains(html, "@media (prefers-color-scheme: dark)"));
        CHECK(html.size() > 1000);
        CHECK(html.substr(html.size() - 8) == "</html>\n");
    }
}

TEST_CASE("report.html shows the verdict, stages, criteria with colours and operations") {
    std::string html = make_html_reporter()->render(samples::failed_run());
    INFO(html);
    CHECK(contains(html, "<title>chat-api progressive load: FAIL (stagegate)</title>"));
    CHECK(contains(html,
                   "<header class=\"banner v-fail\">\n<h1>chat-api progressive load: FAIL</h1>"));
    CHECK(contains(html, "<th>Stage</th><th>Load</th><th class=\"num\">Requests</th>"));
    CHECK(contains(html,
                   "<td><a href=\"#stage-2\">load</a></td><td>20 VUs for 2m</td><td "
                   "class=\"num\">6,015</td>"));
    CHECK(contains(html, "<span class=\"badge v-skipped\">SKIPPED</span>"));
    CHECK(
        contains(html,
                 "<td><code>send.p95 &lt; 250ms</code></td><td class=\"num\">&lt; 250 ms</td>"
                 "<td class=\"num\">612 ms</td><td><span class=\"badge v-fail\">FAIL</span></td>"));
    CHECK(contains(html, "<span class=\"badge v-warn\">WARN</span>"));
    CHECK(contains(html, "History P95 latency<br><code>history.p95 &lt; 350ms</code>"));
    CHECK(contains(html, "<td>send</td><td class=\"num\">4,210</td><td class=\"num\">80.38%</td>"));
    CHECK(contains(html, "<td>status_5xx</td><td class=\"num\">826</td>"));
    CHECK(contains(html, "<li>826 failed send responses matched body pattern prisma"));
    CHECK(contains(html, "Not run: skipped: stage &quot;load&quot; did not pass."));
    CHECK(contains(html, "<h2>Backend log (last 3 lines)</h2>\n<pre>"));
}

TEST_CASE("report.html draws rps, errors, latency per operation and RSS as inline SVG") {
    RunReport report = samples::failed_run();
    report.stages[1].cooldown_s = 30;
    std::string html = make_html_reporter()->render(report);
    // rps, error rate, latency of all, of send, of history, RSS.
    CHECK(count(html, "<svg class=\"chart\"") == 6);
    CHECK(contains(html, "aria-label=\"Requests per second across the run\""));
    CHECK(contains(html, "aria-label=\"Error rate (percent of requests) across the run\""));
    // Successful responses apart from failed ones: the failed p95 is its own dashed line.
    CHECK(contains(html,
                   "aria-label=\"Latency p50, p95 and p99 of successful requests and p95 "
                   "of failed requests across the run\""));
    CHECK(count(html, "<polyline class=\"series sfail\"") == 1);  // only "load" failed
    CHECK(contains(html, "<text class=\"legend sfail\""));
    CHECK(contains(html, "failed p95</text>"));
    CHECK(contains(html, "svg .sfail { stroke: var(--warn); stroke-dasharray"));
    CHECK(contains(html, "aria-label=\"Latency p50, p95 and p99 of send across the run\""));
    CHECK(contains(html, "aria-label=\"Latency p50, p95 and p99 of history across the run\""));
    CHECK(contains(html, "aria-label=\"Backend RSS across the run\""));
    // Each chart has a line per stage that ran (smoke, load); latency charts three each.
    CHECK(count(html, "<polyline class=\"series s0\"") == 12);
    CHECK(count(html, "<polyline class=\"series s1\"") == 6);
    CHECK(count(html, "<polyline class=\"series s2\"") == 6);
    CHECK(count(html, "<text class=\"legend s2\"") == 3);
    // The stage boundary and the cooldown before "load" are marked in every chart.
    CHECK(count(html, "<line class=\"boundary\"") == 6);
    CHECK(count(html, "<rect class=\"cooldown\"") == 6);
    CHECK(contains(html, "<title>cooldown 30s</title>"));
    CHECK(contains(html, "<text class=\"stage\""));
    CHECK(contains(html, ">smoke</text>"));
    CHECK(contains(html, ">load</text>"));
    // Themes follow the reader's preference.
    CHECK(contains(html, "@media (prefers-color-scheme: dark)"));

    // Results written before the series kept outcomes apart: p50/p95/p99 of all requests.
    RunReport old = samples::failed_run();
    for (auto& stage : old.stages) {
        for (auto& point : stage.series) {
            point.succeeded_p50 = point.succeeded_p95 = point.succeeded_p99 = std::nullopt;
            point.failed_p50 = point.failed_p95 = point.failed_p99 = std::nullopt;
        }
    }
    std::string before = make_html_reporter()->render(old);
    CHECK(
        contains(before, "aria-label=\"Latency p50, p95 and p99 of all requests across the run\""));
    CHECK_FALSE(contains(before, "<polyline class=\"series sfail\""));

    // No failed response anywhere: the successful quantiles only, no failed line.
    std::string passing = make_html_reporter()->render(samples::passing_run());
    CHECK(contains(
        passing, "aria-label=\"Latency p50, p95 and p99 of successful requests across the run\""));
    CHECK_FALSE(contains(passing, "failed p95"));

    // No series, no charts.
    std::string none = make_html_reporter()->render(samples::error_run());
    CHECK_FALSE(contains(none, "<svg"));
}

TEST_CASE("report.html escapes hostile names everywhere") {
    std::string html = make_html_reporter()->render(samples::hostile_run());
    INFO(html);
    CHECK(contains(html,
                   "<title>evil &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | pipe &amp; "
                   "&quot;quotes&quot;: FAIL (stagegate)</title>"));
    CHECK(contains(html,
                   ">st|age &lt;b&gt;&amp;amp; &quot;q&quot; "
                   "&#39;a&#39;\xef\xbf\xbd\xef\xbf\xbd[31m`tick`\xef\xbf\xbd</a>"));
    CHECK(contains(html, "<li>&lt;img src=x onerror=alert(1)&gt;"));
    CHECK(contains(html, "<td>op|x&lt;&amp;&gt;`</td>"));
    CHECK(contains(html, "&lt;i&gt;x&lt;/i&gt;"));
    CHECK_FALSE(contains(html, "<i>x</i>"));
    CHECK_FALSE(contains(html, "\x01"));
    CHECK_FALSE(contains(html, "\x1b"));
    CHECK_FALSE(contains(html, "\xff"));
}

TEST_CASE("report.html of the stored failed run matches its reviewed golden file") {
    // Regenerate with STAGEGATE_UPDATE_GOLDEN=1 and review the diff (and a screenshot:
    // e2e.html_report_scale renders it in Chromium).
    auto path = std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "results" / "failed-run.json";
    auto report = run_report_from_json(nlohmann::json::parse(testing::slurp(path)));
    REQUIRE(report);
    std::string html = make_html_reporter()->render_redacted(*report);
    CHECK(testing::matches_golden("failed-run.report.html", html));
    // The verdict, the first failed criterion and the top hint before anything else.
    auto card = html.find("id=\"summary-card\"");
    REQUIRE(card != std::string::npos);
    CHECK(card < html.find("<h2>Summary</h2>"));
    CHECK(contains(html,
                   "<dt>First failed criterion</dt><dd>load: <code>success_rate &gt; 99%</code> "
                   "86.27% (12.7 percentage points short)</dd>"));
    CHECK(contains(html, "<dt>Top hint</dt><dd>send.p95 rose 26x"));
    CHECK(contains(html, "<h2>Failed criteria</h2>"));
    CHECK(contains(html, "<h4>Failure samples</h4>"));
    CHECK(contains(html, "<h3>Timing breakdown</h3>"));
    CHECK(contains(html, "<strong>Little's law:</strong> in flight 10.6"));
    CHECK(contains(html, "<h3>Next stage: capacity</h3>"));
    // Seconds with failures are marked under the latency chart (load's series has errors).
    CHECK(count(html, "<line class=\"failmark\"") > 0);
    CHECK(contains(html, "failed requests ("));
    CHECK(contains(html, "<td><code>database.overall</code></td><td class=\"num\">healthy</td>"));
}

TEST_CASE("charts: dashed limits, round time ticks, k/M labels, thinned names, clamped spikes") {
    using namespace orch::html;
    CHECK(time_tick_interval(150, 18) == 10);
    CHECK(time_tick_interval(900, 18) == 60);
    CHECK(time_tick_interval(3600, 18) == 300);
    CHECK(time_tick_interval(6, 18) == 1);
    CHECK(compact_number(107514.2) == "108k");
    CHECK(compact_number(2500000) == "2.5M");
    CHECK(compact_number(0.25) == "0.25");
    CHECK(compact_number(950) == "950");

    // 60 stages of 20 s: every boundary drawn, the names thinned so none overlaps.
    std::vector<ChartSegment> segments;
    for (int i = 0; i < 60; ++i) {
        ChartPoints points;
        for (int t = 1; t <= 20; ++t) {
            // p95 around 10 ms with two spikes of 900 ms.
            double v = (i == 10 && t == 5) || (i == 40 && t == 7) ? 900.0 : 10.0 + t % 3;
            points.emplace_back(t, v);
        }
        segments.push_back({"stage-" + std::to_string(i),
                            20,
                            i > 0 ? 5.0 : 0.0,
                            {points},
                            {{250, "p95 < 250ms"}},
                            {}});
    }
    ChartOptions robust;
    robust.clamp_spikes = true;
    std::string svg = line_chart(
        "p95", {"p95"}, segments, +[](double v) { return format_latency(v); }, robust);
    CHECK(count(svg, "<line class=\"boundary\"") == 59);
    std::size_t names = count(svg, "<text class=\"stage\"");
    CHECK(names > 5);
    CHECK(names < 60);
    CHECK(count(svg, "<text class=\"spike s0\"") == 2);
    CHECK(contains(svg, "spikes above the axis"));
    // The limit (250 ms) is far above the body (~12 ms): not drawn, so the body stays readable.
    CHECK(count(svg, "<line class=\"threshold\"") == 0);
    // Without spikes the axis ends near the limit and every stage shows it dashed.
    for (auto& segment : segments) {
        for (auto& point : segment.lines[0]) {
            point.second = 120.0;
        }
    }
    std::string plain = line_chart(
        "p95", {"p95"}, segments, +[](double v) { return format_latency(v); });
    CHECK(count(plain, "<line class=\"threshold\"") == 60);
    CHECK_FALSE(contains(plain, "spikes above the axis"));
    // Time ticks at round intervals: 60 x 20 s + 59 x 5 s = 1495 s -> every 2 minutes.
    CHECK(contains(plain, ">2m</text>"));
    CHECK(contains(plain, ">24m</text>"));
}

TEST_CASE("report.html with many operations: a sortable table whose one script the CSP admits") {
    RunReport report = samples::failed_run();
    StageReport& stage = report.stages[1];
    for (int i = 0; i < 12; ++i) {
        std::string op = "op" + std::to_string(i);
        stage.operations.push_back(op);
        stage.metrics.set(op + ".requests", 10.0 * i);
        stage.metrics.set(op + ".p95", 5.0 * i);
    }
    std::string html = make_html_reporter()->render(report);
    CHECK(contains(html, "<table id=\"ops-2\" class=\"sortable\">"));
    CHECK(count(html, "<script>") == 1);
    // The CSP names the script by the sha256 of its bytes: recompute it.
    auto open = html.find("<script>") + 8;
    std::string script = html.substr(open, html.find("</script>") - open);
    testing::TempDir dir;
    auto file = dir.path() / "sort.js";
    testing::write_text(file, script);
    auto hash =
        testing::run_command("openssl dgst -sha256 -binary '" + file.string() + "' | base64");
    REQUIRE(hash.exit_code == 0);
    std::string digest = hash.output.substr(0, hash.output.find('\n'));
    CHECK(contains(html, "script-src 'sha256-" + digest + "'"));
    // A run with few operations carries no script at all.
    CHECK_FALSE(contains(make_html_reporter()->render(samples::failed_run()), "<script"));
}
