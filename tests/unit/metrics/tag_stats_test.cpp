// Per-tag-value stats (scenario tag_responses): recording, the bound on distinct values,
// merging across workers and the "tags.TAG.VALUE.*" snapshot names.
#include <catch2/catch.hpp>

#include <string>

#include "metrics/snapshot.hpp"
#include "metrics/stage_metrics.hpp"

using namespace orch;

namespace {

RequestSample answered(std::int64_t latency_us, std::uint16_t status = 200,
                       ErrorKind error = ErrorKind::none) {
    RequestSample s;
    s.status = status;
    s.error = error;
    s.latency_us = latency_us;
    s.latency_uncorrected_us = latency_us;
    return s;
}

const MetricNames k_tag_names{{"send"}, {}, {"version"}};

}  // namespace

TEST_CASE("tag values are kept as metric name segments") {
    CHECK(tag_value_name("v2") == "v2");
    CHECK(tag_value_name("1.2.3") == "1_2_3");
    CHECK(tag_value_name("") == "none");
    CHECK(tag_value_name("a b/c") == "a_b_c");
    CHECK(tag_value_name(std::string(100, 'x')).size() == 64);
}

TEST_CASE("responses are counted per tag value, beside the totals") {
    StageMetrics m(1, 0);
    for (int i = 0; i < 90; ++i) {
        m.record(answered(1'000));
        m.record_tag(0, "v1", answered(1'000));
    }
    for (int i = 0; i < 10; ++i) {
        RequestSample failed = answered(300'000, 500, ErrorKind::status_5xx);
        m.record(failed);
        m.record_tag(0, "v2", failed);
    }
    Snapshot s = summarize(m, k_tag_names, 10.0);
    CHECK(*s.get("error_rate") == Approx(10.0));
    CHECK(*s.get("tags.version.v2.error_rate") == Approx(100.0));
    CHECK(*s.get("tags.version.v2.requests") == 10);
    CHECK(*s.get("tags.version.v2.errors.status_5xx") == 10);
    CHECK(*s.get("tags.version.v2.p95") == Approx(300.0).epsilon(0.01));
    CHECK(*s.get("tags.version.v1.error_rate") == 0);
    CHECK_FALSE(s.get("tags.version.v3.error_rate"));  // no responses: no data
}

TEST_CASE("without tags nothing is recorded per tag") {
    StageMetrics m(1, 0);
    m.record(answered(1'000));
    CHECK(m.tags().empty());
    Snapshot s = summarize(m, k_tag_names, 1.0);
    for (const auto& [name, value] : s.values()) {
        CHECK(name.rfind("tags.", 0) == std::string::npos);
    }
}

TEST_CASE("past 16 distinct values the rest go to other") {
    StageMetrics m(1, 0);
    for (int i = 0; i < 20; ++i) {
        m.record_tag(0, "v" + std::to_string(i), answered(1'000));
    }
    REQUIRE(m.tags().size() == 1);
    CHECK(m.tags()[0].size() == k_max_tag_values + 1);
    Snapshot s = summarize(m, k_tag_names, 1.0);
    CHECK(*s.get("tags.version.other.requests") == 4);
    CHECK(*s.get("tags.version.v15.requests") == 1);
    CHECK_FALSE(s.get("tags.version.v16.requests"));
}

TEST_CASE("merging adds per-value stats by value, not by position") {
    StageMetrics a(1, 0);
    StageMetrics b(1, 0);
    a.record_tag(0, "v1", answered(1'000));
    b.record_tag(0, "v2", answered(1'000, 500, ErrorKind::status_5xx));
    b.record_tag(0, "v1", answered(1'000));
    StageMetrics total(1, 0);
    total.merge(a);
    total.merge(b);
    Snapshot s = summarize(total, k_tag_names, 1.0);
    CHECK(*s.get("tags.version.v1.requests") == 2);
    CHECK(*s.get("tags.version.v2.error_rate") == 100);
    b.reset();
    CHECK(b.tags()[0][0].stats.requests() == 0);
}
