#include "plugins/executors/command/command_env.hpp"

#include <catch2/catch.hpp>

#include "command_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;

TEST_CASE("closed model: the stage's load in STAGEGATE_* variables") {
    Pipeline pipeline = test::command_pipeline({"tool"});
    StageSpec stage = test::closed_stage("smoke", 4, 2500ms);
    stage.ramp_up = 500ms;
    auto env = command_environment(pipeline, stage, "/out/command-smoke-result.json", "/out");
    CHECK(env == std::vector<std::pair<std::string, std::string>>{
                     {"STAGEGATE_STAGE", "smoke"},
                     {"STAGEGATE_VUS", "4"},
                     {"STAGEGATE_MAX_VUS", "4"},
                     {"STAGEGATE_RATE", "0"},
                     {"STAGEGATE_RATE_TO", "0"},
                     {"STAGEGATE_DURATION_S", "2.5"},
                     {"STAGEGATE_RAMP_UP_S", "0.5"},
                     {"STAGEGATE_TIMEOUT_S", "10"},
                     {"STAGEGATE_BASE_URL", "http://127.0.0.1:3311"},
                     {"STAGEGATE_RESULT_FILE", "/out/command-smoke-result.json"},
                     {"STAGEGATE_OUT_DIR", "/out"},
                 });
}

TEST_CASE("open model: rate, ramp end and max_vus") {
    Pipeline pipeline = test::command_pipeline({"tool"});
    StageSpec stage;
    stage.name = "capacity";
    stage.rate = RateSpec{12.5, 200};
    stage.max_vus = 64;
    stage.duration = 2min;
    auto env = command_environment(pipeline, stage, "/r.json", "/out");
    auto value = [&](const std::string& name) {
        for (const auto& [key, v] : env) {
            if (key == name) {
                return v;
            }
        }
        return std::string("<unset>");
    };
    CHECK(value("STAGEGATE_RATE") == "12.5");
    CHECK(value("STAGEGATE_RATE_TO") == "200");
    CHECK(value("STAGEGATE_VUS") == "64");
    CHECK(value("STAGEGATE_DURATION_S") == "120");
}
