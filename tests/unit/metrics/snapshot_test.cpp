#include "metrics/snapshot.hpp"

#include <catch2/catch.hpp>

using namespace orch;

namespace {

const MetricNames k_names{{"send", "history"}, {"prisma", "timeout_text"}, {}};

RequestSample response(std::uint32_t operation, std::int64_t latency_us, std::uint16_t status = 200,
                       ErrorKind error = ErrorKind::none) {
    RequestSample s;
    s.operation = operation;
    s.status = status;
    s.error = error;
    s.latency_us = latency_us;
    s.latency_uncorrected_us = latency_us;
    return s;
}

RequestSample no_response(std::uint32_t operation, ErrorKind error) {
    RequestSample s;
    s.operation = operation;
    s.error = error;
    return s;
}

double value(const Snapshot& snapshot, std::string_view name) {
    auto v = snapshot.get(name);
    INFO("metric " << name);
    REQUIRE(v.has_value());
    return *v;
}

}  // namespace

TEST_CASE("snapshot get returns nullopt for names without data") {
    Snapshot snapshot;
    CHECK_FALSE(snapshot.get("p95"));
    snapshot.set("p95", 12.5);
    CHECK(snapshot.get("p95") == 12.5);
    snapshot.set("p95", 13.0);
    CHECK(snapshot.get("p95") == 13.0);
    CHECK(snapshot.values().size() == 1);
}

TEST_CASE("request metric names are the SPEC's criteria names") {
    std::vector<std::string> expected = {"requests",
                                         "rps",
                                         "success_rate",
                                         "error_rate",
                                         "min",
                                         "avg",
                                         "p50",
                                         "p75",
                                         "p90",
                                         "p95",
                                         "p99",
                                         "p999",
                                         "max",
                                         "errors",
                                         "errors.connection_refused",
                                         "errors.timeout",
                                         "errors.connection_reset",
                                         "errors.connection_closed",
                                         "errors.dns",
                                         "errors.tls",
                                         "errors.status_4xx",
                                         "errors.status_429",
                                         "errors.status_5xx",
                                         "errors.expect",
                                         "errors.interrupted",
                                         "errors.other",
                                         "errors.generator",
                                         "timing.blocked",
                                         "timing.connecting",
                                         "timing.tls",
                                         "timing.sending",
                                         "timing.waiting",
                                         "timing.receiving",
                                         "dropped",
                                         "scheduled",
                                         "iterations"};
    CHECK(request_metric_names() == expected);
}

