// Root-cause hints: which hint each known cause gets, from a stage's metrics and executor
// extras alone (the e2e tests run_hints*.sh produce the same evidence with real processes).
#include "pipeline/hints.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "criteria/criterion.hpp"

using namespace orch;
using Catch::Contains;
using Catch::StartsWith;

namespace {

Pipeline chat_pipeline() {
    Pipeline pipeline;
    pipeline.target.base_url = "http://127.0.0.1:8080";
    pipeline.body_patterns.push_back({"db_locked", "database is locked"});
    return pipeline;
}

/// A failed stage of `requests` requests over the operations send and history.
StageReport stage_with(double requests) {
    StageReport stage;
    stage.name = "s";
    stage.verdict = Verdict::fail;
    stage.operations = {"send", "history"};
    stage.metrics.set("requests", requests);
    return stage;
}

std::string all(const std::vector<std::string>& hints) {
    std::string text;
    for (const auto& h : hints) {
        text += h + "\n";
    }
    return text;
}

}  // namespace

TEST_CASE("hints: no request, no hint", "[hints]") {
    StageReport stage = stage_with(0);
    CHECK(root_cause_hints(chat_pipeline(), stage, nullptr).empty());
}

TEST_CASE("hints: requests the generator never sent come first and alone", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("errors.generator", 40);
    stage.metrics.set("errors.timeout", 10);  // not evidence about the backend here
    stage.extra["failure_samples"] = {{{"error", "generator"}, {"message", "EMFILE"}}};
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("40 requests were never sent") && Contains("(\"EMFILE\")") &&
                             Contains("evidence: errors.generator"));
}

TEST_CASE("hints: max_vus advice comes alone", "[hints]") {
    StageReport stage = stage_with(100);
    stage.extra["max_vus_advice"] = "Every allowed VU was busy: raise max_vus to 80.";
    stage.metrics.set("errors.status_429", 5);
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("Every allowed VU was busy") && Contains("evidence: dropped"));
}

TEST_CASE("hints: most requests refused: the backend is not there", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("errors.connection_refused", 60);
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0],
               StartsWith("60 of 100 requests were refused") && Contains("http://127.0.0.1:8080"));
    stage.metrics.set("errors.connection_refused", 40);  // a minority: not this cause
    CHECK(root_cause_hints(chat_pipeline(), stage, nullptr).empty());
}

TEST_CASE("hints: 429 answers: a rate limiter", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("errors.status_429", 7);
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("7 requests got 429 Too Many Requests"));
}

TEST_CASE("hints: failure classes: pool exhausted, database errors", "[hints]") {
    StageReport stage = stage_with(100);
    stage.extra["failure_classes"] = {
        {"pool", {{"count", 12}, {"status", 500}, {"operation", "send"}, {"body", "pool timeout"}}},
        {"database",
         {{"count", 3}, {"status", 500}, {"operation", "history"}, {"body", "SQLITE_BUSY"}}}};
    stage.metrics.set("backend.health./pool/in_use", 10);
    stage.metrics.set("backend.health./pool/size", 10);
    std::string text = all(root_cause_hints(chat_pipeline(), stage, nullptr));
    CHECK_THAT(text, Contains("12 failed responses (status 500, first on operation \"send\")") &&
                         Contains("connection pool ran dry") &&
                         Contains("the health answer showed the pool full") &&
                         Contains("pool timeout"));
    CHECK_THAT(text, Contains("3 failed responses (status 500, first on operation \"history\")"));
}

TEST_CASE("hints: a body pattern matched: application errors", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("errors.body.db_locked", 9);
    stage.extra["failure_samples"] = {{{"body", "database is locked"}}};
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("9 failed responses matched body pattern \"db_locked\"") &&
                             Contains("sample body: database is locked"));
}

TEST_CASE("hints: 4xx on one operation only: the load script's request", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("history.errors.status_4xx", 20);
    stage.extra["failure_samples"] = {
        {{"operation", "history"}, {"status", 400}, {"body", "{\"error\":\"bad cursor\"}"}}};
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("20 client errors (4xx) on operation \"history\" only") &&
                             Contains("the backend answered 400 {\"error\":\"bad cursor\"}"));
}

TEST_CASE("hints: validation answers on several operations, each with its body", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("send.errors.status_4xx", 4);
    stage.metrics.set("history.errors.status_4xx", 2);
    stage.extra["failure_samples"] = {
        {{"operation", "send"}, {"status", 422}, {"body", "text too long"}}};
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);  // history has no sample body
    CHECK_THAT(hints[0], StartsWith("operation \"send\": 4 requests rejected as invalid") &&
                             Contains("422 text too long"));
}

TEST_CASE("hints: p95 rising 3x with a latency miss: saturation", "[hints]") {
    StageReport previous = stage_with(100);
    previous.metrics.set("p95", 10);
    StageReport stage = stage_with(100);
    stage.metrics.set("p95", 50);
    stage.metrics.set("rps", 200);
    stage.metrics.set("avg", 40);
    CriterionResult missed;
    missed.criterion = *parse_criterion("p95 < 20ms", MetricCatalog{{"send", "history"}, {}, {}});
    missed.actual = 50;
    missed.pass = false;
    stage.criteria.push_back(missed);
    auto hints = root_cause_hints(chat_pipeline(), stage, &previous);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("p95 latency rose 5.0x from the previous stage") &&
                             Contains("in-flight = rps x mean latency = 8.0 requests"));
    stage.criteria[0].pass = true;  // latency within its target: not worth a hint
    CHECK(root_cause_hints(chat_pipeline(), stage, &previous).empty());
}

TEST_CASE("hints: timeouts while the backend was alive: saturated or blocked", "[hints]") {
    StageReport stage = stage_with(100);
    stage.metrics.set("errors.timeout", 30);
    auto hints = root_cause_hints(chat_pipeline(), stage, nullptr);
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], StartsWith("30 requests timed out while the backend was alive"));
    stage.metrics.set("backend.crashes", 1);  // a crash explains them instead
    CHECK(root_cause_hints(chat_pipeline(), stage, nullptr).empty());
}

TEST_CASE("hints: the next-stage recommendation follows the stages that ran", "[hints]") {
    RunReport report;
    CHECK(next_stage_recommendation(report) == "No stage ran to completion.");
    StageReport passed = stage_with(1000);
    passed.name = "ramp";
    passed.verdict = Verdict::pass;
    passed.vus = 10;
    passed.metrics.set("rps", 100);
    report.stages.push_back(passed);
    CHECK_THAT(next_stage_recommendation(report), Contains("ramp"));
    StageReport failed = stage_with(1000);
    failed.name = "peak";
    report.stages.push_back(failed);
    CHECK_THAT(next_stage_recommendation(report), Contains("peak"));
}
