// The GitHub Actions integration: workflow-command escaping, neutralizing text for the job
// log, $GITHUB_OUTPUT entries, and publish_to_github writing exactly when the variables
// are set (real files in a temporary folder).
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "cli/github.hpp"
#include "support/files.hpp"

using namespace orch;
using namespace orch::cli;
using namespace orch::test;

namespace {

RunReport failed_report() {
    RunReport report;
    report.verdict = Verdict::fail;
    report.exit_code = 1;
    report.highest_passed_stage = "smoke";
    StageReport stage;
    stage.name = "load";
    stage.verdict = Verdict::fail;
    stage.reason = "1 criterion missed";
    CriterionResult missed;
    missed.criterion.expr = "success_rate > 99%";
    missed.criterion.name = "rate\n::error::pwned, a: b";
    missed.criterion.unit = MetricUnit::percent;
    missed.actual = 50;
    CriterionResult passed = missed;
    passed.criterion.name = "passed";
    passed.pass = true;
    stage.criteria = {missed, passed};
    report.stages.push_back(stage);
    return report;
}

using Env = std::map<std::string, std::string>;

std::function<std::optional<std::string>(const std::string&)> lookup(const Env& env) {
    return [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

}  // namespace

TEST_CASE("workflow command data and properties are escaped as GitHub requires") {
    CHECK(escape_command_data("a%b\r\nc: d, e") == "a%25b%0D%0Ac: d, e");
    CHECK(escape_command_property("a%b\r\nc: d, e") == "a%25b%0D%0Ac%3A d%2C e");
    // % first: an escape already in the text stays literal text after unescaping.
    CHECK(escape_command_data("%0A") == "%250A");
}

TEST_CASE("text for the job log cannot start a workflow command") {
    CHECK(neutralize_workflow_commands("x\n::error::pwned\r\n::warning::y") ==
          "x ::error::pwned  ::warning::y");
    CHECK(neutralize_workflow_commands("a ##[error]b ##[set-output name=x;]y") ==
          "a ## [error]b ## [set-output name=x;]y");
    CHECK(neutralize_workflow_commands("\x1b[31mred") == " [31mred");
    CHECK(neutralize_workflow_commands("plain: text, 50%") == "plain: text, 50%");

    CHECK(neutralize_workflow_lines("first\n::error::pwned\r  ::add-mask::x\r\nlast\n") ==
          "first\n\\::error::pwned\n\\  ::add-mask::x\nlast\n");
    // Unicode white space is trimmed by the runner too.
    CHECK(neutralize_workflow_lines("\xc2\xa0::error::x") == "\\\xc2\xa0::error::x");
    CHECK(neutralize_workflow_lines("a: b :: c") == "a: b :: c");
}

TEST_CASE("GITHUB_OUTPUT entries: one line, or a random delimiter for a multi-line value") {
    CHECK(github_output_entry("verdict", "PASS") == "verdict=PASS\n");
    std::string entry = github_output_entry("results", "a\nb=c\n");
    REQUIRE(entry.rfind("results<<ghadelimiter_", 0) == 0);
    std::string delimiter = entry.substr(9, entry.find('\n') - 9);
    CHECK(delimiter.size() == 13 + 32);
    CHECK(entry == "results<<" + delimiter + "\na\nb=c\n\n" + delimiter + "\n");
    CHECK(github_output_entry("results", "x\ry") != entry);
}

TEST_CASE("publish_to_github writes the summary, outputs and annotations when asked") {
    TempDir dir;
    auto summary = dir.path() / "summary.md";
    auto outputs = dir.path() / "output.txt";
    write_text(summary, "earlier step\n");
    std::ostringstream out;
    auto warning = publish_to_github(failed_report(), "# report\n", "out/results.json", out,
                                     lookup(Env{{"GITHUB_STEP_SUMMARY", summary.string()},
                                                {"GITHUB_OUTPUT", outputs.string()},
                                                {"GITHUB_ACTIONS", "true"}}));
    CHECK(warning.empty());
    CHECK(slurp(summary) == "earlier step\n# report\n\n");
    CHECK(slurp(outputs) == "verdict=FAIL\nresults=out/results.json\nhighest-passed-stage=smoke\n");
    // One annotation: the failed criterion (the passed one and the stage are not repeated).
    CHECK(out.str() ==
          "::error title=stagegate load%3A rate%0A%3A%3Aerror%3A%3Apwned%2C a%3A b"
          "::stage load: success_rate > 99%25 missed (actual 50%25)\n");
}

TEST_CASE("publish_to_github writes nothing when the variables are not set") {
    TempDir dir;
    std::ostringstream out;
    auto warning =
        publish_to_github(failed_report(), "# report\n", "out/results.json", out,
                          lookup(Env{{"GITHUB_STEP_SUMMARY", ""}, {"GITHUB_OUTPUT", ""}}));
    CHECK(warning.empty());
    CHECK(out.str().empty());
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("annotations carry file, line and col, the file relative to GITHUB_WORKSPACE") {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "ci");
    write_text(dir.path() / "ci" / "load.yaml", "version: 1\n");
    RunReport report = failed_report();
    report.pipeline_file = (dir.path() / "ci" / "load.yaml").string();
    report.stages[0].criteria[0].criterion.line = 14;
    report.stages[0].criteria[0].criterion.column = 9;
    std::ostringstream out;
    publish_to_github(
        report, "", "r.json", out,
        lookup(Env{{"GITHUB_ACTIONS", "true"}, {"GITHUB_WORKSPACE", dir.path().string()}}));
    CHECK(out.str().rfind("::error file=ci/load.yaml,line=14,col=9,title=stagegate load%3A", 0) ==
          0);

    // Outside the workspace the path stays as given; a position without a line is file only.
    CHECK(annotation_position("/elsewhere/p.yaml", 3, 4,
                              lookup(Env{{"GITHUB_WORKSPACE", dir.path().string()}})) ==
          "file=/elsewhere/p.yaml,line=3,col=4,");
    CHECK(annotation_position("a,b:c.yaml", 0, 0, lookup(Env{})) == "file=a%2Cb%3Ac.yaml,");
    CHECK(annotation_position("", 3, 4, lookup(Env{})).empty());
}

TEST_CASE("an INVALID pipeline: summary, verdict output, one annotation and testcase per problem") {
    TempDir dir;
    auto summary = dir.path() / "summary.md";
    auto outputs = dir.path() / "output.txt";
    std::vector<InvalidProblem> problems{
        {(dir.path() / "p.yaml").string(), 5, 15,
         "stages[0].duration: \"30\" needs a unit (try 30s)"},
        {"", 0, 0, "--set: stages.nosuch.vus: no stage named \"nosuch\""}};
    std::ostringstream out;
    auto warning =
        publish_invalid_to_github(problems, out,
                                  lookup(Env{{"GITHUB_STEP_SUMMARY", summary.string()},
                                             {"GITHUB_OUTPUT", outputs.string()},
                                             {"GITHUB_ACTIONS", "true"},
                                             {"GITHUB_WORKSPACE", dir.path().string()}}));
    CHECK(warning.empty());
    CHECK(slurp(outputs) == "verdict=INVALID\n");
    std::string text = slurp(summary);
    CHECK(text.find("INVALID") != std::string::npos);
    CHECK(text.find("- `p.yaml:5:15`: `stages[0].duration: \"30\" needs a unit (try 30s)`") !=
          std::string::npos);
    CHECK(text.find("- `--set: stages.nosuch.vus") != std::string::npos);
    CHECK(out.str() ==
          "::error file=p.yaml,line=5,col=15,title=stagegate%3A invalid "
          "pipeline::stages[0].duration: "
          "\"30\" needs a unit (try 30s)\n"
          "::error title=stagegate%3A invalid pipeline::--set: stages.nosuch.vus: no stage named "
          "\"nosuch\"\n");

    std::string xml = invalid_junit(problems);
    CHECK(xml.find("tests=\"2\" failures=\"2\"") != std::string::npos);
    CHECK(xml.find("name=\"" + problems[0].file + ":5:15\" time=\"0.000\" file=\"" +
                   problems[0].file + "\" line=\"5\">") != std::string::npos);
    CHECK(xml.find(
              "<failure message=\"--set: stages.nosuch.vus: no stage named &quot;nosuch&quot;\"") !=
          std::string::npos);
}

TEST_CASE("a stage that failed without a failed criterion is annotated at the stage's line") {
    RunReport report = failed_report();
    report.pipeline_file = "p.yaml";
    report.stages[0].reason = "backend crashed 3.2s into the stage";
    for (auto& result : report.stages[0].criteria) {
        result.pass = true;
    }
    std::ostringstream out;
    publish_to_github(report, "", "r.json", out, lookup(Env{{"GITHUB_ACTIONS", "true"}}),
                      [](const std::string& stage) {
                          return stage == "load" ? std::pair{9, 5} : std::pair{0, 0};
                      });
    CHECK(out.str() ==
          "::error file=p.yaml,line=9,col=5,title=stagegate load::backend crashed 3.2s into the "
          "stage\n");
}

TEST_CASE("an INVALID summary keeps hostile paths and messages inside code spans") {
    TempDir dir;
    auto summary = dir.path() / "summary.md";
    std::vector<InvalidProblem> problems{
        {"a`<script>x</script>`\nb.yaml", 1, 2, "bad ` value\n<b>x</b>"}};
    std::ostringstream out;
    publish_invalid_to_github(problems, out,
                              lookup(Env{{"GITHUB_STEP_SUMMARY", summary.string()}}));
    std::string text = slurp(summary);
    CHECK(text.find("- `a'<script>x</script>' b.yaml:1:2`: `bad ' value <b>x</b>`\n") !=
          std::string::npos);
}