TEST_CASE("summarize gives totals in the SPEC's units") {
    StageMetrics metrics(2, 2);
    for (int i = 1; i <= 100; ++i) {
        metrics.record(response(0, i * 1'000));  // send: 1..100 ms
    }
    RequestSample prisma = response(1, 200'000, 500, ErrorKind::status_5xx);
    prisma.body_pattern_mask = 0b01;
    metrics.record(prisma);
    metrics.record(response(1, 1'000, 429, ErrorKind::status_429));
    metrics.record(response(1, 1'000, 404, ErrorKind::status_4xx));
    metrics.record(no_response(1, ErrorKind::connection_refused));
    metrics.count_scheduled(110);
    metrics.count_dropped(6);
    metrics.count_iteration(52);

    Snapshot s = summarize(metrics, k_names, 2.0);
    CHECK(value(s, "requests") == 104);
    CHECK(value(s, "rps") == 52);
    CHECK(value(s, "success_rate") == Approx(100.0 * 100 / 104));
    CHECK(value(s, "error_rate") == Approx(100.0 * 4 / 104));
    CHECK(value(s, "errors") == 4);
    CHECK(value(s, "errors.status_4xx") == 2);  // 404 and 429: a 429 is a 4xx too
    CHECK(value(s, "errors.status_429") == 1);
    CHECK(value(s, "errors.status_5xx") == 1);
    CHECK(value(s, "errors.connection_refused") == 1);
    for (auto name :
         {"errors.timeout", "errors.connection_reset", "errors.connection_closed", "errors.dns",
          "errors.tls", "errors.expect", "errors.interrupted", "errors.other"}) {
        CHECK(value(s, name) == 0);
    }
    CHECK(value(s, "errors.body.prisma") == 1);
    CHECK(value(s, "errors.body.timeout_text") == 0);
    // 103 responses: 1, 1, 1..100, 200 ms.
    CHECK(value(s, "min") == 1.0);
    CHECK(value(s, "max") == 200.0);
    CHECK(value(s, "avg") == Approx((5050.0 + 200 + 1 + 1) / 103));
    CHECK(value(s, "p50") == Approx(50.0).epsilon(0.01));
    CHECK(value(s, "p75") == Approx(76.0).epsilon(0.01));
    CHECK(value(s, "p90") == Approx(91.0).epsilon(0.01));
    CHECK(value(s, "p95") == Approx(96.0).epsilon(0.01));
    CHECK(value(s, "p99") == Approx(100.0).epsilon(0.01));
    CHECK(value(s, "p999") == 200.0);
    CHECK(value(s, "scheduled") == 110);
    CHECK(value(s, "dropped") == 6);
    CHECK(value(s, "iterations") == 52);
    CHECK_FALSE(s.get("timing.waiting"));           // no phases were measured
    CHECK_FALSE(s.get("latency_uncorrected.p95"));  // closed model: nothing differs
}

TEST_CASE("summarize gives each operation the same names with a prefix") {
    StageMetrics metrics(2, 2);
    for (int i = 1; i <= 100; ++i) {
        metrics.record(response(0, i * 1'000));
    }
    RequestSample prisma = response(1, 200'000, 500, ErrorKind::status_5xx);
    prisma.body_pattern_mask = 0b01;
    metrics.record(prisma);
    metrics.record(no_response(1, ErrorKind::timeout));
    metrics.count_dropped(1);

    Snapshot s = summarize(metrics, k_names, 2.0);
    CHECK(value(s, "send.requests") == 100);
    CHECK(value(s, "send.rps") == 50);
    CHECK(value(s, "send.success_rate") == 100);
    CHECK(value(s, "send.error_rate") == 0);
    CHECK(value(s, "send.errors") == 0);
    CHECK(value(s, "send.errors.status_5xx") == 0);
    CHECK(value(s, "send.errors.body.prisma") == 0);
    CHECK(value(s, "send.max") == 100);
    CHECK(value(s, "send.p95") == Approx(95.0).epsilon(0.01));
    CHECK(value(s, "history.requests") == 2);
    CHECK(value(s, "history.success_rate") == 0);
    CHECK(value(s, "history.error_rate") == 100);
    CHECK(value(s, "history.errors") == 2);
    CHECK(value(s, "history.errors.timeout") == 1);
    CHECK(value(s, "history.errors.status_5xx") == 1);
    CHECK(value(s, "history.errors.body.prisma") == 1);
    CHECK(value(s, "history.min") == 200);
    CHECK(value(s, "history.p50") == 200);
    // Stage-level counters exist only as totals.
    CHECK_FALSE(s.get("send.dropped"));
    CHECK_FALSE(s.get("send.scheduled"));
    CHECK_FALSE(s.get("send.iterations"));
}

TEST_CASE("an operation that sent nothing gets only OP.requests = 0") {
    MetricNames names{{"send", "history", "receipt"}, {"prisma"}, {}};
    StageMetrics metrics(3, 1);
    metrics.record(response(0, 1'000));
    Snapshot s = summarize(metrics, names, 1.0);
    CHECK(value(s, "history.requests") == 0);
    CHECK(value(s, "receipt.requests") == 0);
    for (const auto& [name, v] : s.values()) {
        if (name.rfind("history.", 0) == 0 || name.rfind("receipt.", 0) == 0) {
            CHECK((name == "history.requests" || name == "receipt.requests"));
        }
    }
    CHECK_FALSE(s.get("history.p95"));
    CHECK_FALSE(s.get("history.success_rate"));
    CHECK_FALSE(s.get("history.errors"));

    // Names beyond the metrics' operations (a mismatch) also read as no requests.
    StageMetrics fewer(1, 1);
    fewer.record(response(0, 1'000));
    Snapshot t = summarize(fewer, names, 1.0);
    CHECK(value(t, "receipt.requests") == 0);
    CHECK(value(t, "send.requests") == 1);
}

TEST_CASE("a stage without requests has no rates and no latency") {
    StageMetrics metrics(1, 1);
    metrics.count_scheduled(3);
    metrics.count_dropped(3);
    Snapshot s = summarize(metrics, MetricNames{{"send"}, {"prisma"}, {}}, 10.0);
    CHECK(value(s, "requests") == 0);
    CHECK(value(s, "rps") == 0);
    CHECK(value(s, "errors") == 0);
    CHECK(value(s, "dropped") == 3);
    CHECK(value(s, "scheduled") == 3);
    for (auto name : {"success_rate", "error_rate", "min", "avg", "p50", "p95", "p999", "max",
                      "timing.waiting"}) {
        INFO(name);
        CHECK_FALSE(s.get(name));
    }
    CHECK(value(s, "send.requests") == 0);
}

TEST_CASE("requests without any response have rates but no latency") {
    StageMetrics metrics(1, 0);
    for (int i = 0; i < 3; ++i) {
        metrics.record(no_response(0, ErrorKind::connection_refused));
    }
    Snapshot s = summarize(metrics, MetricNames{{"send"}, {}, {}}, 1.0);
    CHECK(value(s, "requests") == 3);
    CHECK(value(s, "success_rate") == 0);
    CHECK(value(s, "error_rate") == 100);
    CHECK(value(s, "errors.connection_refused") == 3);
    CHECK(value(s, "send.errors.connection_refused") == 3);
    CHECK_FALSE(s.get("p95"));
    CHECK_FALSE(s.get("send.p95"));
    CHECK_FALSE(s.get("min"));
}

TEST_CASE("phase times appear in ms when phases were measured") {
    StageMetrics metrics(1, 0);
    RequestSample sample = response(0, 10'000);
    sample.has_phases = true;
    sample.phases = PhaseTimes{100, 200, 300, 400, 8'000, 1'000};
    metrics.record(sample);
    Snapshot s = summarize(metrics, MetricNames{{"send"}, {}, {}}, 1.0);
    CHECK(value(s, "timing.blocked") == Approx(0.1));
    CHECK(value(s, "timing.connecting") == Approx(0.2));
    CHECK(value(s, "timing.tls") == Approx(0.3));
    CHECK(value(s, "timing.sending") == Approx(0.4));
    CHECK(value(s, "timing.waiting") == Approx(8.0));
    CHECK(value(s, "timing.receiving") == Approx(1.0));
    CHECK(value(s, "send.timing.waiting") == Approx(8.0));
}

TEST_CASE("the uncorrected latency is reported when it differs (open model)") {
    StageMetrics metrics(1, 0);
    for (int i = 1; i <= 100; ++i) {
        RequestSample sample = response(0, i * 10'000);  // from the scheduled time
        sample.latency_uncorrected_us = 5'000;           // from the actual send
        metrics.record(sample);
    }
    Snapshot s = summarize(metrics, MetricNames{{"send"}, {}, {}}, 1.0);
    CHECK(value(s, "latency_uncorrected.p50") == 5.0);
    CHECK(value(s, "latency_uncorrected.p95") == 5.0);
    CHECK(value(s, "latency_uncorrected.p99") == 5.0);
    CHECK(value(s, "p99") == Approx(990.0).epsilon(0.01));
}

TEST_CASE("rps is 0 for a zero or negative duration") {
    StageMetrics metrics(1, 0);
    metrics.record(response(0, 1'000));
    CHECK(value(summarize(metrics, MetricNames{{"send"}, {}, {}}, 0.0), "rps") == 0);
    CHECK(value(summarize(metrics, MetricNames{{"send"}, {}, {}}, -1.0), "rps") == 0);
}
