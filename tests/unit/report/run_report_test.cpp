#include "report/run_report.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "../reporters/sample_reports.hpp"
#include "../reporters/test_files.hpp"
#include "report/metric_tree.hpp"

using namespace orch;

namespace {

RunReport read_back(const RunReport& report) {
    // Through text, as `stagegate report` reads results.json.
    auto parsed = nlohmann::json::parse(to_json(report).dump(2));
    auto back = run_report_from_json(parsed);
    REQUIRE(back.has_value());
    return *back;
}

void check_same_health(const std::optional<HealthSample>& a, const std::optional<HealthSample>& b) {
    REQUIRE(a.has_value() == b.has_value());
    if (a) {
        CHECK(a->at == b->at);
        CHECK(a->status == b->status);
        CHECK(a->body == b->body);
        CHECK(a->uptime_s == b->uptime_s);
        CHECK(a->rss_mb == b->rss_mb);
    }
}

void check_same(const RunReport& a, const RunReport& b) {
    CHECK(a.verdict == b.verdict);
    CHECK(a.exit_code == b.exit_code);
    CHECK(a.reason == b.reason);
    CHECK(a.pipeline_name == b.pipeline_name);
    CHECK(a.pipeline_file == b.pipeline_file);
    CHECK(a.pipeline_sha256 == b.pipeline_sha256);
    CHECK(a.run_id == b.run_id);
    CHECK(a.started_at == b.started_at);
    CHECK(a.finished_at == b.finished_at);
    CHECK(a.version == b.version);
    CHECK(a.executor == b.executor);
    CHECK(a.base_url == b.base_url);
    CHECK(a.highest_passed_stage == b.highest_passed_stage);
    CHECK(a.backend_log_tail == b.backend_log_tail);
    CHECK(a.recommendation == b.recommendation);
    REQUIRE(a.stages.size() == b.stages.size());
    for (std::size_t i = 0; i < a.stages.size(); ++i) {
        const StageReport& x = a.stages[i];
        const StageReport& y = b.stages[i];
        INFO("stage " << x.name);
        CHECK(x.name == y.name);
        CHECK(x.verdict == y.verdict);
        CHECK(x.reason == y.reason);
        CHECK(x.started_at == y.started_at);
        CHECK(x.duration_s == y.duration_s);
        CHECK(x.vus == y.vus);
        CHECK(x.rate == y.rate);
        CHECK(x.max_vus == y.max_vus);
        CHECK(x.planned_duration_s == y.planned_duration_s);
        CHECK(x.operations == y.operations);
        // The flat Snapshot comes back exactly: same names, same values.
        CHECK(x.metrics.values() == y.metrics.values());
        REQUIRE(x.criteria.size() == y.criteria.size());
        for (std::size_t k = 0; k < x.criteria.size(); ++k) {
            const CriterionResult& c = x.criteria[k];
            const CriterionResult& d = y.criteria[k];
            INFO("criterion " << c.criterion.expr);
            CHECK(c.criterion.expr == d.criterion.expr);
            CHECK(c.criterion.name == d.criterion.name);
            CHECK(c.criterion.metric == d.criterion.metric);
            CHECK(c.criterion.op == d.criterion.op);
            CHECK(c.criterion.target == d.criterion.target);
            CHECK(c.criterion.unit == d.criterion.unit);
            CHECK(c.criterion.severity == d.criterion.severity);
            CHECK(c.criterion.abort == d.criterion.abort);
            CHECK(c.criterion.window == d.criterion.window);
            CHECK(c.actual == d.actual);
            CHECK(c.pass == d.pass);
            CHECK(c.margin == d.margin);
            CHECK(c.note == d.note);
        }
        REQUIRE(x.series.size() == y.series.size());
        for (std::size_t k = 0; k < x.series.size(); ++k) {
            CHECK(x.series[k].t_s == y.series[k].t_s);
            CHECK(x.series[k].rps == y.series[k].rps);
            CHECK(x.series[k].errors == y.series[k].errors);
            CHECK(x.series[k].p50 == y.series[k].p50);
            CHECK(x.series[k].p95 == y.series[k].p95);
            CHECK(x.series[k].p99 == y.series[k].p99);
            CHECK(x.series[k].succeeded_p50 == y.series[k].succeeded_p50);
            CHECK(x.series[k].succeeded_p95 == y.series[k].succeeded_p95);
            CHECK(x.series[k].succeeded_p99 == y.series[k].succeeded_p99);
            CHECK(x.series[k].failed_p50 == y.series[k].failed_p50);
            CHECK(x.series[k].failed_p95 == y.series[k].failed_p95);
            CHECK(x.series[k].failed_p99 == y.series[k].failed_p99);
            CHECK(x.series[k].rss_mb == y.series[k].rss_mb);
            CHECK(x.series[k].vus == y.series[k].vus);
        }
        check_same_health(x.health_before, y.health_before);
        check_same_health(x.health_after, y.health_after);
        CHECK(x.hints == y.hints);
        CHECK(x.extra == y.extra);
    }
}

/// A passing run whose first stage has two baseline criteria: one resolved, one without
/// baseline data.
// Four stages of growing VUs: results.json gains `capacity`.
RunReport with_capacity() {
    RunReport report = samples::passing_run();
    StageReport base = report.stages.back();
    report.stages.clear();
    const double rps[] = {100, 180, 220, 200};
    for (int i = 0; i < 4; ++i) {
        StageReport s = base;
        s.name = "step-" + std::to_string(i + 1);
        s.vus = 1 << i;
        s.metrics.set("rps", rps[i]);
        s.metrics.set("avg", 1000.0 * s.vus / rps[i]);
        for (auto& point : s.series) {
            point.vus = s.vus;
        }
        report.stages.push_back(s);
    }
    return report;
}

/// A rollout run: a traffic step, an observe stage, hooks that passed, failed and timed out.
RunReport with_hooks() {
    RunReport report = samples::failed_run();
    report.stages[0].traffic_percent = 10;
    report.stages[1].traffic_percent = 50;
    report.stages[1].observe = true;
    HookRecord before;
    before.stage = report.stages[0].name;
    before.kind = "before";
    before.argv = {"scripts/set-weight.sh", "10"};
    before.exit_code = 0;
    before.duration_s = 0.25;
    HookRecord stuck;
    stuck.stage = report.stages[1].name;
    stuck.kind = "before";
    stuck.argv = {"sleep", "300"};
    stuck.timed_out = true;
    stuck.error = "timed out after 1s (its process group was stopped)";
    stuck.duration_s = 1.01;
    HookRecord rollback;
    rollback.kind = "on_fail";
    rollback.argv = {"scripts/set-weight.sh", "0"};
    rollback.exit_code = 3;
    rollback.duration_s = 0.5;
    report.hooks = {before, stuck, rollback};
    return report;
}

RunReport with_baseline_criteria() {
    RunReport report = samples::passing_run();
    CriterionResult resolved;
    resolved.criterion.expr = "send.p95 < max(baseline * 1.5, baseline + 20ms)";
    resolved.criterion.name = resolved.criterion.expr;
    resolved.criterion.metric = "send.p95";
    resolved.criterion.unit = MetricUnit::milliseconds;
    resolved.criterion.relative = BaselineFormula{};
    resolved.criterion.baseline = 10.0;
    resolved.criterion.target = 30.0;
    resolved.actual = 12.0;
    resolved.pass = true;
    resolved.margin = 2.5;
    CriterionResult missing;
    missing.criterion.expr = "rps > baseline - 5%";
    missing.criterion.name = missing.criterion.expr;
    missing.criterion.metric = "rps";
    missing.criterion.op = CompareOp::gt;
    missing.criterion.unit = MetricUnit::per_second;
    missing.criterion.relative = BaselineFormula{};
    missing.criterion.target = std::nan("");
    missing.actual = 50.0;
    missing.note = "no baseline data: stage \"smoke\" is not in the baseline run";
    report.stages[0].criteria.push_back(resolved);
    report.stages[0].criteria.push_back(missing);
    return report;
}

}  // namespace

