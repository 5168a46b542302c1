#include "report/capacity.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

using namespace orch;

namespace {

std::vector<CapacityPoint> synthetic(double lambda, double sigma, double kappa,
                                     const std::vector<double>& concurrencies,
                                     const std::vector<double>& noise = {}) {
    std::vector<CapacityPoint> points;
    UslFit truth{lambda, sigma, kappa, 0};
    for (std::size_t i = 0; i < concurrencies.size(); ++i) {
        CapacityPoint p;
        p.stage = "s" + std::to_string(i + 1);
        p.concurrency = concurrencies[i];
        p.vus = static_cast<int>(concurrencies[i]);
        p.throughput =
            usl_throughput(truth, concurrencies[i]) * (i < noise.size() ? 1 + noise[i] : 1);
        p.in_flight = concurrencies[i];
        points.push_back(p);
    }
    return points;
}

bool within(double actual, double expected, double share) {
    return std::abs(actual - expected) <= share * std::abs(expected);
}

}  // namespace

TEST_CASE("capacity: the fit recovers known sigma and kappa from exact points", "[capacity]") {
    struct Case {
        double lambda, sigma, kappa;
        std::vector<double> n;
    };
    for (const Case& c :
         {Case{100, 0.05, 0.002, {1, 2, 4, 8, 16, 32}}, Case{40, 0.2, 0.0005, {1, 5, 10, 20, 40}},
          Case{250, 0.01, 0.01, {2, 4, 6, 8, 12}}}) {
        auto fit = fit_usl(synthetic(c.lambda, c.sigma, c.kappa, c.n));
        REQUIRE(fit.has_value());
        CHECK(within(fit->sigma, c.sigma, 0.05));
        CHECK(within(fit->kappa, c.kappa, 0.05));
        CHECK(within(fit->lambda, c.lambda, 0.05));
        CHECK(fit->fit_error < 0.001);
        auto peak = usl_peak_concurrency(*fit);
        REQUIRE(peak.has_value());
        CHECK(within(*peak, std::sqrt((1 - c.sigma) / c.kappa), 0.05));
    }
}

TEST_CASE("capacity: the fit stays close on noisy points", "[capacity]") {
    // +-2% deterministic noise on 8 points around a peak at N* = sqrt(0.9/0.001) = 30.
    auto points = synthetic(50, 0.1, 0.001, {1, 4, 8, 16, 24, 32, 48, 64},
                            {0.02, -0.015, 0.01, -0.02, 0.015, -0.01, 0.02, -0.015});
    auto fit = fit_usl(points);
    REQUIRE(fit.has_value());
    CHECK(within(fit->sigma, 0.1, 0.05));
    CHECK(within(fit->kappa, 0.001, 0.05));
    CHECK(fit->fit_error > 0.005);
    CHECK(fit->fit_error < 0.03);
    auto peak = usl_peak_concurrency(*fit);
    REQUIRE(peak.has_value());
    CHECK(within(*peak, 30, 0.05));
}

TEST_CASE("capacity: fewer than three stages are refused, with the reason", "[capacity]") {
    auto two = synthetic(100, 0.05, 0.002, {1, 2});
    auto fit = fit_usl(two);
    REQUIRE_FALSE(fit.has_value());
    CHECK(fit.error().message.find("2 stages") != std::string::npos);
    CHECK(fit.error().message.find("three or more") != std::string::npos);

    CapacityAnalysis a = analyse_capacity(two);
    CHECK_FALSE(a.fit.has_value());
    CHECK(capacity_json(a).is_null());
    CHECK(capacity_summary(a).find("No capacity fit: 2 stages") == 0);
}

TEST_CASE("capacity: degenerate data", "[capacity]") {
    SECTION("all stages at the same concurrency") {
        auto fit = fit_usl(synthetic(100, 0, 0, {4, 4, 4, 4}));
        REQUIRE_FALSE(fit.has_value());
        CHECK(fit.error().message.find("fewer than three different concurrencies") !=
              std::string::npos);
    }
    SECTION("no successful request at all") {
        auto points = synthetic(100, 0, 0, {1, 2, 4});
        for (auto& p : points) {
            p.throughput = 0;
        }
        CHECK_FALSE(fit_usl(points).has_value());
    }
    SECTION("linear scaling: kappa 0, no peak within reach, double the largest stage") {
        CapacityAnalysis a = analyse_capacity(synthetic(10, 0, 0, {1, 2, 4, 8}));
        REQUIRE(a.fit.has_value());
        CHECK(a.fit->kappa == 0);
        CHECK(a.fit->sigma < 1e-6);
        CHECK_FALSE(a.peak_concurrency.has_value());
        CHECK(capacity_summary(a).find("No peak within reach") == 0);
        REQUIRE(a.next_stage.has_value());
        CHECK(a.next_stage->vus == 16);
        auto j = capacity_json(a);
        CHECK(j["peak_concurrency"].is_null());
        CHECK(j["peak_throughput"].is_null());
        CHECK(j["next_stage"]["vus"] == 16);
    }
    SECTION("all throughputs equal: levelled off, no growth to wait for") {
        auto points = synthetic(10, 0, 0, {1, 2, 4, 8});
        for (auto& p : points) {
            p.throughput = 100;
        }
        CapacityAnalysis a = analyse_capacity(points);
        REQUIRE(a.fit.has_value());
        CHECK(a.fit->sigma > 0.99);
        CHECK(a.fit->kappa == 0);
        CHECK_FALSE(a.peak_concurrency.has_value());
        REQUIRE(a.next_stage.has_value());
        CHECK(a.next_stage->vus == 1);
        CHECK(a.next_stage->reason.find("levels off at about 100") != std::string::npos);
    }
}

