// Baseline criteria: `send.p95 < baseline + 10%` and max()/min() floors. Parsing, unit
// checks, resolution against a baseline value, and evaluation ("no baseline data" fails).
#include <cmath>

#include <catch2/catch.hpp>

#include "criteria/criterion.hpp"
#include "support/criteria_parse.hpp"

using namespace orch;

namespace {

const MetricCatalog k_baseline_catalog{{"send", "history"}, {"prisma"}, {}};

Criterion parse_baseline(std::string_view text) {
    return test::parse_ok(text, k_baseline_catalog);
}

std::string baseline_error(std::string_view text) {
    return test::parse_error(text, k_baseline_catalog);
}

/// The target `text` gets from baseline value `baseline`.
double target_for(std::string_view text, double baseline) {
    Criterion c = parse_baseline(text);
    resolve_baseline(c, baseline, "");
    return c.target;
}

Snapshot snapshot_with(const std::string& metric, double value) {
    Snapshot snapshot;
    snapshot.set(metric, value);
    return snapshot;
}

}  // namespace

TEST_CASE("a baseline value parses into a formula; the target waits for the baseline") {
    Criterion c = parse_baseline("send.p95 < baseline + 10%");
    CHECK(c.metric == "send.p95");
    CHECK(c.op == CompareOp::lt);
    CHECK(c.unit == MetricUnit::milliseconds);
    REQUIRE(c.relative);
    CHECK(c.relative->pick == BaselineFormula::Pick::only);
    REQUIRE(c.relative->terms.size() == 1);
    CHECK(c.relative->terms[0].kind == BaselineTerm::Kind::percent);
    CHECK(c.relative->terms[0].amount == 10.0);
    CHECK(std::isnan(c.target));
    CHECK_FALSE(c.baseline);
    CHECK(c.lacks_baseline());

    CHECK_FALSE(parse_baseline("send.p95 < 250ms").relative);
    CHECK_FALSE(parse_baseline("send.p95 < 250ms").lacks_baseline());
}

TEST_CASE("each term computes its target from the baseline value") {
    CHECK(target_for("send.p95 < baseline + 10%", 200) == Approx(220));
    CHECK(target_for("send.p95 < baseline * 1.3", 200) == Approx(260));
    CHECK(target_for("send.p95 < baseline + 50ms", 200) == Approx(250));
    CHECK(target_for("send.p95 < baseline + 0.5s", 200) == Approx(700));
    CHECK(target_for("send.p95 < baseline + 500us", 200) == Approx(200.5));
    CHECK(target_for("send.p95 <= baseline", 200) == Approx(200));
    CHECK(target_for("rps > baseline - 5%", 400) == Approx(380));
    CHECK(target_for("rps > baseline - 20/s", 400) == Approx(380));
    CHECK(target_for("requests >= baseline - 100", 1000) == Approx(900));
    CHECK(target_for("backend.rss_peak < baseline + 512KB", 100) == Approx(100.5));
    // Whitespace is optional.
    CHECK(target_for("send.p95<baseline*1.5", 10) == Approx(15));
    CHECK(target_for("send.p95 < baseline+10 %", 10) == Approx(11));
}

TEST_CASE("% is percent of the baseline, a bare number is the metric's own unit") {
    // success_rate is itself a percentage: "- 1%" is 1% of the baseline value, "- 1" is one
    // percentage point.
    CHECK(target_for("success_rate > baseline - 1%", 90) == Approx(89.1));
    CHECK(target_for("success_rate > baseline - 1", 90) == Approx(89));
}

TEST_CASE("max() and min() pick between terms: floors and ceilings") {
    const char* floor = "send.p95 < max(baseline * 1.3, baseline + 50ms)";
    Criterion c = parse_baseline(floor);
    REQUIRE(c.relative);
    CHECK(c.relative->pick == BaselineFormula::Pick::max);
    CHECK(c.relative->terms.size() == 2);
    // A fast baseline: the absolute 50 ms budget wins; a slow one: the 30%.
    CHECK(target_for(floor, 20) == Approx(70));
    CHECK(target_for(floor, 400) == Approx(520));
    const char* ceiling = "send.p95 < min(baseline * 2, baseline + 100ms)";
    CHECK(target_for(ceiling, 20) == Approx(40));
    CHECK(target_for(ceiling, 400) == Approx(500));
    // Three terms and an absolute constant.
    CHECK(target_for("send.p95 < max(baseline * 1.1, baseline + 5ms, 30ms)", 10) == Approx(30));
    CHECK(target_for("send.p95 < max( baseline*1.1 ,baseline+5ms )", 100) == Approx(110));
}

TEST_CASE("a baseline value works with over WINDOW and keeps the expression as written") {
    Criterion c = parse_baseline("send.p95 < baseline * 1.5 over 10s");
    REQUIRE(c.window);
    CHECK(to_seconds(*c.window) == Approx(10));
    CHECK(c.expr == "send.p95 < baseline * 1.5 over 10s");
    resolve_baseline(c, 40.0, "");
    CHECK(c.target == Approx(60));
}

