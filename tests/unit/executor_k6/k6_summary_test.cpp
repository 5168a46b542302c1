// The summary reader on every recorded summary: the `--summary-export` files and the
// handleSummary data files, which must give the same checks, thresholds and totals.
#include "plugins/executors/k6/k6_summary.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "k6_test_support.hpp"

using namespace orch;

namespace {

std::vector<std::string> failed_thresholds(const K6Summary& summary) {
    std::vector<std::string> failed;
    for (const auto& t : summary.thresholds) {
        if (!t.ok) {
            failed.push_back(t.metric + ": " + t.expression);
        }
    }
    return failed;
}

}  // namespace

TEST_CASE("run 1 summaries: two thresholds failed, checks 210/8 and 110/2") {
    for (const char* file : {"summary-export.json", "handle-summary.json"}) {
        INFO(file);
        auto summary = read_k6_summary(test::k6_fixture(file));
        REQUIRE(summary);
        CHECK(summary->thresholds.size() == 12);
        CHECK(failed_thresholds(*summary) ==
              std::vector<std::string>{"http_req_failed: rate<0.01", "send_error_rate: rate<0.01"});
        CHECK_FALSE(summary->thresholds_ok());
        REQUIRE(summary->checks.size() == 2);
        CHECK(summary->checks[0].name == "history status ok");
        CHECK(summary->checks[0].passes == 110);
        CHECK(summary->checks[0].fails == 2);
        CHECK(summary->checks[1].name == "send status ok");
        CHECK(summary->checks[1].passes == 210);
        CHECK(summary->checks[1].fails == 8);
        CHECK(summary->http_reqs == 330u);
        CHECK(summary->failed_requests == 10u);  // http_req_failed.passes
        CHECK(summary->iterations == 330u);
        REQUIRE(summary->duration_s);
        CHECK(*summary->duration_s == Approx(10.06).margin(0.01));
    }
}

TEST_CASE("the tagged sub-metric thresholds keep their full names") {
    auto summary = read_k6_summary(test::k6_fixture("summary-export.json"));
    REQUIRE(summary);
    auto json = k6_thresholds_json(*summary);
    bool found = false;
    for (const auto& t : json) {
        if (t["metric"] == "http_req_duration{operation:send}" && t["expression"] == "p(99)<500") {
            found = true;
            CHECK(t["ok"] == true);
        }
    }
    CHECK(found);
}

TEST_CASE("run 2 summaries: every threshold passed, 40 requests") {
    for (const char* file : {"summary-export-pass.json", "handle-summary-pass.json"}) {
        INFO(file);
        auto summary = read_k6_summary(test::k6_fixture(file));
        REQUIRE(summary);
        CHECK(summary->thresholds.size() == 12);
        CHECK(summary->thresholds_ok());
        CHECK(summary->http_reqs == 40u);
        CHECK(summary->failed_requests == 0u);
        REQUIRE(summary->checks.size() == 2);
        CHECK(summary->checks[0].passes == 13);
        CHECK(summary->checks[1].passes == 27);
    }
    auto handle = read_k6_summary(test::k6_fixture("handle-summary-pass.json"));
    REQUIRE(handle);
    CHECK(*handle->duration_s == Approx(3.045995));  // state.testRunDurationMs
}

TEST_CASE("run 3 summaries: all 40 requests failed, four thresholds failed") {
    for (const char* file : {"summary-export-refused.json", "handle-summary-refused.json"}) {
        INFO(file);
        auto summary = read_k6_summary(test::k6_fixture(file));
        REQUIRE(summary);
        CHECK(failed_thresholds(*summary) ==
              std::vector<std::string>{"checks: rate>0.9", "history_error_rate: rate<0.05",
                                       "http_req_failed: rate<0.01", "send_error_rate: rate<0.01"});
        CHECK(summary->http_reqs == 40u);
        CHECK(summary->failed_requests == 40u);
        REQUIRE(summary->checks.size() == 2);
        CHECK(summary->checks[0].fails == 9);
        CHECK(summary->checks[1].fails == 31);
    }
}

TEST_CASE("checks inside groups are named by their path") {
    auto summary = parse_k6_summary(R"({"metrics": {},
        "root_group": {"checks": {}, "groups": {"login": {"checks": {"ok": {
            "name": "ok", "path": "::login::ok", "passes": 3, "fails": 1}}, "groups": {}}}}})",
                                    "inline");
    REQUIRE(summary);
    REQUIRE(summary->checks.size() == 1);
    CHECK(summary->checks[0].name == "login::ok");
    CHECK(summary->checks[0].passes == 3);
    CHECK(summary->checks[0].fails == 1);
}

TEST_CASE("a summary that is not one is an infrastructure error naming the file") {
    auto not_json = parse_k6_summary("{", "out/k6-smoke-summary.json");
    REQUIRE_FALSE(not_json);
    CHECK(not_json.error().code == ErrorCode::infrastructure);
    CHECK(not_json.error().message.find("out/k6-smoke-summary.json") != std::string::npos);
    CHECK_FALSE(parse_k6_summary(R"({"root_group": {}})", "x"));
    CHECK_FALSE(read_k6_summary("/nonexistent/summary.json"));
}
