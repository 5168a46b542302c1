// parse_prom_answer: Prometheus' query API answers (as its documentation shows them and as
// Debian's prometheus writes them) turned into series, and every unusable answer into an
// error that says why. The live server is exercised by tests/e2e/run_prom_criteria.sh.
#include <cmath>

#include <catch2/catch.hpp>

#include "http/prometheus_client.hpp"

using namespace orch;

namespace {

const std::string k_what = "Prometheus at http://127.0.0.1:9090";

std::vector<PromSeries> ok(long status, std::string_view body) {
    auto parsed = parse_prom_answer(status, body, k_what);
    INFO("body: " << body);
    if (!parsed) {
        INFO("error: " << parsed.error().message);
        FAIL("expected the answer to parse");
    }
    return *parsed;
}

std::string error_of(long status, std::string_view body) {
    auto parsed = parse_prom_answer(status, body, k_what);
    INFO("body: " << body);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == ErrorCode::infrastructure);
    return parsed.error().message;
}

}  // namespace

TEST_CASE("a vector gives one series per element, labels as PromQL writes them") {
    auto series = ok(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"api"},"value":[1700000000.5,"1"]},
        {"metric":{"code":"500"},"value":[1700000000.5,"0.25"]}]}})");
    REQUIRE(series.size() == 2);
    CHECK(series[0].labels == R"(up{job="api"})");
    REQUIRE(series[0].points.size() == 1);
    CHECK(series[0].points[0].first == 1700000000.5);
    CHECK(series[0].points[0].second == 1);
    CHECK(series[1].labels == R"({code="500"})");
    CHECK(series[1].points[0].second == 0.25);
}

TEST_CASE("an empty vector is no series; a scalar is one; NaN and Inf are kept") {
    CHECK(ok(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})").empty());
    auto scalar =
        ok(200, R"({"status":"success","data":{"resultType":"scalar","result":[1.5,"NaN"]}})");
    REQUIRE(scalar.size() == 1);
    CHECK(scalar[0].labels == "{}");
    CHECK(std::isnan(scalar[0].points[0].second));
    auto inf = ok(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{},"value":[1,"+Inf"]}]}})");
    CHECK(std::isinf(inf[0].points[0].second));
}

TEST_CASE("a matrix gives every point of every series") {
    auto series = ok(200, R"({"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{},"values":[[10,"0.1"],[20,"0.2"],[30,"0.3"]]}]}})");
    REQUIRE(series.size() == 1);
    REQUIRE(series[0].points.size() == 3);
    CHECK(series[0].points[2].first == 30);
    CHECK(series[0].points[2].second == Approx(0.3));
}

TEST_CASE("Prometheus' own error message is reported") {
    std::string message = error_of(
        400,
        R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""})");
    CHECK_THAT(message, Catch::Contains("rejected the query (HTTP 400, bad_data)") &&
                            Catch::Contains("1:5: parse error: unexpected \")\""));
}

TEST_CASE("answers that are not the query API's JSON are errors naming the status") {
    CHECK_THAT(error_of(404, "404 page not found"),
               Catch::Contains("answered HTTP 404 without Prometheus' API JSON") &&
                   Catch::Contains("404 page not found"));
    CHECK_THAT(
        error_of(200, R"({"status":"success","data":{"resultType":"string","result":[1,"a"]}})"),
        Catch::Contains("answered a string, not a number"));
    CHECK_THAT(error_of(200, R"({"status":"success"})"), Catch::Contains("without data.result"));
    CHECK_THAT(error_of(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{},"value":[1,2]}]}})"),
               Catch::Contains("malformed vector"));
    CHECK_THAT(error_of(200, R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{},"value":[1,"12abc"]}]}})"),
               Catch::Contains("malformed vector"));
}
