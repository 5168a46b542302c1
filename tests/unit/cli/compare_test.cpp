// `stagegate compare`: per stage and operation, with units, changes within noise left out
// unless --all (latency: under 5% or under 0.2 ms; anything else: under 1%).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../reporters/sample_reports.hpp"
#include "../reporters/test_files.hpp"
#include "cli/compare.hpp"

using namespace orch;
using namespace orch::cli;

namespace {

const ComparisonRow* find_row(const std::vector<ComparisonRow>& rows, const std::string& stage,
                              const std::string& metric) {
    for (const auto& row : rows) {
        if (row.stage == stage && row.metric == metric) {
            return &row;
        }
    }
    return nullptr;
}

// The failed run, and the same run with small (noise) and large changes.
RunReport changed_run() {
    RunReport after = samples::failed_run();
    Snapshot& m = after.stages[0].metrics;
    m.set("p50", *m.get("p50") + 0.12);             // 10.8 -> 10.92 ms: +1.1%, under 0.2 ms
    m.set("send.p50", *m.get("send.p50") * 1.04);   // +4%, 0.4 ms: under 5%
    m.set("p95", *m.get("p95") * 1.2);              // +20%, 5.6 ms: a change
    m.set("requests", *m.get("requests") * 1.005);  // +0.5%: noise for a count
    m.set("errors", 30);                            // 0 -> 30: a change
    after.run_id = "after";
    return after;
}

}  // namespace

TEST_CASE("compare: latency within 5% or 0.2 ms and counts within 1% are noise") {
    RunReport before = samples::failed_run();
    before.run_id = "before";
    RunReport after = changed_run();
    auto rows = compare_runs(before, after);
    REQUIRE(find_row(rows, "smoke", "p50"));
    CHECK(find_row(rows, "smoke", "p50")->noise);
    CHECK(find_row(rows, "smoke", "send.p50")->noise);
    CHECK(find_row(rows, "smoke", "requests")->noise);
    CHECK_FALSE(find_row(rows, "smoke", "p95")->noise);
    CHECK(find_row(rows, "smoke", "p95")->direction == "worse");
    CHECK(find_row(rows, "smoke", "errors")->direction == "worse");
    CHECK(find_row(rows, "smoke", "send.p50")->operation == "send");

    std::string md = comparison_markdown(before, after, rows);
    INFO(md);
    CHECK(md.find("| p95 | 27.9 ms | 33.5 ms | +5.58 ms (+20.0%) | worse |") != std::string::npos);
    CHECK(md.find("| errors | 0 | 30 |") != std::string::npos);
    CHECK(md.find("| p50 |") == std::string::npos);  // both p50 changes are noise
    CHECK(md.find("not shown (`--all` shows them)") != std::string::npos);
    CHECK(md.find("### All operations") != std::string::npos);
    CHECK(testing::matches_golden("compare.md", md));

    std::string all = comparison_markdown(before, after, rows, true);
    CHECK(all.find("| p50 | 10.8 ms | 10.9 ms | +120 \u00b5s (+1.1%) | within noise |") !=
          std::string::npos);
    CHECK(all.find("### Operation send") != std::string::npos);

    nlohmann::json json = comparison_json(rows);
    CHECK(json.at("hidden").get<int>() > 0);
    for (const auto& row : json.at("rows")) {
        CHECK_FALSE(row.at("noise").get<bool>());
    }
    nlohmann::json every = comparison_json(rows, true);
    CHECK(every.at("rows").size() == rows.size());
    CHECK(every.at("hidden") == 0);
    CHECK(json.at("rows")[0].contains("unit"));
}

TEST_CASE("compare: identical runs show nothing but say that every change is within noise") {
    RunReport run = samples::failed_run();
    auto rows = compare_runs(run, run);
    std::string md = comparison_markdown(run, run, rows);
    CHECK(md.find("Every change is within noise.") != std::string::npos);
    CHECK(md.find("0 metrics worse, 0 better") != std::string::npos);
}