TEST_CASE("baseline criteria carry their baseline value in results.json and read back") {
    RunReport report = with_baseline_criteria();
    nlohmann::json j = to_json(report);
    const nlohmann::json& criteria = j["stages"][0]["criteria"];
    std::size_t n = criteria.size();
    REQUIRE(n >= 3);
    CHECK_FALSE(criteria[0].contains("baseline"));  // absolute criteria are unchanged
    CHECK(criteria[n - 2]["baseline"] == 10.0);
    CHECK(criteria[n - 2]["target"] == 30.0);
    CHECK(criteria[n - 1]["baseline"].is_null());
    CHECK(criteria[n - 1]["target"].is_null());

    RunReport back = read_back(report);
    const auto& back_criteria = back.stages[0].criteria;
    REQUIRE(back_criteria.size() == n);
    CHECK_FALSE(back_criteria[0].criterion.relative);
    const Criterion& resolved = back_criteria[n - 2].criterion;
    CHECK(resolved.relative);
    CHECK(resolved.baseline == 10.0);
    CHECK(resolved.target == 30.0);
    const Criterion& missing = back_criteria[n - 1].criterion;
    CHECK(missing.relative);
    CHECK_FALSE(missing.baseline);
    CHECK(std::isnan(missing.target));
    CHECK(back_criteria[n - 1].note == report.stages[0].criteria[n - 1].note);
}

