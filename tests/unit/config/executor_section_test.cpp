// The scenario reader asks the executor sections it is given: the named executor reads its
// own keys, another executor's keys are errors naming that executor, a missing required key
// carries its hint, and a misspelt key gets a did-you-mean. No plugin is linked here: the
// sections are made in the test.
#include "config/executor_section.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config/yaml_reader.hpp"
#include "load_support.hpp"

using namespace orch;

namespace {

struct ToolConfig final : ExecutorConfig {
    std::string program;
};

ExecutorSections test_sections() {
    ExecutorSection builtin{"builtin", {}, {}, true, true, true, nullptr};
    ExecutorSection tool;
    tool.name = "tool";
    tool.keys = {"program", "level"};
    tool.required = {{"program", "the tool executor runs a program, e.g. program: wrk"}};
    tool.read = [](const ExecutorSectionInput& in) -> std::shared_ptr<const ExecutorConfig> {
        auto config = std::make_shared<ToolConfig>();
        if (auto v = in.scenario.get("program")) {
            if (auto text = in.reader.non_empty_text(*v)) {
                config->program = *text;
            }
        }
        if (auto v = in.scenario.get("level")) {
            in.reader.integer(*v, 1, 3);
        }
        return config;
    };
    return {builtin, tool};
}

std::string pipeline_with(const std::string& scenario) {
    return "version: 1\ntarget: { base_url: http://x }\nscenario:\n" + scenario +
           "stages: [ { name: s, vus: 1, duration: 1s } ]\n";
}

std::vector<std::string> section_problems(const std::string& yaml) {
    const ExecutorSections sections = test_sections();
    LoadOptions options;
    options.executors = &sections;
    return test::load_problems(yaml, "p.yaml", options);
}

}  // namespace

TEST_CASE("the named executor reads its own keys into its config") {
    const ExecutorSections sections = test_sections();
    LoadOptions options;
    options.executors = &sections;
    auto loaded = load_pipeline_text(
        pipeline_with("  executor: tool\n  program: wrk\n  operations: [ { name: a } ]\n"),
        "p.yaml", options);
    REQUIRE(loaded);
    auto config = std::dynamic_pointer_cast<const ToolConfig>(loaded->scenario.executor_config);
    REQUIRE(config);
    CHECK(config->program == "wrk");
    // Operations need no path: only an executor that sends them (builtin) asks for one.
    CHECK(loaded->operation_names() == std::vector<std::string>{"a"});
}

TEST_CASE("an executor's key errors carry line:col, its hint and a did-you-mean") {
    auto list = section_problems(pipeline_with("  executor: tool\n  progam: wrk\n  level: 9\n"));
    // "program" missing is not said too: the misspelt key was reported with it.
    REQUIRE(list.size() == 2);
    CHECK(list[0] ==
          "p.yaml:5:3: scenario.progam: unknown key \"progam\" (did you mean "
          "\"program\"?)");
    CHECK(list[1] == "p.yaml:6:10: scenario.level: 9 is out of range (1..3)");
    CHECK(section_problems(pipeline_with("  executor: tool\n"))[0] ==
          "p.yaml:4:3: scenario.program: missing (the tool executor runs a program, e.g. "
          "program: wrk)");
}

TEST_CASE("a key of another executor names the executor it belongs to") {
    auto list =
        section_problems(pipeline_with("  program: wrk\n  operations: [ { name: a, path: / } ]\n"));
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "p.yaml:4:12: scenario.program: program is for the tool executor "
          "(executor: tool)");
}

TEST_CASE("scenario.executor is one of the sections given") {
    auto list = section_problems(pipeline_with("  executor: tol\n  program: wrk\n"));
    for (const auto& line : list) {
        UNSCOPED_INFO(line);
    }
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "p.yaml:4:13: scenario.executor: \"tol\" is not one of builtin, tool (did "
          "you mean \"tool\"?)");
}

TEST_CASE("tag_responses is asked of the section, not of an executor's name") {
    // The tool section records no response headers: the error names the ones that do.
    auto list = section_problems(pipeline_with(
        "  executor: tool\n  program: wrk\n  tag_responses: { version: X-Version }\n"));
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "p.yaml:6:18: scenario.tag_responses: tag_responses is for an executor that records "
          "response headers (executor: builtin); the tool executor reports none");
    // A section that says it records them gets the key read, whatever its name.
    ExecutorSections sections = test_sections();
    sections[1].records_response_tags = true;
    LoadOptions options;
    options.executors = &sections;
    auto loaded = load_pipeline_text(
        pipeline_with("  executor: tool\n  program: wrk\n  operations: [ { name: a } ]\n"
                      "  tag_responses: { version: X-Version }\n"),
        "p.yaml", options);
    REQUIRE(loaded);
    REQUIRE(loaded->scenario.tag_responses.size() == 1);
    CHECK(loaded->scenario.tag_responses[0].name == "version");
}
