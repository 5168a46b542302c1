#include "plugins/reporters/junit/junit_reporter.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report/markup_escape.hpp"
#include "sample_reports.hpp"
#include "support/text.hpp"
#include "test_files.hpp"

using namespace orch;

namespace {

using test::contains;
using test::count;

/// Validates `xml` against tests/fixtures/junit/junit-10.xsd with xmllint; "" when valid,
/// else xmllint's complaint. Skips (WARN) when xmllint is missing. A testcase's `file` and
/// `line` (the extension GitLab and pytest use, which that XSD does not list) are set
/// aside first; everything else must be as the XSD says.
std::string xsd_problems(std::string xml) {
    for (const char* attribute : {" file=\"", " line=\""}) {
        for (std::size_t at = xml.find(attribute); at != std::string::npos;
             at = xml.find(attribute, at)) {
            std::size_t end = xml.find('"', at + std::string(attribute).size());
            xml.erase(at, end + 1 - at);
        }
    }
    if (!testing::have_tool("xmllint")) {
        WARN("xmllint not installed: XSD validation skipped");
        return {};
    }
    testing::TempDir dir;
    auto file = dir.path() / "junit.xml";
    testing::write_text(file, xml);
    std::string xsd = std::string(STAGEGATE_FIXTURES_DIR) + "/junit/junit-10.xsd";
    auto result = testing::run_command("xmllint --noout --schema " + testing::shell_quote(xsd) +
                                       " " + testing::shell_quote(file.string()));
    return result.exit_code == 0 ? std::string() : result.output + "\n" + xml;
}

}  // namespace

TEST_CASE("junit.xml validates against the Jenkins xUnit junit-10.xsd") {
    SECTION("passing run") {
        CHECK(xsd_problems(make_junit_reporter()->render(samples::passing_run())) == "");
    }
    SECTION("failing run with a skipped stage") {
        CHECK(xsd_problems(make_junit_reporter()->render(samples::failed_run())) == "");
    }
    SECTION("run that never started a stage") {
        CHECK(xsd_problems(make_junit_reporter()->render(samples::error_run())) == "");
    }
    SECTION("hostile names: markup, quotes, control characters, invalid UTF-8") {
        CHECK(xsd_problems(make_junit_reporter()->render(samples::hostile_run())) == "");
    }
}

TEST_CASE("junit.xml has one suite per stage and one testcase per criterion") {
    std::string xml = make_junit_reporter()->render(samples::failed_run());
    INFO(xml);
    CHECK(xml.rfind(
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stagegate: chat-api "
              "progressive load\" tests=\"24\" failures=\"2\" errors=\"0\" time=\"150.030\">",
              0) == 0);
    CHECK(contains(xml,
                   "<testsuite name=\"smoke\" tests=\"8\" failures=\"0\" errors=\"0\" "
                   "skipped=\"0\" time=\"30.010\" timestamp=\"2026-11-27T09:00:02Z\">"));
    CHECK(contains(xml,
                   "<testsuite name=\"load\" tests=\"8\" failures=\"2\" errors=\"0\" skipped=\"0\" "
                   "time=\"120.020\""));
    CHECK(contains(xml,
                   "<testsuite name=\"capacity\" tests=\"8\" failures=\"0\" errors=\"0\" "
                   "skipped=\"8\" time=\"0.000\">"));
    CHECK(count(xml, "<testcase ") == 24);
    CHECK(contains(xml,
                   "<testcase classname=\"stagegate.smoke\" name=\"send.p95 &lt; 250ms\" "
                   "time=\"30.010\" file=\"pipelines/chat.yaml\"/>"));
    CHECK(contains(xml, "<property name=\"verdict\" value=\"FAIL\"/>"));
}

TEST_CASE("a failed fail-criterion is a failure carrying target and actual") {
    std::string xml = make_junit_reporter()->render(samples::failed_run());
    INFO(xml);
    CHECK(contains(
        xml,
        "<testcase classname=\"stagegate.load\" name=\"send.p95 &lt; 250ms\" time=\"120.020\" "
        "file=\"pipelines/chat.yaml\">\n"
        "      <failure message=\"612 ms, target &lt; 250 ms (2.4x worse)\" type=\"criterion\">"
        "send.p95 &lt; 250ms\ntarget &lt; 250 ms / actual 612 ms\nmargin: 2.4x worse\n"
        "hint: send.p95 rose 26x from smoke (23.7 ms) to load (612.4 ms) while history.p95 "
        "stayed at 145.0 ms: the slowdown is in writes</failure>"));
    CHECK(contains(xml,
                   "name=\"success_rate &gt; 99%\" time=\"120.020\" file=\"pipelines/chat.yaml\">\n"
                   "      <failure message=\"86.27%, target &gt; "
                   "99% (1.1x worse)\" type=\"criterion\">"));
    CHECK(count(xml, "<failure ") == 2);
}

