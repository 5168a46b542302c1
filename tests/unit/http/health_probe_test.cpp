// probe_health against the real demo backend and a raw test server on 127.0.0.1:
// readiness verdicts, problems in words, transport errors, headers actually sent.
#include "http/health_probe.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/redact.hpp"
#include "http_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;
using orch::test::DemoBackend;
using orch::test::http_response;
using orch::test::Listener;
using orch::test::RawHttpServer;

namespace {

TargetSpec target_at(const std::string& base_url) {
    TargetSpec target;
    target.base_url = base_url;
    return target;
}

HealthSpec expect_status_ok() {
    HealthSpec health;
    health.expect_json = {{"/status", nlohmann::json("ok")}};
    return health;
}

Template constant(const std::string& text) {
    Template value;
    value.source = text;
    value.segments.push_back(Template::Segment{text, -1, {}});
    return value;
}

}  // namespace

TEST_CASE("health_url joins base_url and a relative url; keeps an absolute one", "[health]") {
    HealthSpec health;
    CHECK(health_url(target_at("http://127.0.0.1:8080"), health) == "http://127.0.0.1:8080/health");
    health.url = "status/ready";
    CHECK(health_url(target_at("http://h:1/api/"), health) == "http://h:1/api/status/ready");
    health.url = "https://other:9/hz";
    CHECK(health_url(target_at("http://h:1"), health) == "https://other:9/hz");
}

TEST_CASE("json_number_at", "[health]") {
    auto json = nlohmann::json::parse(R"({"memory":{"rss":1048576},"status":"ok","n":[1,2.5]})");
    CHECK(json_number_at(json, "/memory/rss") == 1048576.0);
    CHECK(json_number_at(json, "/n/1") == 2.5);
    CHECK_FALSE(json_number_at(json, "/status"));
    CHECK_FALSE(json_number_at(json, "/missing"));
    CHECK_FALSE(json_number_at(json, "no-slash"));
    CHECK_FALSE(json_number_at(nlohmann::json(nullptr), "/x"));
}

TEST_CASE("the demo backend is healthy", "[health][demo]") {
    DemoBackend backend;
    REQUIRE(backend.wait_listening());
    auto target = target_at(backend.base_url());
    auto health = expect_status_ok();
    auto answer = probe_health(health_url(target, health), target, health, 2s);
    INFO(answer.problem);
    CHECK(answer.healthy);
    CHECK(answer.status == 200);
    CHECK(answer.error.empty());
    CHECK(answer.problem.empty());
    CHECK(answer.json->at("status") == "ok");
    CHECK(json_number_at(*answer.json, "/memory/rss").value_or(0) > 0);
    CHECK(answer.elapsed_ms > 0);
}

TEST_CASE("an unhealthy demo backend: status and expect_json problems in words", "[health][demo]") {
    DemoBackend backend(DemoBackend::Env{{"FAULT_UNHEALTHY_AFTER_S", "0"}});
    REQUIRE(backend.wait_listening());
    auto target = target_at(backend.base_url());
    auto health = expect_status_ok();
    SECTION("status and body both wrong") {
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK_FALSE(answer.healthy);
        CHECK(answer.status == 503);
        CHECK(answer.error.empty());
        CHECK(answer.problem ==
              "status 503 (expected 200); /status is \"degraded\" (expected \"ok\")");
    }
    SECTION("only the body wrong") {
        health.expect_status = 503;
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK_FALSE(answer.healthy);
        CHECK(answer.problem == "/status is \"degraded\" (expected \"ok\")");
    }
    SECTION("a missing pointer") {
        health.expect_status = 503;
        health.expect_json = {{"/no/such", nlohmann::json("x")}};
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK(answer.problem == "/no/such is missing (expected \"x\")");
    }
}

TEST_CASE("connection refused on a free port", "[health]") {
    auto target = target_at("http://127.0.0.1:" + std::to_string(orch::test::free_port()));
    HealthSpec health;
    auto answer = probe_health(health_url(target, health), target, health, 2s);
    CHECK_FALSE(answer.healthy);
    CHECK(answer.status == 0);
    CHECK(answer.error == "connection refused");
    CHECK(answer.problem == "connection refused");
    CHECK(answer.json->is_null());
}

