// The open plugin registry: a test-only executor (tests/fixtures/plugins/echo_executor/) and
// reporter (echo_reporter/) join the shipped ones with one registry line each; a pipeline
// naming the executor loads and runs, and its own keys' errors carry line:col and a
// did-you-mean. And the JSON Schema's executor branches agree with what the shipped executors
// register.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/builtin_plugins.hpp"
#include "cli/completion.hpp"
#include "config/loader.hpp"
#include "config/pipeline_keys.hpp"
#include "echo_executor.hpp"
#include "echo_reporter.hpp"
#include "pipeline/runner.hpp"
#include "support/files.hpp"
#include "support/sockets.hpp"

using namespace orch;
using nlohmann::json;

namespace {

/// The shipped executors plus the test-only one.
ExecutorRegistry registry_with_echo() {
    ExecutorRegistry registry = cli::executors();
    registry.add(echo_executor_plugin());  // the one registry line
    return registry;
}

std::string echo_pipeline(int port, const std::string& scenario_keys) {
    return "version: 1\n"
           "target: { base_url: \"http://127.0.0.1:" +
           std::to_string(port) +
           "\" }\n"
           "scenario:\n"
           "  executor: echo\n" +
           scenario_keys +
           "  operations: [ { name: ping }, { name: pong } ]\n"
           "stages:\n"
           "  - { name: smoke, vus: 1, duration: 1s, criteria: [ \"ping.requests == 3\", "
           "\"requests == 6\" ] }\n";
}

tl::expected<Pipeline, LoadFailure> load(const ExecutorRegistry& registry,
                                         const std::string& yaml) {
    LoadOptions options;
    options.executors = &registry.sections();
    return load_pipeline_text_diagnostics(yaml, "echo.yaml", options);
}

std::vector<std::string> problems(const ExecutorRegistry& registry, const std::string& yaml) {
    auto loaded = load(registry, yaml);
    REQUIRE_FALSE(loaded);
    std::vector<std::string> out;
    for (const auto& problem : loaded.error().problems) {
        out.push_back(problem.format());
    }
    return out;
}

json pipeline_schema() {
    std::ifstream in(std::string(STAGEGATE_SOURCE_DIR) + "/schemas/pipeline.schema.json");
    return json::parse(in);
}

}  // namespace

TEST_CASE("a pipeline naming a test-only executor loads and runs") {
    const ExecutorRegistry registry = registry_with_echo();
    test::Listener service;  // attach mode: the TCP health probe connects here
    auto pipeline = load(registry, echo_pipeline(service.port(),
                                                 "  message: hello\n"
                                                 "  requests: 3\n"));
    REQUIRE(pipeline);
    auto executor = registry.create("echo", *pipeline);
    REQUIRE(executor);

    test::TempDir out;
    RunOptions options;
    options.out_dir = out.path() / "results";
    RunListener listener;
    RunReport report = run_pipeline(*pipeline, **executor, {}, options, listener);
    INFO(report.reason);
    CHECK(report.verdict == Verdict::pass);
    REQUIRE(report.stages.size() == 1);
    CHECK(report.stages[0].verdict == Verdict::pass);
    CHECK(report.stages[0].extra["echo"] == "hello");
}

TEST_CASE("the test-only executor's own key errors carry line:col and a did-you-mean") {
    const ExecutorRegistry registry = registry_with_echo();
    auto list = problems(registry, echo_pipeline(1, "  mesage: hello\n  requests: 0\n"));
    REQUIRE(list.size() == 2);
    CHECK(list[0] ==
          "echo.yaml:5:3: scenario.mesage: unknown key \"mesage\" (did you mean "
          "\"message\"?)");
    CHECK(list[1] == "echo.yaml:6:13: scenario.requests: 0 is out of range (1..1000)");
    auto missing = problems(registry, echo_pipeline(1, ""));
    REQUIRE(missing.size() == 1);
    CHECK(missing[0] ==
          "echo.yaml:4:3: scenario.message: missing (the echo executor repeats a "
          "message, e.g. message: hi)");
}

TEST_CASE("a shipped executor's keys are refused for the test-only one, by name") {
    const ExecutorRegistry registry = registry_with_echo();
    auto list = problems(registry, echo_pipeline(1, "  message: hi\n  script: load.js\n"));
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "echo.yaml:6:11: scenario.script: script is for the k6 executor "
          "(executor: k6)");
}

TEST_CASE("without its registry line the executor is unknown") {
    auto list = problems(cli::executors(), echo_pipeline(1, "  message: hi\n"));
    REQUIRE_FALSE(list.empty());
    CHECK(list[0] ==
          "echo.yaml:4:13: scenario.executor: \"echo\" is not one of builtin, k6, command");
}