TEST_CASE("results.json reads back into the same RunReport") {
    SECTION("failed run: three stages, one skipped") {
        RunReport report = samples::failed_run();
        check_same(report, read_back(report));
    }
    SECTION("passing run") {
        RunReport report = samples::passing_run();
        check_same(report, read_back(report));
    }
    SECTION("a run that never started a stage") {
        RunReport report = samples::error_run();
        check_same(report, read_back(report));
    }
    SECTION("a rollout: traffic steps, an observe stage and hooks") {
        RunReport report = with_hooks();
        RunReport back = read_back(report);
        check_same(report, back);
        CHECK(back.stages[0].traffic_percent == 10);
        CHECK(back.stages[1].observe);
        CHECK_FALSE(back.stages[0].observe);
        REQUIRE(back.hooks.size() == 3);
        CHECK(back.hooks[0].stage == report.stages[0].name);
        CHECK(back.hooks[0].argv == report.hooks[0].argv);
        CHECK(back.hooks[0].succeeded());
        CHECK(back.hooks[1].timed_out);
        CHECK_FALSE(back.hooks[1].exit_code);
        CHECK(back.hooks[1].error == report.hooks[1].error);
        CHECK(back.hooks[2].stage.empty());
        CHECK(back.hooks[2].exit_code == 3);
        nlohmann::json j = to_json(report);
        CHECK(j["hooks"][2]["stage"].is_null());
        CHECK(j["stages"][0]["traffic"] == 10);
        CHECK_FALSE(to_json(samples::passing_run()).contains("hooks"));
    }
    SECTION("an open-model stage with a ramp and a health pointer holding dots") {
        RunReport report = samples::failed_run();
        StageReport& s = report.stages[1];
        s.vus = 0;
        s.rate = "50/s..500/s";
        s.max_vus = 300;
        s.metrics.set("backend.health./pool.stats/waiting", 12);
        s.metrics.set("dropped", 3);
        s.metrics.set("latency_uncorrected.p95", 201.5);
        check_same(report, read_back(report));
    }
}

