// The loader's reading of hooks, traffic steps, observe stages and stage targets (SPEC
// "Additions for rollouts"): forms, defaults and what an observe stage keeps.
#include <catch2/catch.hpp>

#include "config/loader.hpp"

using namespace orch;

namespace {

const char* k_head = R"(version: 1
name: rollout
target: { base_url: "http://127.0.0.1:8080", timeout: 5s, headers: { X-Team: core } }
scenario:
  operations:
    - { name: send, path: /x }
defaults:
  criteria:
    - success_rate > 99%
    - backend.crashes == 0
)";

Pipeline load_rollout(const std::string& rest) {
    auto loaded = load_pipeline_text(std::string(k_head) + rest, "rollout.yaml");
    INFO((loaded ? std::string() : loaded.error().message));
    REQUIRE(loaded);
    return *loaded;
}

}  // namespace

TEST_CASE("hooks: an argv list or a map; timeout defaults to 60s; kinds per level") {
    Pipeline p = load_rollout(R"(hooks:
  before_run: [scripts/a.sh, one]
  on_fail: { command: [sh, -c, "echo rollback"], timeout: 5s }
stages:
  - name: s
    vus: 1
    duration: 1s
    hooks:
      before: [scripts/set-weight.sh, "10"]
      after: { command: [scripts/b.sh] }
)");
    REQUIRE(p.hooks.size() == 2);
    CHECK(p.hooks[0].kind == HookKind::before_run);
    CHECK(p.hooks[0].command == std::vector<std::string>{"scripts/a.sh", "one"});
    CHECK(p.hooks[0].timeout == std::chrono::seconds(60));
    CHECK(p.hooks[1].kind == HookKind::on_fail);
    CHECK(p.hooks[1].timeout == std::chrono::seconds(5));
    CHECK(p.hooks[1].command.back() == "echo rollback");
    REQUIRE(p.stages[0].hooks.size() == 2);
    CHECK(p.stages[0].hooks[0].kind == HookKind::before);
    CHECK(p.stages[0].hooks[0].command[1] == "10");
    CHECK(p.stages[0].hooks[1].kind == HookKind::after);
    CHECK(p.stages[0].hooks[1].timeout == std::chrono::seconds(60));
    CHECK(std::string(hook_kind_name(HookKind::after_run)) == "after_run");
}

TEST_CASE("traffic is a percentage; a stage target merges over the pipeline's") {
    Pipeline p = load_rollout(R"(stages:
  - name: canary
    traffic: 12.5%
    target: { base_url: "http://127.0.0.1:9090/" }
    vus: 1
    duration: 1s
  - name: rest
    vus: 1
    duration: 1s
)");
    REQUIRE(p.stages[0].traffic_percent);
    CHECK(*p.stages[0].traffic_percent == Approx(12.5));
    REQUIRE(p.stages[0].target);
    CHECK(p.stages[0].target->base_url == "http://127.0.0.1:9090");
    CHECK(p.stages[0].target->timeout == std::chrono::seconds(5));  // from the pipeline's
    CHECK(p.stages[0].target->headers.size() == 1);
    CHECK_FALSE(p.stages[1].traffic_percent);
    CHECK_FALSE(p.stages[1].target);
    CHECK(p.target.base_url == "http://127.0.0.1:8080");
}

TEST_CASE("an observe stage has no load and keeps only the criteria it can judge") {
    Pipeline p = load_rollout(R"(stages:
  - name: watch
    observe: 90s
    criteria:
      - backend.rss_peak < 500MB
)");
    const StageSpec& stage = p.stages[0];
    REQUIRE(stage.observe);
    CHECK(*stage.observe == std::chrono::seconds(90));
    CHECK(stage.duration == std::chrono::seconds(90));
    CHECK(stage.vus == 0);
    CHECK_FALSE(stage.rate);
    REQUIRE(stage.criteria.size() == 2);  // success_rate from the defaults is left out
    CHECK(stage.criteria[0].criterion.metric == "backend.crashes");
    CHECK(stage.criteria[1].criterion.metric == "backend.rss_peak");
    CHECK(observable_metric("backend.crashes"));
    CHECK_FALSE(observable_metric("send.p95"));
    CHECK_FALSE(observable_metric("error_rate"));
}
