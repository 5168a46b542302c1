#include <catch2/catch.hpp>

#include "plugins/executors/builtin/response_check.hpp"

using orch::ErrorKind;
using namespace orch::builtin;

TEST_CASE("response check: status classes outside expect.status") {
    CHECK(status_error({}, 200) == ErrorKind::none);
    CHECK(status_error({}, 302) == ErrorKind::none);
    CHECK(status_error({}, 404) == ErrorKind::status_4xx);
    CHECK(status_error({}, 429) == ErrorKind::status_429);
    CHECK(status_error({}, 503) == ErrorKind::status_5xx);
    CHECK(status_error({}, 101) == ErrorKind::expect);
    CHECK(status_error({201}, 200) == ErrorKind::expect);
    CHECK(status_error({200, 404}, 404) == ErrorKind::none);
    CHECK(status_error({200}, 500) == ErrorKind::status_5xx);
}

TEST_CASE("response check: JSON, header, body expectations fail as expect") {
    CompiledRequest request;
    request.allowed_status = {200};
    request.expect_json.emplace_back(nlohmann::json::json_pointer("/status"), "ok");
    request.expect_json.emplace_back(nlohmann::json::json_pointer("/n"), "3");
    request.expect_headers.emplace_back("content-type", "application/json");
    request.body_contains = "status";
    request.body_regex = std::regex("\"n\":\\s*3");
    std::string body = R"({"status":"ok","n":3})";
    std::string headers = "HTTP/1.1 200 OK\r\nContent-Type:  application/json \r\n\r\n";
    auto json = nlohmann::json::parse(body);
    CHECK(judge_response(request, 200, body, headers, &json) == ErrorKind::none);
    CHECK(judge_response(request, 500, body, headers, &json) == ErrorKind::status_5xx);

    auto degraded = nlohmann::json::parse(R"({"status":"degraded","n":3})");
    CHECK(judge_response(request, 200, body, headers, &degraded) == ErrorKind::expect);
    auto not_json = nlohmann::json::parse("<html>", nullptr, false);
    CHECK(judge_response(request, 200, "<html>", headers, &not_json) == ErrorKind::expect);
    CHECK(judge_response(request, 200, body, "HTTP/1.1 200 OK\r\n\r\n", &json) ==
          ErrorKind::expect);

    CompiledRequest contains;
    contains.body_contains = "needle";
    CHECK(judge_response(contains, 200, "hay needle hay", "", nullptr) == ErrorKind::none);
    CHECK(judge_response(contains, 200, "hay", "", nullptr) == ErrorKind::expect);
}

TEST_CASE("response check: body patterns set one bit each") {
    std::vector<std::regex> patterns{std::regex("Prisma|Invalid `prisma"), std::regex("timeout"),
                                     std::regex("ECONN")};
    CHECK(match_body_patterns(patterns, "Invalid `prisma.message.create()` ECONNRESET") == 0b101);
    CHECK(match_body_patterns(patterns, "fine") == 0);
}

TEST_CASE("response check: captured values are strings unquoted, null and absent empty") {
    auto json = nlohmann::json::parse(R"({"id":"42","n":7,"cursor":null,"o":{"a":[1,2]}})");
    std::string out = "old";
    capture_value(json, nlohmann::json::json_pointer("/id"), out);
    CHECK(out == "42");
    capture_value(json, nlohmann::json::json_pointer("/n"), out);
    CHECK(out == "7");
    capture_value(json, nlohmann::json::json_pointer("/o/a"), out);
    CHECK(out == "[1,2]");
    capture_value(json, nlohmann::json::json_pointer("/cursor"), out);
    CHECK(out.empty());
    out = "old";
    capture_value(json, nlohmann::json::json_pointer("/missing"), out);
    CHECK(out.empty());
    capture_value(json, nlohmann::json::json_pointer("/o/a/x"), out);
    CHECK(out.empty());
}

TEST_CASE("response check: header lookup is case-insensitive and trims blanks") {
    std::string_view value;
    std::string headers = "HTTP/1.1 200 OK\r\nX-Request-Id: abc \r\nRetry-After: 7\r\n\r\n";
    REQUIRE(find_header(headers, "retry-after", value));
    CHECK(value == "7");
    REQUIRE(find_header(headers, "x-request-id", value));
    CHECK(value == "abc");
    CHECK_FALSE(find_header(headers, "x-request", value));
}