TEST_CASE("a test-only reporter joins the shipped ones with one registry line") {
    ReporterRegistry registry = cli::reporters();
    registry.add("echo", [] { return make_echo_reporter(); });  // the one registry line
    auto reporter = registry.create("echo");
    REQUIRE(reporter);
    RunReport report;
    report.pipeline_name = "demo";
    report.verdict = Verdict::fail;
    report.stages.resize(2);
    CHECK((*reporter)->render_redacted(report) == "echo: demo FAIL 2 stages\n");
    CHECK((*reporter)->file_name() == "echo.txt");

    auto unknown = cli::reporters().create("echo");
    REQUIRE_FALSE(unknown);
    CHECK_THAT(unknown.error().message, Catch::Contains("unknown report format \"echo\""));
}

TEST_CASE("help and completions list the registered report formats") {
    std::string joined;
    for (const auto& format : cli::reporters().formats()) {
        joined += (joined.empty() ? "" : "|") + format;
    }
    CHECK(cli::with_report_formats("[--format @REPORT_FORMATS@] @REPORT_FORMATS@.", "|") ==
          "[--format " + joined + "] " + joined + ".");
    for (const auto* shell : {"bash", "zsh", "fish"}) {
        INFO(shell);
        auto script = cli::completion_script(shell);
        REQUIRE(script);
        CHECK(script->find("@REPORT_FORMATS@") == std::string::npos);
        for (const auto& format : cli::reporters().formats()) {
            CHECK(script->find(format) != std::string::npos);
        }
    }
    // `stagegate help report`: one line per format, with its reporter's own summary.
    const std::string list = cli::with_report_format_list("Formats:\n@REPORT_FORMAT_LIST@.");
    CHECK(list.find("@REPORT_FORMAT_LIST@") == std::string::npos);
    std::size_t lines = 0;
    for (const auto& format : cli::reporters().formats()) {
        INFO(format);
        auto reporter = cli::reporters().create(format);
        REQUIRE(reporter);
        CHECK_FALSE((*reporter)->summary().empty());
        const std::string line = "  " + format;
        auto at = list.find("\n" + line + " ");
        REQUIRE(at != std::string::npos);
        auto end = list.find('\n', at + 1);
        CHECK(list.substr(at + 1, end - at - 1).find((*reporter)->summary()) != std::string::npos);
        ++lines;
    }
    CHECK(std::count(list.begin(), list.end(), '\n') == static_cast<long>(lines) + 1);
}

TEST_CASE("the JSON Schema's executor branches are the registered executors'") {
    const json schema = pipeline_schema();
    const json& scenario = schema["definitions"]["scenario"];
    const ExecutorSections& sections = cli::executors().sections();

    std::set<std::string> names;
    std::set<std::string> keys(pipeline_keys::scenario.begin(), pipeline_keys::scenario.end());
    for (const auto& section : sections) {
        names.insert(section.name);
        keys.insert(section.keys.begin(), section.keys.end());
    }
    std::set<std::string> schema_names;
    for (const auto& name : scenario["properties"]["executor"]["anyOf"][0]["enum"]) {
        schema_names.insert(name.get<std::string>());
    }
    CHECK(schema_names == names);
    std::set<std::string> schema_keys;
    for (const auto& item : scenario["properties"].items()) {
        schema_keys.insert(item.key());
    }
    CHECK(schema_keys == keys);

    // Each executor's required keys are the schema's `if executor == NAME then required`.
    for (const auto& section : sections) {
        std::set<std::string> required;
        for (const auto& [key, hint] : section.required) {
            required.insert(key);
        }
        std::set<std::string> schema_required;
        for (const auto& branch : scenario.at("allOf")) {
            const json name = branch.at("if")
                                  .value("properties", json::object())
                                  .value("executor", json::object());
            if (name.value("const", "") == section.name) {
                for (const auto& key : branch.at("then").at("required")) {
                    if (key != "operations") {
                        schema_required.insert(key.get<std::string>());
                    }
                }
            }
        }
        INFO(section.name);
        CHECK(schema_required == required);
    }

    // tag_responses is refused by the schema exactly for the executors that do not record it.
    std::set<std::string> refuse_tags;
    for (const auto& section : sections) {
        if (!section.records_response_tags) {
            refuse_tags.insert(section.name);
        }
    }
    std::set<std::string> schema_refuse_tags;
    for (const auto& branch : scenario.at("allOf")) {
        const json then_properties = branch.at("then").value("properties", json::object());
        if (then_properties.value("tag_responses", json(true)) == json(false)) {
            for (const auto& name : branch.at("if").at("properties").at("executor").at("enum")) {
                schema_refuse_tags.insert(name.get<std::string>());
            }
        }
    }
    CHECK(schema_refuse_tags == refuse_tags);
}