TEST_CASE("metrics are nested at the dots as SPEC's results.json says") {
    nlohmann::json j = to_json(samples::failed_run());
    CHECK(j["schema"] == "stagegate.results/v1");
    CHECK(j["verdict"] == "FAIL");
    CHECK(j["exit_code"] == 1);
    CHECK(j["highest_passed_stage"] == "smoke");
    const nlohmann::json& load = j["stages"][1];
    CHECK(load["name"] == "load");
    CHECK(load["load"]["vus"] == 20);
    CHECK(load["load"]["rate"].is_null());
    CHECK(load["metrics"]["requests"] == 6015.0);
    CHECK(load["metrics"]["p95"] == 590.1);
    CHECK(load["metrics"]["timing"]["waiting"] == 205.3);
    // `errors` is both a count and a group of kinds: the count is errors.total.
    CHECK(load["metrics"]["errors"]["total"] == 826.0);
    CHECK(load["metrics"]["errors"]["status_5xx"] == 826.0);
    CHECK(load["metrics"]["errors"]["body"]["prisma"] == 826.0);
    CHECK(load["metrics"]["operations"]["send"]["p95"] == 612.4);
    CHECK(load["metrics"]["operations"]["send"]["errors"]["body"]["prisma"] == 826.0);
    CHECK(load["metrics"]["operations"]["history"]["errors"]["total"] == 0.0);
    CHECK_FALSE(load["metrics"].contains("send"));
    CHECK_FALSE(load["metrics"].contains("backend"));
    CHECK(load["backend"]["rss_peak"] == 70.1);
    CHECK(load["backend"]["memory_growth"] == 34.1);
    CHECK(load["backend"]["health"]["/database/errors"] == 37.0);
    const nlohmann::json& p95 = load["criteria"][3];
    CHECK(p95["expr"] == "send.p95 < 250ms");
    CHECK(p95["target"] == 250.0);
    CHECK(p95["actual"] == 612.4);
    CHECK(p95["unit"] == "ms");
    CHECK(p95["pass"] == false);
    CHECK(p95["margin"].get<double>() == Approx(250 / 612.4));
    CHECK(load["criteria"][6]["window_s"] == 10.0);
    CHECK(load["criteria"][5]["abort"] == true);
    CHECK(load["series"].size() == 120);
    CHECK(load["series"][0].contains("p95"));
    CHECK(load["health_after"]["body"]["database"]["errors"] == 37);
    const nlohmann::json& skipped = j["stages"][2];
    CHECK(skipped["verdict"] == "SKIPPED");
    CHECK(skipped["started_at"].is_null());
    CHECK(skipped["load"]["rate"] == "200/s");
    CHECK(skipped["load"]["vus"].is_null());
    CHECK(skipped["health_before"].is_null());
    CHECK(skipped["criteria"][0]["actual"].is_null());
    CHECK(skipped["criteria"][0]["margin"].is_null());
}

TEST_CASE("absent values and NaN are written as null") {
    RunReport report = samples::error_run();
    report.stages[0].metrics.set("p95", std::numeric_limits<double>::quiet_NaN());
    report.stages[0].metrics.set("rps", std::numeric_limits<double>::infinity());
    report.stages[0].metrics.set("requests", 0);
    nlohmann::json j = to_json(report);
    CHECK(j["highest_passed_stage"].is_null());
    CHECK(j["stages"][0]["metrics"]["p95"].is_null());
    CHECK(j["stages"][0]["metrics"]["rps"].is_null());
    // The text has no NaN or Infinity that a JSON parser would reject.
    std::string text = j.dump();
    CHECK(text.find("NaN") == std::string::npos);
    CHECK(text.find("Infinity") == std::string::npos);
    // Reading back: null is "no data", so the name is absent.
    auto back = run_report_from_json(nlohmann::json::parse(text));
    REQUIRE(back);
    CHECK_FALSE(back->stages[0].metrics.get("p95").has_value());
    CHECK(back->stages[0].metrics.get("requests") == 0.0);
}

TEST_CASE("invalid UTF-8 in texts does not make results.json unwritable") {
    RunReport report = samples::failed_run();
    report.backend_log_tail.push_back("binary \xff\xfe junk");
    std::string text = to_json(report).dump();  // would throw on invalid UTF-8
    CHECK(text.find("binary \xef\xbf\xbd\xef\xbf\xbd junk") != std::string::npos);
}

