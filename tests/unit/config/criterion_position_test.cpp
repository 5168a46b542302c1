// Each criterion keeps where it is written (annotations and JUnit point there), also the
// defaults' criteria that every stage inherits.
#include <catch2/catch.hpp>

#include "config/loader.hpp"

using namespace orch;

TEST_CASE("a criterion carries its line and column in the pipeline file") {
    const char* yaml = R"(version: 1
name: positions
target: { base_url: "http://127.0.0.1:9" }
scenario: { operations: [ { name: send, path: / } ] }
defaults:
  criteria:
    - success_rate > 99%
stages:
  - name: smoke
    vus: 1
    duration: 1s
    criteria:
      - send.p95 < 250ms
      - { expr: "errors == 0", name: none failed }
)";
    auto pipeline = load_pipeline_text(yaml, "positions.yaml");
    REQUIRE(pipeline);
    const auto& criteria = pipeline->stages.at(0).criteria;
    REQUIRE(criteria.size() == 3);
    CHECK(criteria[0].criterion.line == 7);  // from defaults
    CHECK(criteria[0].criterion.column == 7);
    CHECK(criteria[1].criterion.line == 13);
    CHECK(criteria[1].criterion.column == 9);
    CHECK(criteria[2].criterion.line == 14);
    CHECK(criteria[2].criterion.line == criteria[2].pos.line);
}
