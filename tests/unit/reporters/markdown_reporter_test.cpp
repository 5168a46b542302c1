#include "plugins/reporters/markdown/markdown_reporter.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "plugins/reporters/markdown/markdown_text.hpp"
#include "sample_reports.hpp"
#include "support/text.hpp"
#include "test_files.hpp"

using namespace orch;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

// Cell separators in a table line: pipes not escaped by a backslash.
int column_pipes(const std::string& line) {
    int pipes = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\') {
            ++i;
        } else if (line[i] == '|') {
            ++pipes;
        }
    }
    return pipes;
}

struct TableShape {
    std::string header;
    int rows = 0;  ///< body rows
};

// Every table (consecutive lines starting with '|') must keep its header's column count
// on every line; returns the tables found.
std::vector<TableShape> check_tables(const std::string& markdown) {
    std::vector<TableShape> tables;
    std::vector<std::string> lines = lines_of(markdown);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty() || lines[i][0] != '|') {
            continue;
        }
        TableShape shape{lines[i], 0};
        int columns = column_pipes(lines[i]);
        REQUIRE(i + 1 < lines.size());
        CHECK(column_pipes(lines[i + 1]) == columns);  // the delimiter row
        std::size_t k = i + 2;
        for (; k < lines.size() && !lines[k].empty() && lines[k][0] == '|'; ++k) {
            INFO(lines[k]);
            CHECK(column_pipes(lines[k]) == columns);
            ++shape.rows;
        }
        // A blank line ends each table, so the next paragraph is not swallowed as a row.
        CHECK((k == lines.size() || lines[k].empty()));
        tables.push_back(shape);
        i = k;
    }
    return tables;
}

using test::contains;
using test::count;

}  // namespace

TEST_CASE("report.md summarizes the run from its measured numbers") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    INFO(md);
    CHECK(md.rfind("# chat-api progressive load: **FAIL**\n", 0) == 0);
    CHECK(contains(md, "- **Verdict:** FAIL (exit code 1)\n"));
    CHECK(contains(md, "- **Reason:** stage \"load\": 2 of 8 fail criteria missed"));
    CHECK(contains(md, "- **Stages passed:** 1 of 3 (2 ran)\n"));
    CHECK(contains(md, "- **Highest passed stage:** smoke\n"));
    // 1,500 + 6,015 requests; 826 failed.
    CHECK(contains(md, "- **Requests:** 7,515 in total, 89.01% succeeded\n"));
    CHECK(contains(md, "- **Duration:** 2m 30s of load"));
    CHECK(contains(md, "target `http://127.0.0.1:18080`"));
}

TEST_CASE("report.md has a stage table with load, throughput, latency and verdict") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    INFO(md);
    CHECK(contains(md,
                   "| Stage | Load | Requests | RPS | Success | p95 | p99 | Errors | Verdict |\n"
                   "|:---|:---|---:|---:|---:|---:|---:|---:|:---|\n"));
    CHECK(contains(
        md, "| smoke | 5 VUs for 30s | 1,500 | 50.0/s | 100% | 27.9 ms | 44.6 ms | 0 | PASS |\n"));
    CHECK(contains(md,
                   "| load | 20 VUs for 2m | 6,015 | 50.1/s | 86.27% | 590 ms | 1,791 ms | 826 | "
                   "**FAIL** |\n"));
    CHECK(contains(md,
                   "| capacity | 200/s (max 200 VUs) for 2m | \u2014 | \u2014 | \u2014 | \u2014 | "
                   "\u2014 | \u2014 | **SKIPPED** |\n"));
}