TEST_CASE("capacity: where the stages sit and what comes next", "[capacity]") {
    SECTION("all stages below the peak: step towards it, at most doubling") {
        // N* = sqrt(0.95/0.0001) ~ 97.5
        CapacityAnalysis a = analyse_capacity(synthetic(100, 0.05, 0.0001, {1, 5, 10, 20}));
        REQUIRE(a.peak_concurrency.has_value());
        CHECK(within(*a.peak_concurrency, 97.47, 0.05));
        REQUIRE(a.next_stage.has_value());
        CHECK(a.next_stage->vus == 40);
        CHECK(a.positions.front() == CurvePosition::scaling);
    }
    SECTION("the largest stage past the peak: the next stage is the peak") {
        // N* = sqrt(0.9/0.01) = 9.49
        CapacityAnalysis a = analyse_capacity(synthetic(100, 0.1, 0.01, {1, 4, 8, 16, 32}));
        REQUIRE(a.peak_concurrency.has_value());
        CHECK(a.positions.back() == CurvePosition::past_peak);
        CHECK(a.positions[2] == CurvePosition::near_peak);
        REQUIRE(a.next_stage.has_value());
        CHECK(a.next_stage->vus == 9);
        CHECK(a.next_stage->reason.find("past the peak") != std::string::npos);
        auto j = capacity_json(a);
        CHECK(j["model"] == "usl");
        CHECK(j["stages"].size() == 5);
        CHECK(j["stages"][4]["position"] == "past peak");
    }
    SECTION("open model: the next stage is a rate") {
        auto points = synthetic(100, 0.1, 0.01, {1, 4, 8, 16});
        for (auto& p : points) {
            p.open_model = true;
            p.vus.reset();
        }
        CapacityAnalysis a = analyse_capacity(points);
        REQUIRE(a.next_stage.has_value());
        CHECK(a.next_stage->open_model);
        auto j = capacity_json(a);
        CHECK(j["next_stage"]["vus"].is_null());
        CHECK(j["next_stage"]["rate"].get<std::string>().find("/s") != std::string::npos);
        CHECK(j["stages"][0]["littles_law_ratio"].is_null());
    }
}

TEST_CASE("capacity: points come from the stages that ran, Little's law per stage", "[capacity]") {
    RunReport report;
    auto stage = [&](std::string name, int vus, double rps, double avg_ms, Verdict v) {
        StageReport s;
        s.name = std::move(name);
        s.vus = vus;
        s.verdict = v;
        s.metrics.set("rps", rps);
        s.metrics.set("avg", avg_ms);
        s.metrics.set("success_rate", 50.0);
        report.stages.push_back(s);
    };
    stage("one", 1, 100, 10, Verdict::pass);
    stage("two", 2, 150, 10, Verdict::pass);
    stage("skipped", 8, 0, 0, Verdict::skipped);
    auto points = capacity_points(report);
    REQUIRE(points.size() == 2);
    CHECK(points[1].concurrency == 2);
    CHECK(points[1].throughput == 75);  // goodput: half of them failed
    CHECK(points[1].in_flight == Approx(1.5));
    CHECK(littles_law_ratio(points[1]) == Approx(0.75));
    CHECK_FALSE(to_json(report).contains("capacity"));
    stage("four", 4, 180, 20, Verdict::fail);
    CHECK(to_json(report)["capacity"]["model"] == "usl");
}

TEST_CASE("capacity: an open-model stage's concurrency is its measured in flight", "[capacity]") {
    RunReport report;
    StageReport s;
    s.name = "open";
    s.verdict = Verdict::pass;
    s.rate = "200/s";
    s.max_vus = 50;
    s.metrics.set("rps", 200);
    s.metrics.set("avg", 25);  // 200/s x 25 ms = 5 in flight
    report.stages.push_back(s);
    auto points = capacity_points(report);
    REQUIRE(points.size() == 1);
    CHECK(points[0].open_model);
    CHECK(points[0].concurrency == Approx(5));
    CHECK_FALSE(points[0].vus.has_value());
    CHECK_FALSE(littles_law_ratio(points[0]).has_value());
}

TEST_CASE("capacity: a stage without load (observe) or without latency is no point", "[capacity]") {
    RunReport report;
    StageReport watch;
    watch.name = "watch";
    watch.verdict = Verdict::pass;
    report.stages.push_back(watch);
    StageReport zero = watch;
    zero.name = "zero";
    zero.vus = 4;
    zero.metrics.set("rps", 0);
    report.stages.push_back(zero);
    CHECK(capacity_points(report).empty());
    CHECK(analyse_capacity(report).why_no_fit.find("0 stages") == 0);
}

TEST_CASE("capacity: a ramped closed-model stage counts its mean active VUs", "[capacity]") {
    RunReport report;
    StageReport s;
    s.name = "ramp";
    s.verdict = Verdict::pass;
    s.vus = 10;
    s.metrics.set("rps", 100);
    s.metrics.set("avg", 50);
    for (int vus : {2, 4, 6, 8, 10, 10, 0}) {
        SeriesPoint point;
        point.vus = vus;
        s.series.push_back(point);
    }
    report.stages.push_back(s);
    StageReport flat = s;
    flat.name = "flat";
    for (auto& point : flat.series) {
        point.vus = point.vus > 0 ? 10 : 0;  // the last second, VUs stopping, has none
    }
    report.stages.push_back(flat);
    auto points = capacity_points(report);
    REQUIRE(points.size() == 2);
    CHECK(points[0].concurrency == Approx(40.0 / 6));
    CHECK(points[1].concurrency == 10);
}
