// The console a person watches: live progress redrawn in place on a TTY, a plain line every
// 10 s without one (CI logs), nothing with --no-progress, and no colour codes unless asked.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "../reporters/sample_reports.hpp"
#include "../reporters/test_files.hpp"
#include "cli/console.hpp"
#include "report/report_format.hpp"

using namespace orch;
using namespace orch::cli;
using orch::testing::matches_golden;

namespace {

StageSpec stage_named(const std::string& name) {
    StageSpec stage;
    stage.name = name;
    stage.vus = 5;
    stage.duration = std::chrono::seconds(30);
    return stage;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

/// Progress for seconds 1..30 of `stage` through a listener in `mode`.
std::string run_progress(ProgressMode mode, const StageSpec& stage) {
    std::ostringstream out;
    ConsoleListener console(out, mode, false);
    console.on_stage_start(stage, 0, 1);
    for (int s = 1; s <= 30; ++s) {
        console.on_progress(stage, s, 5, Snapshot{});
    }
    return out.str();
}

}  // namespace

TEST_CASE("console: a TTY gets the progress line redrawn in place every second") {
    std::string out = run_progress(ProgressMode::redraw, stage_named("smoke"));
    CHECK(count_of(out, "\r\033[2K") == 30);
    CHECK(out.find("smoke") != std::string::npos);
    CHECK(out.find("30s/30s") != std::string::npos);
    CHECK(out.find("vus 5") != std::string::npos);
}

TEST_CASE("console: the progress line rounds to 3 significant digits, latency with its unit") {
    std::ostringstream out;
    ConsoleListener console(out, ProgressMode::redraw, false);
    Snapshot so_far;
    so_far.set("rps", 1234.5678);
    so_far.set("p95", 0.58123);
    so_far.set("errors", 12345);
    console.on_progress(stage_named("smoke"), 5, 5, so_far);
    CHECK(out.str().find("rps 1,230  p95 581 \u00b5s  errors 12,345") != std::string::npos);
}

TEST_CASE("console: without a TTY a plain progress line every 10 s, each stage anew") {
    std::ostringstream out;
    ConsoleListener console(out, ProgressMode::periodic, false);
    for (const char* name : {"smoke", "load"}) {
        StageSpec stage = stage_named(name);
        console.on_stage_start(stage, 0, 2);
        for (int s = 1; s <= 30; ++s) {
            console.on_progress(stage, s, 5, Snapshot{});
        }
    }
    std::string text = out.str();
    CHECK(text.find('\r') == std::string::npos);
    CHECK(count_of(text, "stagegate: smoke") == 3);  // at 10, 20 and 30 s
    CHECK(count_of(text, "stagegate: load") == 3);
}

TEST_CASE("console: --no-progress prints no progress, and no colour unless asked") {
    std::string out = run_progress(ProgressMode::off, stage_named("smoke"));
    CHECK(out.find("vus 5") == std::string::npos);
    CHECK(out.find("stage 1/1") != std::string::npos);
    CHECK(out.find('\033') == std::string::npos);
    CHECK(verdict_text(Verdict::pass, false) == "PASS");
    CHECK(verdict_text(Verdict::fail, true).find('\033') != std::string::npos);
}

TEST_CASE("console: the stage start line shows the ramps") {
    std::ostringstream out;
    ConsoleListener console(out, ProgressMode::off, false);
    StageSpec open = stage_named("open");
    open.vus = 0;
    open.rate = RateSpec{10, 40};
    console.on_stage_start(open, 0, 2);
    StageSpec closed = stage_named("closed");
    closed.vus = 20;
    closed.ramp_up = std::chrono::seconds(2);
    closed.ramp_down = std::chrono::milliseconds(500);
    console.on_stage_start(closed, 1, 2);
    std::string text = out.str();
    CHECK(text.find("stage 1/2 \"open\": 10/s..40/s for ") != std::string::npos);
    CHECK(text.find("stage 2/2 \"closed\": 20 VUs (ramp up 2s, down 500ms) for ") !=
          std::string::npos);
}

// The end of a run as a person reads it: each missed criterion once, in one block, with
// rounded numbers and how far off in the criterion's unit; the stage lines do not repeat them.
TEST_CASE("console: every failure once, in one block at the end, rounded with units") {
    RunReport report = samples::failed_run();
    std::ostringstream out;
    ConsoleListener console(out, ProgressMode::off, false);
    for (const auto& stage : report.stages) {
        console.on_stage_end(stage);
    }
    print_summary(out, report, false);
    std::string text = out.str();
    INFO(text);
    // The two misses appear once each: in the block, not in the stage or verdict lines.
    CHECK(count_of(text, "success_rate > 99%") == 1);
    CHECK(count_of(text, "send.p95 < 250ms") == 1);
    CHECK(text.find("failures (2), warnings (1):") != std::string::npos);
    CHECK(text.find("12.7 percentage points short") != std::string::npos);
    CHECK(text.find("362 ms over") != std::string::npos);
    CHECK(text.find("86.3%") != std::string::npos);
    CHECK(text.find("86.26766") == std::string::npos);  // nothing unrounded
    CHECK(text.find("stage \"load\" FAIL: 5 of 8 criteria met; 6,015 requests, 50.1/s, p95 "
                    "590 ms (the misses are listed at the end)") != std::string::npos);
    CHECK(text.find("verdict: FAIL (exit 1): stage \"load\": 2 of 8 fail criteria missed "
                    "(listed above)") != std::string::npos);
    // Latency in the table: 3 significant digits, ms below 1 s, s above.
    CHECK(text.find("1.79 s") != std::string::npos);
    CHECK(text.find("27.9 ms") != std::string::npos);
    CHECK(matches_golden("failed-run.console.txt", text));
}

TEST_CASE("console: a passing run prints no failure block") {
    std::ostringstream out;
    print_summary(out, samples::passing_run(), false);
    CHECK(out.str().find("failures") == std::string::npos);
    CHECK(out.str().find("verdict: PASS (exit 0)") != std::string::npos);
}

TEST_CASE("console: a cooldown counts down on one redrawn line on a TTY, nothing otherwise") {
    for (auto mode : {ProgressMode::redraw, ProgressMode::periodic, ProgressMode::off}) {
        std::ostringstream out;
        ConsoleListener console(out, mode, false);
        for (double left : {3.0, 2.0, 1.0, 0.0}) {
            console.on_cooldown("load", left, 3.0);
        }
        std::string text = out.str();
        if (mode == ProgressMode::redraw) {
            CHECK(text.find("cooldown before \"load\": 3s left") != std::string::npos);
            CHECK(text.find("cooldown before \"load\": 1s left") != std::string::npos);
            CHECK(text.find('\n') == std::string::npos);  // one line, redrawn
            CHECK(text.size() >= 5);
            CHECK(text.substr(text.size() - 5) == "\r\033[2K");  // cleared at the end
        } else {
            CHECK(text.empty());
        }
    }
}

TEST_CASE("console: latency reads in µs below 1 ms, ms below 1 s, s above, 3 digits") {
    CHECK(format_latency(0.04217) == "42.2 \u00b5s");
    CHECK(format_latency(0.5) == "500 \u00b5s");
    CHECK(format_latency(612.44) == "612 ms");
    CHECK(format_latency(23.75) == "23.8 ms");
    CHECK(format_latency(999.7) == "1 s");
    CHECK(format_latency(1790.5) == "1.79 s");
    CHECK(format_latency(125000) == "125 s");
    CHECK(format_significant(86.26766) == "86.3");
    CHECK(format_significant(6015) == "6,020");
}