TEST_CASE("report.md lists each stage's criteria with target, actual, status and margin") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    INFO(md);
    CHECK(contains(md, "## Stage 2: load (FAIL)\n"));
    CHECK(contains(md, "| Criterion | Target | Actual | Status | Margin | Note |\n"));
    CHECK(contains(md, "| `send.p95 < 250ms` | \\< 250 ms | 612 ms | **FAIL** | 2.4x worse | |\n"));
    CHECK(contains(md,
                   "| History P95 latency (`history.p95 < 350ms`) | \\< 350 ms | 145 ms | PASS | "
                   "2.4x better | |\n"));
    CHECK(contains(md, "| `success_rate > 99%` | \\> 99% | 86.27% | **FAIL** | 1.1x worse | |\n"));
    CHECK(contains(
        md,
        "| `backend.memory_growth < 20%` (warn) | \\< 20% | 34.1% | **WARN** | 1.7x worse | |\n"));
    CHECK(contains(md, "| `errors.status_429 == 0` (abort) | == 0 | 0 | PASS | \u2014 | |\n"));
    CHECK(contains(md,
                   "| `send.p99 < 2s over 10s` | \\< 2,000 ms | 1,840 ms | PASS | 1.09x better | "
                   "worst 10s window at 40s |\n"));
}

TEST_CASE("report.md breaks a stage down by operation, latency, error kind and timing") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    INFO(md);
    CHECK(contains(
        md, "| Operation | Requests | Success | Errors | p50 | p90 | p95 | p99 | Max | Avg |\n"));
    CHECK(contains(md,
                   "| send | 4,210 | 80.38% | 826 | 131 ms | 521 ms | 612 ms | 1,840 ms | 3,013 ms "
                   "| 269 ms |\n"));
    CHECK(contains(md,
                   "| history | 1,805 | 100% | 0 | 61.2 ms | 120 ms | 145 ms | 231 ms | 455 ms | "
                   "79.6 ms |\n"));
    CHECK(contains(md, "| **all** | 6,015 | 86.27% | 826 |"));
    CHECK(contains(
        md,
        "### Latency distribution\n\n| Operation | p50 | p75 | p90 | p95 | p99 | p99.9 | max |\n"));
    CHECK(contains(
        md, "| send | 131 ms | 303 ms | 521 ms | 612 ms | 1,840 ms | 2,901 ms | 3,013 ms |\n"));
    // Only the kinds that happened.
    CHECK(contains(md, "| Kind | all | send | history |\n"));
    CHECK(contains(md, "| status\\_5xx | 826 | 826 | 0 |\n"));
    CHECK(contains(md, "| body matched `prisma` | 826 | 826 | 0 |\n"));
    CHECK_FALSE(contains(md, "| timeout |"));
    CHECK(contains(md, "No failed requests."));  // smoke
    CHECK(contains(md, "| Phase (mean) | all | send | history |\n"));
    CHECK(contains(md, "| waiting | 205 ms | 262 ms | 73.1 ms |\n"));
}

TEST_CASE("report.md shows backend health, backend metrics, hints and skipped stages") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    INFO(md);
    // Every field of the health answer, strings included.
    CHECK(contains(md, "| Health field | Before | After |\n"));
    CHECK(contains(md, "| `uptime_s` | 36 | 158 |\n"));
    CHECK(contains(md, "| `status` | ok | ok |\n"));
    CHECK(contains(md, "| `database.errors` | 0 | 37 |\n"));
    CHECK(contains(md, "| RSS | 51.3 MB | 68.8 MB |\n"));
    CHECK(contains(md, "| RSS peak | 70.1 MB |\n"));
    CHECK(contains(md, "| memory growth | 34.1% |\n"));
    CHECK(contains(md, "| health `/database/errors` | 37 |\n"));
    CHECK(contains(md, "### Root-cause hints\n\n- send.p95 rose 26x"));
    CHECK(contains(md, "database connection pool exhaustion (try DATABASE\\_POOL\\_SIZE)"));
    CHECK(contains(
        md, "## Stage 3: capacity (SKIPPED)\n\nNot run: skipped: stage \"load\" did not pass."));
    CHECK(contains(md, "## Recommendation\n\nStay at \"smoke\""));
}