TEST_CASE("a file of another shape is invalid_input naming the problem") {
    nlohmann::json good = to_json(samples::failed_run());

    auto not_object = run_report_from_json(nlohmann::json::array());
    REQUIRE_FALSE(not_object);
    CHECK(not_object.error().code == ErrorCode::invalid_input);

    nlohmann::json other = {{"hello", "world"}};
    auto no_schema = run_report_from_json(other);
    REQUIRE_FALSE(no_schema);
    CHECK_THAT(no_schema.error().message, Catch::Contains("not a stagegate results file"));

    nlohmann::json future = good;
    future["schema"] = "stagegate.results/v9";
    auto wrong_version = run_report_from_json(future);
    REQUIRE_FALSE(wrong_version);
    CHECK_THAT(wrong_version.error().message, Catch::Contains("stagegate.results/v9"));

    nlohmann::json bad_target = good;
    bad_target["stages"][1]["criteria"][0]["target"] = "zero";
    auto target = run_report_from_json(bad_target);
    REQUIRE_FALSE(target);
    CHECK(target.error().code == ErrorCode::invalid_input);
    CHECK_THAT(target.error().message, Catch::Contains("stages[1].criteria[0].target"));
    CHECK_THAT(target.error().message, Catch::Contains("expected a number"));

    nlohmann::json bad_metric = good;
    bad_metric["stages"][0]["metrics"]["p95"] = "fast";
    auto metric = run_report_from_json(bad_metric);
    REQUIRE_FALSE(metric);
    CHECK_THAT(metric.error().message, Catch::Contains("stages[0].metrics.p95"));

    nlohmann::json bad_verdict = good;
    bad_verdict["stages"][2]["verdict"] = "MAYBE";
    auto verdict = run_report_from_json(bad_verdict);
    REQUIRE_FALSE(verdict);
    CHECK_THAT(verdict.error().message, Catch::Contains("MAYBE"));

    nlohmann::json no_stages = good;
    no_stages.erase("stages");
    auto stages = run_report_from_json(no_stages);
    REQUIRE_FALSE(stages);
    CHECK_THAT(stages.error().message, Catch::Contains("\"stages\""));
}

TEST_CASE("criteria without metric/op fields take them from the expression") {
    nlohmann::json j = to_json(samples::failed_run());
    for (auto& c : j["stages"][1]["criteria"]) {
        c.erase("metric");
        c.erase("op");
        c.erase("window_s");
        c.erase("note");
    }
    auto back = run_report_from_json(j);
    REQUIRE(back);
    const Criterion& c = back->stages[1].criteria[3].criterion;
    CHECK(c.metric == "send.p95");
    CHECK(c.op == CompareOp::lt);
    CHECK(c.unit == MetricUnit::milliseconds);
}

TEST_CASE("metric names split at dots, pointers stay whole") {
    using V = std::vector<std::string>;
    CHECK(metric_path("p95") == V{"p95"});
    CHECK(metric_path("errors.body.prisma") == V{"errors", "body", "prisma"});
    CHECK(metric_path("health./database/errors") == V{"health", "/database/errors"});
    CHECK(metric_path("health./a.b/c") == V{"health", "/a.b/c"});
}

TEST_CASE("a count sharing its name with a group is kept as total, whichever comes first") {
    nlohmann::ordered_json tree = nlohmann::ordered_json::object();
    insert_metric(tree, "timing", 3);
    insert_metric(tree, "timing.waiting", 2);
    insert_metric(tree, "errors.timeout", 1);
    insert_metric(tree, "errors", 4);
    CHECK(tree["timing"]["total"] == 3.0);
    CHECK(tree["timing"]["waiting"] == 2.0);
    CHECK(tree["errors"]["total"] == 4.0);
    CHECK(tree["errors"]["timeout"] == 1.0);
    Snapshot back;
    REQUIRE(flatten_metrics(nlohmann::json(tree), "", "metrics", back));
    CHECK(back.values().size() == 4);
    CHECK(back.get("timing") == 3.0);
    CHECK(back.get("errors") == 4.0);
    CHECK(back.get("errors.timeout") == 1.0);
}

