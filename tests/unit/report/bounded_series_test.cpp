#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report/bounded_series.hpp"
#include "report/run_report.hpp"

using namespace orch;

namespace {

// Second `t` of a synthetic stage: a load that varies, with errors every 7th second and
// a latency spike at second 5000.
SeriesPoint second(int t) {
    SeriesPoint p;
    p.t_s = t;
    p.rps = 100 + (t % 13);
    p.errors = t % 7 == 0 ? 3 : 0;
    p.p50 = 10;
    p.p95 = t == 5000 ? 900.0 : 40.0;
    p.p99 = 80;
    p.rss_mb = 50 + t * 0.001;
    p.vus = 20;
    OperationPoint send;
    send.rps = p.rps * 0.7;
    send.errors = p.errors;
    send.p95 = *p.p95;
    p.operations.emplace("send", send);
    if (t % 2 == 0) {  // history sends only every other second
        OperationPoint history;
        history.rps = 10;
        history.p95 = 20;
        p.operations.emplace("history", history);
    }
    return p;
}

}  // namespace

TEST_CASE("a 2-hour stage series is downsampled to the limit with totals preserved") {
    constexpr int k_seconds = 2 * 3600;
    BoundedSeries series;
    double requests = 0;
    double errors = 0;
    double send_requests = 0;
    double history_requests = 0;
    for (int t = 1; t <= k_seconds; ++t) {
        SeriesPoint p = second(t);
        requests += p.rps;
        errors += p.errors;
        send_requests += p.operations.at("send").rps;
        history_requests += p.operations.count("history") ? p.operations.at("history").rps : 0;
        series.add(p);
    }
    std::vector<SeriesPoint> points = series.points();
    REQUIRE(points.size() <= k_series_point_limit);
    CHECK(points.size() > k_series_point_limit / 2);
    std::size_t width = series.bucket_intervals();
    CHECK(width == 16);  // 7200 s / 600 -> 12, rounded up to a power of two

    // Each full point covers `width` seconds; the last covers what is left.
    double merged_requests = 0;
    double merged_errors = 0;
    double merged_send = 0;
    double merged_history = 0;
    double peak_p95 = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        double covers = i + 1 < points.size()
                            ? static_cast<double>(width)
                            : static_cast<double>(k_seconds - width * (points.size() - 1));
        merged_requests += points[i].rps * covers;
        merged_errors += points[i].errors;
        merged_send += points[i].operations.at("send").rps * covers;
        merged_history += points[i].operations.at("history").rps * covers;
        peak_p95 = std::max(peak_p95, points[i].p95.value_or(0));
        CHECK(points[i].t_s == Approx(std::min<double>((i + 1) * width, k_seconds)));
    }
    CHECK(merged_requests == Approx(requests).epsilon(1e-9));
    CHECK(merged_errors == errors);
    CHECK(merged_send == Approx(send_requests).epsilon(1e-9));
    CHECK(merged_history == Approx(history_requests).epsilon(1e-9));
    CHECK(peak_p95 == 900.0);  // a one-second spike survives as the bucket's worst second
    CHECK(points.back().rss_mb == Approx(50 + k_seconds * 0.001));
}

TEST_CASE("a short series is kept second by second") {
    BoundedSeries series;
    for (int t = 1; t <= 30; ++t) {
        series.add(second(t));
    }
    CHECK(series.points().size() == 30);
    CHECK(series.bucket_intervals() == 1);
    CHECK(series.points()[3].p95 == 40.0);
}

TEST_CASE("the bucket width and per-operation points survive results.json") {
    RunReport report;
    StageReport stage;
    stage.name = "long";
    stage.verdict = Verdict::pass;
    stage.operations = {"send", "history"};
    BoundedSeries series(10);
    for (int t = 1; t <= 45; ++t) {
        series.add(second(t));
    }
    stage.series = series.points();
    stage.series_bucket_s = static_cast<double>(series.bucket_intervals());
    stage.cooldown_s = 2;
    report.stages.push_back(stage);
    nlohmann::json json = to_json(report);
    CHECK(json["stages"][0]["series_bucket_s"] == 8);
    CHECK(json["stages"][0]["cooldown_s"] == 2);
    CHECK(json["stages"][0]["series"].size() <= 10);
    CHECK(json["stages"][0]["series"][0]["operations"]["history"]["p95"] == 20);
    auto back = run_report_from_json(json);
    REQUIRE(back);
    CHECK(back->stages[0].series_bucket_s == 8);
    CHECK(back->stages[0].cooldown_s == 2);
    CHECK(back->stages[0].series.size() == stage.series.size());
    CHECK(back->stages[0].series[0].operations.at("send").rps ==
          Approx(stage.series[0].operations.at("send").rps));
}

TEST_CASE("downsampling keeps succeeded and failed quantiles as the worst second's") {
    BoundedSeries series(4);
    for (int t = 1; t <= 16; ++t) {
        SeriesPoint p = second(t);
        p.succeeded_p50 = 10;
        p.succeeded_p95 = t == 6 ? 300.0 : 50.0;
        p.succeeded_p99 = 90;
        if (t % 3 == 0) {  // failures only in some seconds
            p.failed_p50 = 1;
            p.failed_p95 = t;
            p.failed_p99 = 4;
        }
        series.add(p);
    }
    std::vector<SeriesPoint> points = series.points();
    REQUIRE(points.size() == 4);
    REQUIRE(series.bucket_intervals() == 4);
    // Seconds 1-4, 5-8, 9-12, 13-16.
    CHECK(points[0].succeeded_p95 == 50.0);
    CHECK(points[1].succeeded_p95 == 300.0);
    CHECK(points[0].failed_p95 == 3.0);
    CHECK(points[1].failed_p95 == 6.0);
    CHECK(points[2].failed_p95 == 12.0);
    CHECK(points[3].failed_p95 == 15.0);
    CHECK(points[3].failed_p99 == 4.0);
    CHECK(points[3].succeeded_p99 == 90.0);

    // A point without failed responses merged with one without stays without.
    SeriesPoint a = second(1);
    SeriesPoint b = second(2);
    merge_series_point(a, 1, b, 1);
    CHECK_FALSE(a.failed_p95);
}