TEST_CASE("report.md shows the backend log tail only when the run failed") {
    std::string failed = make_markdown_reporter()->render(samples::failed_run());
    // A log line holding ``` needs a longer fence.
    CHECK(contains(failed, "## Backend log (last 3 lines)\n\n````text\n"));
    CHECK(contains(failed, "ERROR ```query``` failed after 2000ms (pool size 10)\n````\n"));

    RunReport passing = samples::passing_run();
    passing.backend_log_tail = {"listening on 127.0.0.1:18080"};
    std::string md = make_markdown_reporter()->render(passing);
    CHECK_FALSE(contains(md, "Backend log"));
    CHECK(md.rfind("# chat-api progressive load: **PASS**\n", 0) == 0);
    CHECK(contains(md, "- **Stages passed:** 2 of 2\n"));
}

TEST_CASE("report.md tables keep their shape for every sample") {
    for (const RunReport& report : {samples::failed_run(), samples::passing_run(),
                                    samples::error_run(), samples::hostile_run()}) {
        std::string md = make_markdown_reporter()->render(report);
        INFO(md);
        CHECK_FALSE(check_tables(md).empty());
    }
}

TEST_CASE("names with pipes and markup are escaped in report.md") {
    std::string md = make_markdown_reporter()->render(samples::hostile_run());
    INFO(md);
    check_tables(md);
    CHECK(contains(
        md, "# evil \\<script\\>alert('x')\\</script\\> \\| pipe \\& \"quotes\": **FAIL**\n"));
    // The stage name in the stage table: pipe, tags and entity escaped, control chars gone.
    CHECK(contains(md, "| st\\|age \\<b\\>\\&amp; \"q\" 'a'  \\[31m\\`tick\\`\ufffd |"));
    CHECK(contains(md, "| op\\|x\\<\\&\\>\\` | 4,210 |"));
    CHECK(contains(md, "\\# not a heading \\| not a cell \\<i\\>x\\</i\\>"));
    CHECK_FALSE(contains(md, "<script>"));
    CHECK(contains(md,
                   "- \\<img src=x onerror=alert(1)\\> \\`\\`\\` \\| \\*bold\\* \\_u\\_ "
                   "\\[link\\](javascript:x)\n"));
    CHECK_FALSE(contains(md, "\x01"));
    CHECK_FALSE(contains(md, "\x1b"));
}

TEST_CASE("markdown escaping helpers") {
    CHECK(markdown::escape("a|b") == "a\\|b");
    CHECK(markdown::escape("# title") == "\\# title");
    CHECK(markdown::escape("- item") == "\\- item");
    CHECK(markdown::escape("1. first") == "1\\. first");
    CHECK(markdown::escape("1.5 ms") == "1.5 ms");
    CHECK(markdown::escape("-3") == "-3");
    CHECK(markdown::escape("---") == "\\---");
    CHECK(markdown::escape("#1 and ## two") == "#1 and ## two");
    CHECK(markdown::escape("    indented") == "indented");
    CHECK(markdown::escape("a\nb\tc") == "a b c");
    CHECK(markdown::escape("x_y*z") == "x\\_y\\*z");
    CHECK(markdown::code("a|b", true) == "`a\\|b`");
    CHECK(markdown::code("a|b", false) == "`a|b`");
    CHECK(markdown::code("has `tick`", false) == "`` has `tick` ``");
    CHECK(markdown::code("a `b` c", false) == "``a `b` c``");
    CHECK(markdown::code("`edge", false) == "`` `edge ``");
    CHECK(markdown::fenced_block({"plain"}) == "```text\nplain\n```\n");
    CHECK(markdown::fenced_block({"``` inside"}) == "````text\n``` inside\n````\n");
}