TEST_CASE("a missed warn-criterion passes with a note in system-out") {
    std::string xml = make_junit_reporter()->render(samples::failed_run());
    INFO(xml);
    CHECK(contains(
        xml,
        "<testcase classname=\"stagegate.load\" name=\"backend.memory_growth &lt; 20%\" "
        "time=\"120.020\" file=\"pipelines/chat.yaml\">\n"
        "      <system-out>WARN (not failing): backend.memory_growth &lt; 20%\n"
        "target &lt; 20% / actual 34.1%\nmargin: 1.7x worse</system-out>\n    </testcase>"));
}

TEST_CASE("criteria of a stage that did not run are skipped with the reason") {
    std::string xml = make_junit_reporter()->render(samples::failed_run());
    CHECK(count(xml, "<skipped message=\"skipped: stage &quot;load&quot; did not pass\"/>") == 8);
}

TEST_CASE("a stage that failed for another reason than its criteria gets a stage testcase") {
    RunReport report = samples::failed_run();
    StageReport& load = report.stages[1];
    load.reason = "backend crashed 41.2s into the stage (exit code 139)";
    for (auto& r : load.criteria) {
        r.pass = true;
    }
    std::string crashed = make_junit_reporter()->render(report);
    INFO(crashed);
    CHECK(contains(crashed,
                   "<testcase classname=\"stagegate.load\" name=\"stage\" time=\"120.020\" "
                   "file=\"pipelines/chat.yaml\">\n"
                   "      <failure message=\"backend crashed 41.2s into the stage (exit code "
                   "139)\" type=\"fail\">"));
    CHECK(xsd_problems(crashed) == "");

    load.verdict = Verdict::error;
    load.reason = "executor failed: k6 exited with 107";
    std::string errored = make_junit_reporter()->render(report);
    CHECK(contains(errored,
                   "<error message=\"executor failed: k6 exited with 107\" type=\"error\">"));
    CHECK(contains(errored, "<testsuite name=\"load\" tests=\"9\" failures=\"0\" errors=\"1\""));
    CHECK(xsd_problems(errored) == "");
}

TEST_CASE("a run that failed before any stage still shows an error") {
    std::string xml = make_junit_reporter()->render(samples::error_run());
    INFO(xml);
    CHECK(contains(xml, "<testsuite name=\"stagegate\" tests=\"1\" failures=\"0\" errors=\"1\""));
    CHECK(contains(xml,
                   "<error message=\"backend never became healthy: GET /health answered 503 for "
                   "30s\" type=\"ERROR\">"));
}

TEST_CASE("hostile names are escaped and illegal XML characters replaced") {
    std::string xml = make_junit_reporter()->render(samples::hostile_run());
    INFO(xml);
    CHECK(contains(xml,
                   "<testsuite name=\"st|age &lt;b&gt;&amp;amp; &quot;q&quot; "
                   "&#39;a&#39;\xef\xbf\xbd\xef\xbf\xbd[31m`tick`\xef\xbf\xbd\""));
    CHECK(contains(xml, "name=\"latency | of &lt;op&gt; &amp; &quot;friends&quot;\xef\xbf\xbd\""));
    CHECK_FALSE(contains(xml, "\x01"));
    CHECK_FALSE(contains(xml, "\x1b"));
    CHECK_FALSE(contains(xml, "<img"));
}

TEST_CASE("markup escaping for XML and HTML") {
    CHECK(escape_markup("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
    CHECK(escape_markup("x\x01y\x7f") == "x\xef\xbf\xbdy\xef\xbf\xbd");
    CHECK(escape_markup("line\nnext\ttab") == "line\nnext\ttab");
    CHECK(escape_markup("line\nnext\ttab", MarkupContext::attribute) == "line&#10;next&#9;tab");
    CHECK(escape_markup("\xed\xa0\x80") == "\xef\xbf\xbd");  // a lone surrogate
    CHECK(escape_markup("\xef\xbf\xbe") == "\xef\xbf\xbd");  // U+FFFE
    CHECK(escape_markup("caf\xc3\xa9 \xf0\x9f\x9a\x80") == "caf\xc3\xa9 \xf0\x9f\x9a\x80");
}

TEST_CASE("a criterion's testcase carries its line in the pipeline file") {
    RunReport report = samples::failed_run();
    report.stages[1].criteria[0].criterion.line = 42;
    report.stages[1].criteria[0].criterion.column = 9;
    std::string xml = make_junit_reporter()->render(report);
    INFO(xml);
    CHECK(contains(xml, "time=\"120.020\" file=\"pipelines/chat.yaml\" line=\"42\""));
    CHECK(count(xml, " line=\"") == 1);
    CHECK(xsd_problems(xml) == "");
}

TEST_CASE("junit.xml of the stored failed run matches its reviewed golden file") {
    // tests/fixtures/golden/failed-run.junit.xml was read for wording (failure texts with
    // target, actual and the first hint; time and file on each testcase); regenerate it with
    // STAGEGATE_UPDATE_GOLDEN=1 and review the diff.
    auto path = std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "results" / "failed-run.json";
    auto report = run_report_from_json(nlohmann::json::parse(testing::slurp(path)));
    REQUIRE(report);
    std::string xml = make_junit_reporter()->render_redacted(*report);
    CHECK(testing::matches_golden("failed-run.junit.xml", xml));
    CHECK(xsd_problems(xml) == "");
}
