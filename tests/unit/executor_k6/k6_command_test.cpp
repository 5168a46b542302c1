#include "plugins/executors/k6/k6_command.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "k6_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

std::string env_of(const K6Command& command, const std::string& name) {
    for (const auto& [key, value] : command.env) {
        if (key == name) {
            return value;
        }
    }
    return "<unset>";
}

}  // namespace

TEST_CASE("closed model: --vus and --duration, artifacts, script last") {
    Pipeline pipeline = test::k6_pipeline();
    StageSpec stage = test::closed_stage("smoke", 5, 30s);
    K6Command command = build_k6_command(pipeline, stage, "/usr/bin/k6", "/p/load/chat.js", "/out");
    CHECK(command.argv == std::vector<std::string>{
                              "/usr/bin/k6", "run", "--vus", "5", "--duration", "30s",
                              "--summary-export", "/out/k6-smoke-summary.json", "--out",
                              "json=/out/k6-smoke.ndjson", "--no-usage-report", "/p/load/chat.js"});
    CHECK(command.summary_export == "/out/k6-smoke-summary.json");
    CHECK(command.ndjson == "/out/k6-smoke.ndjson");
    CHECK(command.log == "/out/k6-smoke.log");
}

TEST_CASE("durations use Go's units, which k6 parses") {
    Pipeline pipeline = test::k6_pipeline();
    StageSpec stage = test::closed_stage("s", 1, 90s);
    CHECK(build_k6_command(pipeline, stage, "k6", "x.js", "/o").argv[5] == "1m30s");
    stage.duration = 1500ms;
    CHECK(build_k6_command(pipeline, stage, "k6", "x.js", "/o").argv[5] == "1.5s");
    stage.duration = 250ms;
    CHECK(build_k6_command(pipeline, stage, "k6", "x.js", "/o").argv[5] == "250ms");
}

TEST_CASE("ramps become --stage steps that fit inside the stage's duration") {
    Pipeline pipeline = test::k6_pipeline();
    StageSpec stage = test::closed_stage("load", 20, 2min);
    stage.ramp_up = 10s;
    K6Command up = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
    CHECK(up.argv ==
          std::vector<std::string>{"k6", "run", "--stage", "10s:20", "--stage", "1m50s:20",
                                   "--summary-export", "/o/k6-load-summary.json", "--out",
                                   "json=/o/k6-load.ndjson", "--no-usage-report", "x.js"});
    stage.ramp_down = 20s;
    K6Command both = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
    CHECK(std::vector<std::string>(both.argv.begin() + 2, both.argv.begin() + 8) ==
          std::vector<std::string>{"--stage", "10s:20", "--stage", "1m30s:20", "--stage", "20s:0"});
    stage.ramp_up = 1min;
    stage.ramp_down = 1min;  // no time left to hold
    K6Command no_hold = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
    CHECK(std::vector<std::string>(no_hold.argv.begin() + 2, no_hold.argv.begin() + 6) ==
          std::vector<std::string>{"--stage", "1m:20", "--stage", "1m:0"});
}

TEST_CASE("open model: no load flags, the rate goes through the environment") {
    Pipeline pipeline = test::k6_pipeline();
    StageSpec stage;
    stage.name = "capacity";
    stage.rate = RateSpec{50, 500};
    stage.max_vus = 200;
    stage.duration = 2min;
    K6Command command = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
    CHECK(command.argv == std::vector<std::string>{
                              "k6", "run", "--summary-export", "/o/k6-capacity-summary.json",
                              "--out", "json=/o/k6-capacity.ndjson", "--no-usage-report", "x.js"});
    CHECK(env_of(command, "STAGEGATE_RATE") == "50");
    CHECK(env_of(command, "STAGEGATE_RATE_TO") == "500");
    CHECK(env_of(command, "STAGEGATE_VUS") == "200");
    CHECK(env_of(command, "STAGEGATE_MAX_VUS") == "200");
    CHECK(env_of(command, "STAGEGATE_DURATION_S") == "120");
}

TEST_CASE("extra_args go after stagegate's flags and before the script") {
    Pipeline pipeline = test::k6_pipeline();
    test::edit_k6(pipeline, [](K6Config& k6) {
        k6.extra_args = {"--tag", "team=chat", "--no-thresholds"};
    });
    K6Command command =
        build_k6_command(pipeline, test::closed_stage("smoke", 2, 3s), "k6", "x.js", "/o");
    REQUIRE(command.argv.size() == 15);
    CHECK(std::vector<std::string>(command.argv.end() - 4, command.argv.end()) ==
          std::vector<std::string>{"--tag", "team=chat", "--no-thresholds", "x.js"});
}

TEST_CASE("the stage is described in STAGEGATE_* variables and BASE_URL") {
    Pipeline pipeline = test::k6_pipeline();
    pipeline.target.timeout = 2500ms;
    StageSpec stage = test::closed_stage("smoke", 5, 500ms);
    stage.ramp_up = 250ms;
    K6Command command = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
    CHECK(env_of(command, "STAGEGATE_STAGE") == "smoke");
    CHECK(env_of(command, "STAGEGATE_VUS") == "5");
    CHECK(env_of(command, "STAGEGATE_RATE") == "0");
    CHECK(env_of(command, "STAGEGATE_DURATION_S") == "0.5");
    CHECK(env_of(command, "STAGEGATE_RAMP_UP_S") == "0.25");
    CHECK(env_of(command, "STAGEGATE_TIMEOUT_S") == "2.5");
    CHECK(env_of(command, "STAGEGATE_BASE_URL") == "http://127.0.0.1:3311");
    CHECK(env_of(command, "BASE_URL") == "http://127.0.0.1:3311");
}

TEST_CASE("k6 is always told not to send usage reports, by flag and by environment") {
    Pipeline pipeline = test::k6_pipeline();
    test::edit_k6(pipeline, [](K6Config& k6) { k6.extra_args = {"--tag", "team=chat"}; });
    for (const StageSpec& stage :
         {test::closed_stage("smoke", 2, 3s), test::closed_stage("load", 4, 10s)}) {
        K6Command command = build_k6_command(pipeline, stage, "k6", "x.js", "/o");
        CHECK(std::count(command.argv.begin(), command.argv.end(), "--no-usage-report") == 1);
        // A run flag: before the script, which k6 takes as the end of its options.
        CHECK(std::find(command.argv.begin(), command.argv.end(), "--no-usage-report") <
              command.argv.end() - 1);
        CHECK(env_of(command, "K6_NO_USAGE_REPORT") == "true");
    }
    StageSpec open;
    open.name = "capacity";
    open.rate = RateSpec{50, 50};
    open.max_vus = 10;
    open.duration = 10s;
    K6Command command = build_k6_command(pipeline, open, "k6", "x.js", "/o");
    CHECK(std::count(command.argv.begin(), command.argv.end(), "--no-usage-report") == 1);
    CHECK(env_of(command, "K6_NO_USAGE_REPORT") == "true");
}
