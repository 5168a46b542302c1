// prom("PROMQL") OP VALUE [over WINDOW]: the quoting rules, the unit rule (Prometheus'
// base units) and every parse error.
#include <catch2/catch.hpp>

#include "criteria/criterion.hpp"
#include "support/criteria_parse.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

const MetricCatalog k_prom_catalog{{"send"}, {}, {}};

Criterion parse_prom(std::string_view text) {
    return test::parse_ok(text, k_prom_catalog);
}

std::string prom_error(std::string_view text) {
    return test::parse_error(text, k_prom_catalog);
}

}  // namespace

TEST_CASE("prom() takes the PromQL in double quotes, single quotes inside") {
    Criterion c = parse_prom(
        "prom(\"sum(rate(http_requests_total{code=~'5..'}[1m])) / "
        "sum(rate(http_requests_total[1m]))\") < 1%");
    CHECK(c.is_prom());
    CHECK(c.promql ==
          "sum(rate(http_requests_total{code=~'5..'}[1m])) / sum(rate(http_requests_total[1m]))");
    CHECK(c.metric.rfind("prom(\"sum(", 0) == 0);
    CHECK(c.metric.back() == ')');
    CHECK(c.op == CompareOp::lt);
    CHECK(c.target == Approx(0.01));
    CHECK(c.unit == MetricUnit::number);
    CHECK_FALSE(c.window);
}

TEST_CASE("prom() takes the PromQL in single quotes, double quotes inside") {
    Criterion c = parse_prom("prom('up{job=\"chat-backend\"}') == 1");
    CHECK(c.promql == "up{job=\"chat-backend\"}");
    CHECK(c.op == CompareOp::eq);
    CHECK(c.target == 1);
}

TEST_CASE("a backslash before the delimiting quote is a literal quote; other escapes stay") {
    CHECK(parse_prom(R"(prom("up{job=\"api\"}") == 1)").promql == R"(up{job="api"})");
    CHECK(parse_prom(R"(prom('up{job=\'api\'}') == 1)").promql == R"(up{job='api'})");
    // PromQL's own escapes pass through unchanged.
    CHECK(parse_prom(R"(prom("x{path=~'/a\\.b'}") < 1)").promql == R"(x{path=~'/a\\.b'})");
}

TEST_CASE("prom() values are in Prometheus' base units") {
    CHECK(parse_prom("prom(\"x\") < 1%").target == Approx(0.01));
    CHECK(parse_prom("prom(\"x\") < 250ms").target == Approx(0.25));
    CHECK(parse_prom("prom(\"x\") < 2s").target == Approx(2));
    CHECK(parse_prom("prom(\"x\") < 500us").target == Approx(0.0005));
    CHECK(parse_prom("prom(\"x\") < 1KB").target == Approx(1024));
    CHECK(parse_prom("prom(\"x\") < 2MB").target == Approx(2 * 1024 * 1024));
    CHECK(parse_prom("prom(\"x\") < 1GB").target == Approx(1024.0 * 1024 * 1024));
    CHECK(parse_prom("prom(\"x\") > 50/s").target == Approx(50));
    CHECK(parse_prom("prom(\"x\") < 0.25").target == Approx(0.25));
    CHECK(parse_prom("prom(\"x\") > -3").target == Approx(-3));  // a gauge may be negative
}

TEST_CASE("prom() takes a window, spaces around its parts, and keeps its text") {
    Criterion c = parse_prom("  prom ( \"rate(x[1m])\" )  <=  5   over 10s ");
    CHECK(c.promql == "rate(x[1m])");
    CHECK(c.op == CompareOp::le);
    REQUIRE(c.window);
    CHECK(*c.window == 10s);
    CHECK(c.expr == "prom ( \"rate(x[1m])\" )  <=  5   over 10s");
}

TEST_CASE("other criteria are not prom criteria") {
    CHECK_FALSE(parse_prom("p95 < 250ms").is_prom());
    CHECK(parse_prom("p95 < 250ms").promql.empty());
}

TEST_CASE("prom() parse errors say what is wrong and how to write it") {
    CHECK_THAT(prom_error("prom(up) < 1"), Catch::Contains("takes the PromQL in quotes"));
    CHECK_THAT(prom_error("prom(\"up) < 1"), Catch::Contains("has no closing \""));
    CHECK_THAT(prom_error("prom('up) < 1"), Catch::Contains("has no closing '"));
    // A quote of the same kind inside ends the query early.
    CHECK_THAT(prom_error(R"(prom("up{job="api"}") == 1)"),
               Catch::Contains("expected \")\" after the PromQL's closing \"") &&
                   Catch::Contains("use ' inside, or write \\\""));
    CHECK_THAT(prom_error("prom(\"  \") < 1"), Catch::Contains("has an empty query"));
    CHECK_THAT(prom_error("prom(\"up\")"), Catch::Contains("missing operator"));
    CHECK_THAT(prom_error("prom(\"up\") < "), Catch::Contains("missing value"));
    CHECK_THAT(
        prom_error("prom(\"up\") < 200MiB"),
        Catch::Contains("unit \"MiB\" does not fit prom(...)") && Catch::Contains("use %, s, ms"));
    CHECK_THAT(prom_error("prom(\"up\") < baseline + 10%"),
               Catch::Contains("takes a plain value, not a baseline formula"));
    CHECK_THAT(prom_error("prom(\"up\") < 1 over 500ms"), Catch::Contains("too short"));
    CHECK_THAT(prom_error("prom(\"up\") < 1 % more"), Catch::Contains("unexpected \"more\""));
    CHECK_THAT(prom_error("prom(\"" + std::string(5000, 'x') + "\") < 1"),
               Catch::Contains("longer than 4096 bytes"));
}

TEST_CASE("a metric merely named like prom is still a metric name") {
    // No "(" after it: the usual unknown-metric error, not the prom() grammar.
    CHECK_THAT(prom_error("prom < 1"), !Catch::Contains("PromQL"));
}
