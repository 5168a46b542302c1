// The console a person watches: live progress redrawn in place on a TTY, a plain line every
// 10 s without one (CI logs), nothing with --no-progress, and no colour codes unless asked.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "cli/console.hpp"

using namespace orch;
using namespace orch::cli;

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
