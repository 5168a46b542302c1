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

TEST_CASE("target.tls reaches the tool as environment") {
    Pipeline pipeline = test::command_pipeline({"tool"});
    StageSpec stage = test::closed_stage("smoke", 1, 1000ms);
    auto plain = command_environment(pipeline, stage, "/r.json", "/out");
    pipeline.target.tls.ca_file = "/pki/ca.pem";
    pipeline.target.tls.client_cert = "/pki/client.pem";
    pipeline.target.tls.client_key = "/pki/client.key";
    pipeline.target.tls.client_key_password = "do-not-export";
    pipeline.target.tls.server_name = "api.internal";
    pipeline.target.insecure = true;
    auto env = command_environment(pipeline, stage, "/r.json", "/out");
    REQUIRE(env.size() > plain.size());
    auto value = [&](const std::string& name) -> std::string {
        for (const auto& [key, v] : env) {
            if (key == name) {
                return v;
            }
        }
        return "(unset)";
    };
    CHECK(value("SSL_CERT_FILE") == "/pki/ca.pem");
    CHECK(value("CURL_CA_BUNDLE") == "/pki/ca.pem");
    CHECK(value("STAGEGATE_TLS_CA_FILE") == "/pki/ca.pem");
    CHECK(value("STAGEGATE_TLS_CLIENT_CERT") == "/pki/client.pem");
    CHECK(value("STAGEGATE_TLS_CLIENT_KEY") == "/pki/client.key");
    CHECK(value("STAGEGATE_TLS_SERVER_NAME") == "api.internal");
    CHECK(value("STAGEGATE_TLS_INSECURE") == "true");
    CHECK(value("SSL_CERT_DIR") == "(unset)");
    for (const auto& [key, v] : env) {
        CHECK(v.find("do-not-export") == std::string::npos);
    }
}
