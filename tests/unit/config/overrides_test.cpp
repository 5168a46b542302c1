#include "config/loader.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "load_support.hpp"

using namespace orch;

namespace {

const std::string k_pipeline = R"(version: 1
target: { base_url: http://127.0.0.1:8080 }
backend: { command: [./srv], env: { PORT: "8080" } }
scenario: { operations: [ { name: a, path: / } ] }
defaults: { cooldown: 2m }
stages:
  - { name: smoke, vus: 5, duration: 30s }
  - { name: load, vus: 20, duration: 2m }
)";

LoadOptions with_sets(std::vector<std::string> sets) {
    LoadOptions options;
    options.overrides = std::move(sets);
    options.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return options;
}

std::vector<std::string> override_problems(std::vector<std::string> sets) {
    return test::load_problems(k_pipeline, "p.yaml", with_sets(std::move(sets)));
}

}  // namespace

TEST_CASE("overrides: --set selects stages by name, index or all, and edits any key") {
    auto loaded = load_pipeline_text_diagnostics(
        k_pipeline, "p.yaml",
        with_sets({"stages[*].duration=3s", "stages.smoke.vus=2", "stages[1].duration=4s",
                   "defaults.cooldown=1s", "target.base_url=http://127.0.0.1:9000",
                   "backend.env.PORT=9000", "backend.env.EXTRA=yes", "name=overridden",
                   "stages.load.criteria=[\"a.p95 < 1s\"]"}));
    REQUIRE(loaded);
    CHECK(loaded->name == "overridden");
    CHECK(loaded->stages[0].vus == 2);
    CHECK(loaded->stages[0].duration == std::chrono::seconds(3));
    CHECK(loaded->stages[1].duration == std::chrono::seconds(4));
    REQUIRE(loaded->stages[1].criteria.size() == 1);
    CHECK(loaded->stages[1].criteria[0].criterion.metric == "a.p95");
    CHECK(loaded->defaults.cooldown == std::chrono::seconds(1));
    CHECK(loaded->target.base_url == "http://127.0.0.1:9000");
    CHECK(loaded->backend->env ==
          std::vector<std::pair<std::string, std::string>>{{"PORT", "9000"}, {"EXTRA", "yes"}});
}

TEST_CASE("overrides: --set creates missing maps") {
    auto loaded = load_pipeline_text_diagnostics(
        k_pipeline, "p.yaml", with_sets({"health.url=/ready", "scenario.think_time=1s"}));
    REQUIRE(loaded);
    REQUIRE(loaded->health);
    CHECK(loaded->health->url == "/ready");
    CHECK(loaded->scenario.think_time == std::chrono::seconds(1));
}

TEST_CASE("overrides: --set problems name --set and the text") {
    CHECK(override_problems({"stages.smok.duration=5s"}) ==
          std::vector<std::string>{"--set: stages.smok.duration=5s: no element named \"smok\" in "
                                   "stages (did you mean \"smoke\"?)"});
    CHECK(override_problems({"stages[7].duration=5s"}) ==
          std::vector<std::string>{
              "--set: stages[7].duration=5s: stages has 2 entries: [7] is out of range"});
    CHECK(override_problems({"no-equals-sign"}) ==
          std::vector<std::string>{"--set: no-equals-sign: expected KEY.PATH=VALUE, e.g. "
                                   "stages.smoke.duration=5s"});
    CHECK(override_problems({"stages[x].vus=1"}).at(0).find("is not an index") !=
          std::string::npos);
    CHECK(override_problems({"stages..vus=1"}).at(0).find("empty key") != std::string::npos);
    CHECK(override_problems({"target.base_url.x=1"}).at(0).find("is a value, not a mapping") !=
          std::string::npos);
    CHECK(override_problems({"stages.smoke.vus=[1"}).at(0).find("the value is not valid YAML") !=
          std::string::npos);
}

TEST_CASE("a bad value from --set is checked like the file and attributed to --set") {
    CHECK(override_problems({"stages[*].duration=2 min"}) ==
          std::vector<std::string>{
              "--set: stages[0].duration: \"2 min\" is not a duration (try 2m) (from --set "
              "stages[*].duration=2 min)",
              "--set: stages[1].duration: \"2 min\" is not a duration (try 2m) (from --set "
              "stages[*].duration=2 min)"});
    CHECK(override_problems({"stages.smoke.duraton=5s"}) ==
          std::vector<std::string>{"--set: stages[0].duraton: unknown key \"duraton\" (did you "
                                   "mean \"duration\"?) (from --set stages.smoke.duraton=5s)"});
}

TEST_CASE("overrides: --set through an alias edits only the path it names") {
    const std::string text = R"(version: 1
target: { base_url: http://127.0.0.1:8080 }
scenario: { operations: [ { name: a, path: / } ] }
x-shared: &dur 30s
stages:
  - name: smoke
    vus: 5
    duration: *dur
    criteria: &lat
      - a.p95 < 250ms
      - { expr: "a.p99 < 500ms", severity: warn }
  - name: load
    vus: 20
    duration: *dur
    criteria: *lat
)";
    auto loaded = load_pipeline_text_diagnostics(
        text, "p.yaml",
        with_sets({"stages.smoke.criteria[0]=a.p95 < 10s", "stages.load.duration=5s"}));
    REQUIRE(loaded);
    REQUIRE(loaded->stages[0].criteria.size() == 2);
    REQUIRE(loaded->stages[1].criteria.size() == 2);
    CHECK(loaded->stages[0].criteria[0].criterion.target == 10000.0);
    CHECK(loaded->stages[1].criteria[0].criterion.target == 250.0);
    CHECK(loaded->stages[1].criteria[1].criterion.severity == Severity::warn);
    CHECK(loaded->stages[0].duration == std::chrono::seconds(30));
    CHECK(loaded->stages[1].duration == std::chrono::seconds(5));

    // A problem in the anchor keeps its place; the copy's is reported too, by its path.
    auto broken = load_pipeline_text_diagnostics(text, "p.yaml", with_sets({"stages.load.vus=0"}));
    REQUIRE_FALSE(broken);
    REQUIRE(broken.error().problems.size() == 1);
    CHECK(broken.error().problems[0].path == "stages[1].vus");
}
