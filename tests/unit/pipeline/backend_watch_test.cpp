// health_failure_in_words: what a stage's reason says about a failed health check.
#include "pipeline/backend_watch.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace orch;

TEST_CASE("a failed health check in words names the status and the body's status field",
          "[backend_watch]") {
    HealthAnswer answer;
    answer.status = 503;
    answer.json = nlohmann::json{{"status", "degraded"}, {"uptime_s", 4}};
    answer.problem = "status 503 (expected 200)";
    CHECK(health_failure_in_words(answer) == "status 503, body status \"degraded\"");

    answer.status = 200;
    answer.problem = "/database/overall is \"unhealthy\" (expected \"healthy\")";
    CHECK(health_failure_in_words(answer) ==
          "status 200, body status \"degraded\": /database/overall is \"unhealthy\" (expected "
          "\"healthy\")");

    HealthAnswer refused;
    refused.error = refused.problem = "connection refused";
    CHECK(health_failure_in_words(refused) == "connection refused");
    CHECK(health_failure_in_words(HealthAnswer{}) == "no answer");
}
