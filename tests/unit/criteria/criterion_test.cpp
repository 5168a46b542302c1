#include "criteria/criterion.hpp"

#include <catch2/catch.hpp>

using namespace orch;

namespace {

Criterion criterion(std::string metric, CompareOp op, double target) {
    Criterion c;
    c.expr = metric + " " + std::string(to_string(op)) + " " + std::to_string(target);
    c.name = c.expr;
    c.metric = std::move(metric);
    c.op = op;
    c.target = target;
    return c;
}

}  // namespace

TEST_CASE("operators and units have their written forms") {
    CHECK(to_string(CompareOp::lt) == "<");
    CHECK(to_string(CompareOp::le) == "<=");
    CHECK(to_string(CompareOp::gt) == ">");
    CHECK(to_string(CompareOp::ge) == ">=");
    CHECK(to_string(CompareOp::eq) == "==");
    CHECK(to_string(CompareOp::ne) == "!=");
    CHECK(unit_label(MetricUnit::count).empty());
    CHECK(unit_label(MetricUnit::per_second) == "/s");
    CHECK(unit_label(MetricUnit::percent) == "%");
    CHECK(unit_label(MetricUnit::milliseconds) == "ms");
    CHECK(unit_label(MetricUnit::megabytes) == "MB");
    CHECK(unit_label(MetricUnit::number).empty());
}

TEST_CASE("compare applies each operator") {
    CHECK(compare(CompareOp::lt, 1, 2));
    CHECK_FALSE(compare(CompareOp::lt, 2, 2));
    CHECK(compare(CompareOp::le, 2, 2));
    CHECK_FALSE(compare(CompareOp::le, 3, 2));
    CHECK(compare(CompareOp::gt, 3, 2));
    CHECK_FALSE(compare(CompareOp::gt, 2, 2));
    CHECK(compare(CompareOp::ge, 2, 2));
    CHECK_FALSE(compare(CompareOp::ge, 1, 2));
    CHECK(compare(CompareOp::eq, 0, 0));
    CHECK_FALSE(compare(CompareOp::eq, 1, 0));
    CHECK(compare(CompareOp::eq, 0.1 + 0.2, 0.3));  // equal within rounding
    CHECK(compare(CompareOp::ne, 1, 0));
    CHECK_FALSE(compare(CompareOp::ne, 0.1 + 0.2, 0.3));
    CHECK_FALSE(compare(CompareOp::lt, std::nan(""), 5));
    CHECK_FALSE(compare(CompareOp::ne, std::nan(""), 5));
}

TEST_CASE("worse_of picks the value worse for the operator") {
    CHECK(worse_of(CompareOp::lt, 250, 100, 300) == 300);
    CHECK(worse_of(CompareOp::le, 250, 300, 100) == 300);
    CHECK(worse_of(CompareOp::gt, 99, 99.5, 98) == 98);
    CHECK(worse_of(CompareOp::ge, 99, 98, 99.5) == 98);
    CHECK(worse_of(CompareOp::eq, 0, 0, 3) == 3);
    CHECK(worse_of(CompareOp::eq, 10, 8, 11) == 8);
    CHECK(worse_of(CompareOp::ne, 0, 3, 0) == 0);
    CHECK(worse_of(CompareOp::ne, 0, 0, 3) == 0);
}

TEST_CASE("evaluate reads the snapshot and computes the margin") {
    Snapshot snapshot;
    snapshot.set("send.p95", 125);
    snapshot.set("success_rate", 99.5);
    snapshot.set("errors", 0);
    snapshot.set("p99", 500);

    CriterionResult fast = evaluate(criterion("send.p95", CompareOp::lt, 250), snapshot);
    CHECK(fast.pass);
    CHECK(fast.actual == 125.0);
    REQUIRE(fast.margin);
    CHECK(*fast.margin == 2.0);  // twice as good as the target
    CHECK(fast.note.empty());
    CHECK(fast.criterion.metric == "send.p95");

    CriterionResult slow = evaluate(criterion("p99", CompareOp::le, 250), snapshot);
    CHECK_FALSE(slow.pass);
    REQUIRE(slow.margin);
    CHECK(*slow.margin == 0.5);  // twice as bad

    CriterionResult rate = evaluate(criterion("success_rate", CompareOp::gt, 99), snapshot);
    CHECK(rate.pass);
    REQUIRE(rate.margin);
    CHECK(*rate.margin == Approx(99.5 / 99));

    CriterionResult zero = evaluate(criterion("errors", CompareOp::eq, 0), snapshot);
    CHECK(zero.pass);
    CHECK(zero.actual == 0.0);
    CHECK_FALSE(zero.margin);  // no margin for == and !=, nor for a zero actual or target

    CriterionResult zero_actual = evaluate(criterion("errors", CompareOp::lt, 5), snapshot);
    CHECK(zero_actual.pass);
    CHECK_FALSE(zero_actual.margin);
    CriterionResult zero_target = evaluate(criterion("p99", CompareOp::ge, 0), snapshot);
    CHECK(zero_target.pass);
    CHECK_FALSE(zero_target.margin);
    CriterionResult ne = evaluate(criterion("p99", CompareOp::ne, 100), snapshot);
    CHECK(ne.pass);
    CHECK_FALSE(ne.margin);
}

TEST_CASE("a metric without data never passes") {
    Snapshot snapshot;
    snapshot.set("history.requests", 0);
    for (CompareOp op : {CompareOp::lt, CompareOp::le, CompareOp::gt, CompareOp::ge, CompareOp::eq,
                         CompareOp::ne}) {
        CriterionResult result = evaluate(criterion("history.p95", op, 250), snapshot);
        CHECK_FALSE(result.pass);
        CHECK_FALSE(result.actual);
        CHECK_FALSE(result.margin);
        CHECK(result.note == "no data");
    }
}

TEST_CASE("a parsed criterion evaluates against a summarized stage") {
    MetricCatalog catalog{{"send", "history"}, {"prisma"}, {}};
    StageMetrics metrics(2, 1);
    for (int i = 1; i <= 100; ++i) {
        RequestSample sample;
        sample.operation = 0;
        sample.status = 201;
        sample.latency_us = i * 1'000;
        sample.latency_uncorrected_us = sample.latency_us;
        metrics.record(sample);
    }
    Snapshot snapshot =
        summarize(metrics, MetricNames{catalog.operations, catalog.body_patterns, {}}, 10.0);
    auto p95 = parse_criterion("send.p95 < 0.25s", catalog);
    REQUIRE(p95);
    CriterionResult result = evaluate(*p95, snapshot);
    CHECK(result.pass);
    REQUIRE(result.actual);
    CHECK(*result.actual == Approx(95.0).epsilon(0.01));

    auto history = parse_criterion("history.p95 < 250ms", catalog);
    REQUIRE(history);
    CriterionResult none = evaluate(*history, snapshot);
    CHECK_FALSE(none.pass);
    CHECK(none.note == "no data");

    auto rps = parse_criterion("rps >= 10/s", catalog);
    REQUIRE(rps);
    CHECK(evaluate(*rps, snapshot).pass);
    auto prisma = parse_criterion("errors.body.prisma == 0", catalog);
    REQUIRE(prisma);
    CHECK(evaluate(*prisma, snapshot).pass);
}