TEST_CASE("results.json validates against schemas/results.schema.json") {
    const std::filesystem::path ajv =
        std::filesystem::path(STAGEGATE_SOURCE_DIR) / "tests/schema/node_modules/.bin/ajv";
    const std::filesystem::path schema =
        std::filesystem::path(STAGEGATE_SOURCE_DIR) / "schemas/results.schema.json";
    // The schema itself is JSON of the draft-07 kind, whatever validator is at hand.
    nlohmann::json schema_json = nlohmann::json::parse(testing::slurp(schema));
    CHECK(schema_json["$schema"] == "http://json-schema.org/draft-07/schema#");
    if (!std::filesystem::exists(ajv)) {
        WARN("ajv not installed (tests/schema/node_modules): schema validation skipped");
        return;
    }
    testing::TempDir dir;
    std::string files;
    int n = 0;
    for (const RunReport& report :
         {samples::failed_run(), samples::passing_run(), samples::error_run(),
          samples::hostile_run(), with_baseline_criteria(), with_capacity(), with_hooks()}) {
        auto file = dir.path() / ("results-" + std::to_string(n++) + ".json");
        testing::write_text(
            file, to_ordered_json(report).dump(2, ' ', false,
                                               nlohmann::ordered_json::error_handler_t::replace));
        files += " -d " + testing::shell_quote(file.string());
    }
    // And one the schema must reject, so a schema that accepts anything fails this test.
    nlohmann::ordered_json bad = to_ordered_json(samples::failed_run());
    bad["stages"][0]["criteria"][0]["pass"] = "yes";
    bad["surprise"] = true;
    testing::write_text(dir.path() / "bad.json", bad.dump(2));
    files += " -d " + testing::shell_quote((dir.path() / "bad.json").string());
    // One ajv run for all files: node's start-up dominates.
    auto result = testing::run_command(testing::shell_quote(ajv.string()) +
                                       " validate --spec=draft7 --all-errors -s " +
                                       testing::shell_quote(schema.string()) + files);
    INFO(result.output);
    for (int i = 0; i < n; ++i) {
        CHECK_THAT(result.output, Catch::Contains("results-" + std::to_string(i) + ".json valid"));
    }
    CHECK_THAT(result.output, Catch::Contains("bad.json invalid"));
    CHECK_THAT(result.output, Catch::Contains("surprise"));
    CHECK_THAT(result.output, Catch::Contains("/stages/0/criteria/0/pass"));
}

TEST_CASE("stored results.json fixtures read back and write out unchanged") {
    // tests/fixtures/results/*.json are v1 files other tests (report, compare) read: this
    // version of stagegate must read them and write the same document again.
    for (const char* name : {"failed-run.json", "passing-run.json", "error-run.json"}) {
        INFO(name);
        auto path = std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "results" / name;
        nlohmann::json stored = nlohmann::json::parse(testing::slurp(path));
        auto report = run_report_from_json(stored);
        REQUIRE(report);
        CHECK(to_json(*report) == stored);
    }
}

TEST_CASE("results.json carries the capacity fit from three stages on, and reads back") {
    RunReport report = with_capacity();
    nlohmann::json j = to_json(report);
    REQUIRE(j.contains("capacity"));
    CHECK(j["capacity"]["model"] == "usl");
    CHECK(j["capacity"]["stages"].size() == 4);
    CHECK(to_json(read_back(report))["capacity"] == j["capacity"]);
    report.stages.resize(2);
    CHECK_FALSE(to_json(report).contains("capacity"));
}

TEST_CASE("series points carry succeeded and failed latency only when there was such a response") {
    RunReport report = samples::failed_run();
    nlohmann::json json = to_json(report);
    const auto& smoke = json["stages"][0]["series"][0];  // no failures
    const auto& load = json["stages"][1]["series"][0];   // failures every second
    CHECK(smoke["succeeded_p95"].is_number());
    CHECK_FALSE(smoke.contains("failed_p95"));
    CHECK_FALSE(smoke.contains("failed_p50"));
    REQUIRE(load["failed_p95"].is_number());
    CHECK(load["failed_p50"].get<double>() == 1.5);
    CHECK(load["failed_p95"].get<double>() < load["succeeded_p95"].get<double>());
    // Files written before the fields existed still read: the fields stay empty.
    nlohmann::json old = json;
    for (auto& stage : old["stages"]) {
        for (auto& point : stage["series"]) {
            for (const char* key : {"succeeded_p50", "succeeded_p95", "succeeded_p99", "failed_p50",
                                    "failed_p95", "failed_p99"}) {
                point.erase(key);
            }
        }
    }
    auto back = run_report_from_json(old);
    REQUIRE(back);
    CHECK_FALSE(back->stages[1].series[0].succeeded_p95);
    CHECK_FALSE(back->stages[1].series[0].failed_p95);
    CHECK(back->stages[1].series[0].p95 == report.stages[1].series[0].p95);
}
