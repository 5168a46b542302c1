// Parsing and checking stage results: every fixture file, and each problem named by its
// JSON path.
#include "plugins/executors/command/stage_result.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "command_test_support.hpp"

using namespace orch;

namespace {

std::uint64_t error_count(const StageResultOperation& op, ErrorKind kind) {
    return op.errors[static_cast<std::size_t>(kind)];
}

std::string first_problem(const std::string& text) {
    auto result = parse_stage_result(text, "result.json");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::infrastructure);
    return result.error().message;
}

}  // namespace

TEST_CASE("per-operation result with percentiles") {
    auto result =
        read_stage_result(test::stage_result_fixture("valid-operations-percentiles.json"));
    REQUIRE(result);
    CHECK(result->duration_s == 10);
    CHECK(result->per_operation);
    CHECK(result->iterations == 1000u);
    CHECK(result->tool["name"] == "example-tool");
    REQUIRE(result->operations.size() == 2);
    const auto& send = result->operations[0];
    CHECK(send.name == "send");
    CHECK(send.requests == 700);
    CHECK(error_count(send, ErrorKind::status_5xx) == 14);
    CHECK(error_count(send, ErrorKind::status_429) == 7);
    CHECK(send.error_total() == 25);
    CHECK(send.unanswered() == 4);  // 3 refused + 1 timeout
    CHECK(send.status_counts ==
          std::vector<std::pair<int, std::uint64_t>>{{201, 675}, {429, 7}, {500, 10}, {503, 4}});
    CHECK(send.latency.form == StageResultLatency::Form::percentiles);
    CHECK(send.latency.percentiles ==
          std::vector<std::pair<double, double>>{
              {0, 1.2}, {50, 12.5}, {90, 40}, {95, 55.5}, {99, 120}, {100, 480}});
    CHECK(send.latency.avg_ms == 19.7);
}

TEST_CASE("totals-only result with a histogram") {
    auto result = read_stage_result(test::stage_result_fixture("valid-totals-histogram.json"));
    REQUIRE(result);
    CHECK_FALSE(result->per_operation);
    REQUIRE(result->operations.size() == 1);
    CHECK(result->operations[0].name.empty());
    CHECK(result->operations[0].requests == 1000);
    CHECK(result->operations[0].latency.form == StageResultLatency::Form::histogram);
    CHECK(result->operations[0].latency.histogram.size() == 5);
}

TEST_CASE("every valid fixture parses, and every invalid one is rejected") {
    for (const auto& entry :
         std::filesystem::directory_iterator(test::tools_fixture("stage-results"))) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".json") {
            continue;
        }
        INFO(name);
        auto result = read_stage_result(entry.path());
        if (name.rfind("valid-", 0) == 0) {
            CHECK(result);
        } else {
            REQUIRE_FALSE(result);
            CHECK(result.error().message.rfind(entry.path().string() + ": ", 0) == 0);
        }
    }
}

TEST_CASE("problems are named by file and JSON path") {
    const std::string head = R"({"schema": "stagegate.stage-result/v1", "duration_s": 1, )";
    CHECK(first_problem(head + R"("operations": [{"name": "send", "requests": -1}]})") ==
          "result.json: operations[0].requests: must be a whole number >= 0 (got -1)");
    CHECK(
        first_problem(
            head +
            R"("operations": [{"name": "a", "requests": 2, "latency_ms": {"percentiles": {"p50": 1}}},
        {"name": "b", "requests": 1, "errors": {"status_500": 1}, "latency_ms": {"percentiles": {"p50": 1}}}]})")
            .rfind("result.json: operations[1].errors.status_500: unknown error kind (valid: "
                   "connection_refused, timeout,",
                   0) == 0);
    CHECK(first_problem(
              head + R"("totals": {"requests": 10, "errors": {"timeout": 6, "status_5xx": 6}}})") ==
          "result.json: totals.errors: add up to 12, more than requests (10)");
    CHECK(first_problem(head + R"("totals": {"requests": 10}})") ==
          "result.json: totals: missing latency_ms (10 request(s) got a response: give their "
          "latency as a histogram or percentiles)");
    CHECK(
        first_problem(
            head +
            R"("totals": {"requests": 10, "latency_ms": {"percentiles": {"p50": 9, "p90": 3}}}})") ==
        "result.json: totals.latency_ms.percentiles.p90: is below p50 (3 < 9): percentiles "
        "cannot decrease");
    CHECK(first_problem(
              head +
              R"("totals": {"requests": 3, "latency_ms": {"histogram": [[5, 1], [2, 2]]}}})") ==
          "result.json: totals.latency_ms.histogram[1][0]: upper bounds must increase (2 after 5)");
    CHECK(first_problem(head + R"("totals": {"requests": 0, "latency": 1}})") ==
          "result.json: totals.latency: unknown key (valid: name, requests, errors, status_counts, "
          "latency_ms)");
    CHECK(first_problem(head + R"("operations": [], "totals": {"requests": 0}})") ==
          "result.json: give operations or totals, not both");
    CHECK(first_problem(
              head +
              R"("operations": [{"name": "x", "requests": 0}, {"name": "x", "requests": 0}]})") ==
          "result.json: operations[1].name: duplicate operation \"x\"");
    CHECK(first_problem(R"({"schema": "other", "duration_s": 1, "totals": {"requests": 0}})") ==
          "result.json: schema: must be \"stagegate.stage-result/v1\" (got \"other\")");
    CHECK(first_problem(R"({"schema": "stagegate.stage-result/v1", "totals": {"requests": 0}})") ==
          "result.json: duration_s: missing (seconds the load ran)");
    CHECK(first_problem("[1, 2") ==
          "result.json: not valid JSON (a stage result is one JSON object, "
          "stagegate.stage-result/v1)");
}

TEST_CASE("every problem is listed, not only the first") {
    auto result = parse_stage_result(
        R"({"schema": "x", "operations": [{"name": "1bad", "requests": "ten"}]})", "r.json");
    REQUIRE_FALSE(result);
    CHECK(result.error().message.find("(and 3 more problem(s))") != std::string::npos);
    CHECK(result.error().context ==
          "r.json: schema: must be \"stagegate.stage-result/v1\" (got \"x\")\n"
          "r.json: duration_s: missing (seconds the load ran)\n"
          "r.json: operations[0].name: must be an operation name like send or get_history (got "
          "\"1bad\")\n"
          "r.json: operations[0].requests: must be a whole number >= 0 (got \"ten\")\n");
}

TEST_CASE("whole numbers may be written as 12.0, and requests without responses need no latency") {
    auto result = parse_stage_result(
        R"({"schema": "stagegate.stage-result/v1", "duration_s": 1,
            "totals": {"requests": 12.0, "errors": {"connection_refused": 12}}})",
        "r.json");
    REQUIRE(result);
    CHECK(result->operations[0].requests == 12);
    CHECK(result->operations[0].unanswered() == 12);
}