TEST_CASE("report.md renders as GitHub-flavoured Markdown with real tables") {
    if (!testing::have_tool("cmark-gfm")) {
        WARN("cmark-gfm not installed: GFM rendering check skipped");
        return;
    }
    testing::TempDir dir;
    for (const RunReport& report : {samples::failed_run(), samples::hostile_run()}) {
        std::string md = make_markdown_reporter()->render(report);
        std::vector<TableShape> tables = check_tables(md);
        auto file = dir.path() / "report.md";
        testing::write_text(file, md);
        auto html =
            testing::run_command("cmark-gfm -e table " + testing::shell_quote(file.string()));
        REQUIRE(html.exit_code == 0);
        INFO(html.output);
        int rows = 0;
        for (const auto& t : tables) {
            rows += t.rows + 1;  // header row too
        }
        CHECK(count(html.output, "<table>") == tables.size());
        CHECK(count(html.output, "<tr>") == static_cast<std::size_t>(rows));
        // Nothing from the run was taken as raw HTML (cmark-gfm omits it by default).
        CHECK_FALSE(contains(html.output, "raw HTML omitted"));
        CHECK_FALSE(contains(html.output, "<script"));
        CHECK_FALSE(contains(html.output, "<img"));
        CHECK_FALSE(contains(html.output, "href=\"javascript"));
    }
}

TEST_CASE("report.md estimates concurrency per operation from Little's law") {
    std::string md = make_markdown_reporter()->render(samples::failed_run());
    CHECK_THAT(md, Catch::Contains("### Estimated concurrency (Little's law)\n\n| Operation | RPS "
                                   "| Mean latency | In flight (est.) |"));
    // smoke: 1,500 requests in 30.01 s at a mean of 13.1 ms -> 0.65 in flight.
    CHECK_THAT(md, Catch::Contains("| **all** | 50.0/s | 13.1 ms | 0.65 |"));
    CHECK_THAT(md, Catch::Contains("against a configured load of 5 VUs"));
}

TEST_CASE("report.md of the stored failed run matches its reviewed golden file") {
    // tests/fixtures/golden/failed-run.report.md was read for wording; regenerate it with
    // STAGEGATE_UPDATE_GOLDEN=1 and review the diff.
    auto path = std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "results" / "failed-run.json";
    auto report = run_report_from_json(nlohmann::json::parse(testing::slurp(path)));
    REQUIRE(report);
    std::string md = make_markdown_reporter()->render_redacted(*report);
    CHECK(testing::matches_golden("failed-run.report.md", md));
    // What a reader needs from report.md alone.
    CHECK(contains(md, "## Failed criteria"));
    CHECK(contains(md,
                   "load FAIL: 5 of 8 criteria met; success rate 86.3% (target \\> 99%, "
                   "12.7 percentage points short); send p95 612 ms (target \\< 250 ms, 362 ms "
                   "over)"));
    CHECK(contains(md, "smoke passed 8/8 criteria; send p95 23.7 ms is 9.48% of its 250 ms limit"));
    CHECK(contains(md, "| send | 70% | 69.99% | 4,210 |"));
    CHECK(contains(md, "| `database.overall` | healthy | healthy |"));
    CHECK(contains(md, "#### Failure samples"));
    CHECK(contains(md, "| Server errors (5xx) | **seen** |"));
    CHECK(contains(md, "| Backend crashed | not seen |"));
    CHECK(contains(md, "### Next stage: capacity"));
    CHECK(contains(md, "**not worth running yet**"));
}

TEST_CASE("report.md's failed criteria say where each is written in the pipeline") {
    RunReport report = samples::failed_run();
    report.pipeline_file = "pipelines/chat.yaml";
    bool placed = false;
    for (auto& stage : report.stages) {
        for (auto& r : stage.criteria) {
            if (!r.pass && !placed) {
                r.criterion.line = 14;
                r.criterion.column = 11;
                placed = true;
            }
        }
    }
    REQUIRE(placed);
    std::string md = make_markdown_reporter()->render(report);
    // The step summary is this file: a failed criterion points at its line, one without a
    // known place gets a dash.
    CHECK(contains(md, "| Stage | Criterion | Target | Actual | Distance | Where |"));
    CHECK(contains(md, "pipelines/chat.yaml:14:11 |"));
    CHECK(contains(md, "| \u2014 |"));
}