TEST_CASE("a server that accepts and never answers times out", "[health]") {
    Listener silent;  // the kernel completes the handshake; nobody ever reads or answers
    auto target = target_at("http://127.0.0.1:" + std::to_string(silent.port()));
    HealthSpec health;
    auto started = std::chrono::steady_clock::now();
    auto answer = probe_health(health_url(target, health), target, health, 300ms);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK_FALSE(answer.healthy);
    CHECK(answer.error == "timed out after 300ms");
}

TEST_CASE("a stop request aborts a hanging probe", "[health]") {
    Listener silent;
    auto target = target_at("http://127.0.0.1:" + std::to_string(silent.port()));
    HealthSpec health;
    std::stop_source stop;
    std::thread stopper([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    auto started = std::chrono::steady_clock::now();
    auto answer = probe_health(health_url(target, health), target, health, 20s, stop.get_token());
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(answer.error == "interrupted");
}

TEST_CASE("constant target headers are sent, templated ones skipped", "[health]") {
    RawHttpServer server(http_response(200, R"({"status":"ok"})"));
    auto target = target_at(server.base_url());
    target.headers.push_back(Header{"Authorization", constant("Bearer abc123")});
    Template templated;
    templated.segments = {Template::Segment{"user-", -1, {}}, Template::Segment{"", 0, {}}};
    target.headers.push_back(Header{"X-User", templated});
    auto health = expect_status_ok();
    auto answer = probe_health(health_url(target, health), target, health, 2s);
    CHECK(answer.healthy);
    auto requests = server.requests();
    REQUIRE(requests.size() == 1);
    CHECK_THAT(requests[0], Catch::StartsWith("GET /health HTTP/1.1\r\n"));
    CHECK_THAT(requests[0], Catch::Contains("\r\nAuthorization: Bearer abc123\r\n"));
    CHECK_THAT(requests[0], !Catch::Contains("X-User"));
}

TEST_CASE("answers the demo backend never gives", "[health]") {
    HealthSpec health = expect_status_ok();
    SECTION("a body that is not JSON") {
        RawHttpServer server(http_response(200, "OK", "text/plain"));
        auto target = target_at(server.base_url());
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK_FALSE(answer.healthy);
        CHECK(answer.body == "OK");
        CHECK(answer.json->is_null());
        CHECK(answer.problem == "body is not JSON (expected /status = \"ok\")");
    }
    SECTION("no expect_json: the status alone decides") {
        health.expect_json.clear();
        RawHttpServer server(http_response(200, "fine", "text/plain"));
        auto target = target_at(server.base_url());
        CHECK(probe_health(health_url(target, health), target, health, 2s).healthy);
    }
    SECTION("a number expected as YAML text matches a JSON number") {
        health.expect_json = {{"/db/errors", nlohmann::json("0")},
                              {"/ready", nlohmann::json(true)}};
        RawHttpServer server(http_response(200, R"({"db":{"errors":0},"ready":true})"));
        auto target = target_at(server.base_url());
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        INFO(answer.problem);
        CHECK(answer.healthy);
    }
    SECTION("a body over 64 KiB is cut, the answer still counts") {
        health.expect_json.clear();
        RawHttpServer server(http_response(200, std::string(200 * 1024, 'x'), "text/plain"));
        auto target = target_at(server.base_url());
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK(answer.healthy);
        CHECK(answer.body.size() == 64 * 1024);
    }
    SECTION("the connection closes without an answer") {
        RawHttpServer server("");
        auto target = target_at(server.base_url());
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK(answer.error == "connection closed without a response");
    }
    SECTION("problems are redacted") {
        register_secret("leaked-secret-value");
        RawHttpServer server(http_response(200, R"({"status":"leaked-secret-value"})"));
        auto target = target_at(server.base_url());
        auto answer = probe_health(health_url(target, health), target, health, 2s);
        CHECK(answer.problem == "/status is \"***\" (expected \"ok\")");
        clear_secrets_for_testing();
    }
}