TEST_CASE("a baseline value that gives a target out of range counts as missing") {
    // Found by fuzz.criteria: the parsed formula is fine, the baseline run's value is huge.
    Criterion c = parse_baseline("send.p95 < baseline * 1000");
    resolve_baseline(c, 1e306, "");
    CHECK(c.lacks_baseline());
    CHECK(std::isnan(c.target));
    CHECK_THAT(c.baseline_missing, Catch::Contains("out of range"));
    CriterionResult result = evaluate(c, snapshot_with("send.p95", 5));
    CHECK_FALSE(result.pass);
    CHECK_THAT(result.note, Catch::StartsWith("no baseline data: the target computed from"));
    // The same formula on an ordinary value resolves again.
    resolve_baseline(c, 2.0, "");
    CHECK_FALSE(c.lacks_baseline());
    CHECK(c.target == Approx(2000));
}

TEST_CASE("units in a baseline value are checked against the metric") {
    CHECK_THAT(baseline_error("requests < baseline + 50ms"),
               Catch::Contains("unit \"ms\" does not fit requests"));
    CHECK_THAT(baseline_error("send.p95 < baseline + 5MB"),
               Catch::Contains("unit \"MB\" does not fit send.p95"));
    CHECK_THAT(baseline_error("send.p95 < max(baseline * 1.3, 5MB)"),
               Catch::Contains("unit \"MB\" does not fit send.p95"));
    CHECK_THAT(baseline_error("send.p95 < baseline * 1.3ms"),
               Catch::Contains("a factor takes no unit"));
    CHECK_THAT(baseline_error("send.p95 < baseline * 0"), Catch::Contains("must be above 0"));
    // The metric is still checked first-class: unknown operations get a did-you-mean.
    CHECK_THAT(baseline_error("sned.p95 < baseline + 10%"),
               Catch::Contains("did you mean \"send\""));
}

TEST_CASE("malformed baseline values get a message with an example") {
    CHECK_THAT(baseline_error("send.p95 < baseline +"), Catch::Contains("missing value"));
    CHECK_THAT(baseline_error("send.p95 < baseline + - 5ms"),
               Catch::Contains("write the sign once"));
    CHECK_THAT(baseline_error("send.p95 < baseline ^ 2"),
               Catch::Contains("e.g. baseline + 10%, baseline * 1.3"));
    CHECK_THAT(baseline_error("send.p95 < baseline / 2"), Catch::Contains("baseline * 0.5"));
    CHECK_THAT(baseline_error("send.p95 < max(baseline * 1.3)"),
               Catch::Contains("needs at least two terms"));
    CHECK_THAT(baseline_error("send.p95 < max(baseline * 1.3, baseline + 50ms"),
               Catch::Contains("expects \",\" or \")\" before the end"));
    CHECK_THAT(baseline_error("send.p95 < max(100ms, 200ms)"),
               Catch::Contains("does not use baseline"));
    CHECK_THAT(baseline_error("send.p95 < max(baseline * 1.3; 5ms)"),
               Catch::Contains("instead of"));
    // "baseline" must be the whole word.
    CHECK_THAT(baseline_error("send.p95 < baselines"), Catch::Contains("expected a number"));
}

TEST_CASE("a resolved baseline criterion passes or fails on its computed target") {
    Criterion c = parse_baseline("send.p95 < max(baseline * 1.5, baseline + 20ms)");
    resolve_baseline(c, 10.0, "");
    REQUIRE(c.baseline);
    CHECK(*c.baseline == 10.0);
    CHECK(c.target == Approx(30));
    CHECK_FALSE(c.lacks_baseline());

    CriterionResult unchanged = evaluate(c, snapshot_with("send.p95", 12));
    CHECK(unchanged.pass);
    CHECK(unchanged.margin.value_or(0) == Approx(30.0 / 12.0));
    CHECK(unchanged.note.empty());

    CriterionResult regressed = evaluate(c, snapshot_with("send.p95", 70));
    CHECK_FALSE(regressed.pass);
    CHECK(regressed.actual == 70.0);
}

TEST_CASE("without baseline data a baseline criterion fails, naming what is missing") {
    Criterion c = parse_baseline("send.p95 < baseline + 10%");
    resolve_baseline(c, std::nullopt, "stage \"smoke\" is not in the baseline run");
    CHECK(c.lacks_baseline());
    CHECK(std::isnan(c.target));
    CriterionResult result = evaluate(c, snapshot_with("send.p95", 1));
    CHECK_FALSE(result.pass);
    CHECK(result.actual == 1.0);  // the measured value is still shown
    CHECK(result.note == "no baseline data: stage \"smoke\" is not in the baseline run");

    // Unresolved (never given a baseline) fails the same way.
    CriterionResult never =
        evaluate(parse_baseline("rps > baseline - 5%"), snapshot_with("rps", 100));
    CHECK_FALSE(never.pass);
    CHECK(never.note == "no baseline data");

    // A value that is not finite counts as missing.
    Criterion nan_baseline = parse_baseline("rps > baseline - 5%");
    resolve_baseline(nan_baseline, std::nan(""), "no rps");
    CHECK(nan_baseline.lacks_baseline());
}

TEST_CASE("resolve_baseline leaves an absolute criterion alone") {
    Criterion c = parse_baseline("send.p95 < 250ms");
    resolve_baseline(c, 10.0, "");
    CHECK(c.target == 250.0);
    CHECK_FALSE(c.baseline);
}
