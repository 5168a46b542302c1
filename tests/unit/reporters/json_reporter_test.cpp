#include "plugins/reporters/json/json_reporter.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sample_reports.hpp"

using namespace orch;

TEST_CASE("the json reporter writes results.json: to_json, schema first") {
    auto reporter = make_json_reporter();
    CHECK(reporter->format() == "json");
    CHECK(reporter->file_name() == "results.json");
    RunReport report = samples::failed_run();
    std::string text = reporter->render(report);
    CHECK(nlohmann::json::parse(text) == to_json(report));
    // Reading order: the schema id and verdict come first, not alphabetically.
    CHECK(text.rfind("{\n  \"schema\": \"stagegate.results/v1\",\n  \"verdict\": \"FAIL\"", 0) ==
          0);
    auto back = run_report_from_json(nlohmann::json::parse(text));
    REQUIRE(back);
    CHECK(back->stages.size() == 3);
}

TEST_CASE("the json reporter never throws on invalid UTF-8 in free-form JSON") {
    RunReport report = samples::failed_run();
    report.stages[0].extra["tool_output"] = std::string("bad \xff byte");
    report.stages[0].health_after->body["message"] = std::string("\xc3\x28");
    std::string text;
    REQUIRE_NOTHROW(text = make_json_reporter()->render(report));
    CHECK_NOTHROW(nlohmann::json::parse(text));
}
