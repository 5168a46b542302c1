// The k6 executor end to end, with a TEST DOUBLE for k6 (tests/fixtures/tools/k6-standin/k6)
// that replays the recorded real k6 runs: arguments, environment, incremental reading,
// exit codes, stop token, and a missing k6.
#include "plugins/executors/k6/k6_executor.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/loader.hpp"
#include "k6_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

// PATH with the stand-in first, so "k6" resolves to it.
test::ScopedEnv standin_path() {
    const char* path = std::getenv("PATH");
    return test::ScopedEnv("PATH", test::standin_dir().string() + ":" + (path ? path : ""));
}

struct Outcome {
    Result<StageRun> run;
    test::RecordingObserver observer;
};

Outcome run_stage(const Pipeline& pipeline, const StageSpec& stage,
                  const std::filesystem::path& out, std::stop_token stop = {}) {
    auto executor = k6_executor_plugin().create(pipeline);
    REQUIRE(executor);
    RunContext context;
    context.out_dir = out;
    auto prepared = (*executor)->prepare(context);
    REQUIRE(prepared);
    Outcome outcome{Result<StageRun>(tl::unexpect, Error{}), {}};
    outcome.run = (*executor)->run_stage(context, stage, outcome.observer, stop);
    return outcome;
}

bool process_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) {
        return false;
    }
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

}  // namespace

TEST_CASE("k6 gets exactly the arguments and environment of the stage") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv record("K6_STANDIN_RECORD", (dir.path() / "record").string());
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "fail");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    const auto out = dir.path() / "out";
    Pipeline pipeline = test::k6_pipeline();
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 5, 10s), out);
    REQUIRE(outcome.run);

    CHECK(test::read_lines(dir.path() / "record" / "args") ==
          std::vector<std::string>{"run", "--vus", "5", "--duration", "10s", "--summary-export",
                                   (out / "k6-smoke-summary.json").string(), "--out",
                                   "json=" + (out / "k6-smoke.ndjson").string(),
                                   "--no-usage-report",
                                   test::k6_fixture("chat.js").lexically_normal().string()});
    CHECK(test::read_lines(dir.path() / "record" / "env") ==
          std::vector<std::string>{"BASE_URL=http://127.0.0.1:3311", "K6_NO_USAGE_REPORT=true",
                                   "STAGEGATE_BASE_URL=http://127.0.0.1:3311",
                                   "STAGEGATE_DURATION_S=10", "STAGEGATE_MAX_VUS=5",
                                   "STAGEGATE_RAMP_UP_S=0", "STAGEGATE_RATE=0",
                                   "STAGEGATE_RATE_TO=0", "STAGEGATE_STAGE=smoke",
                                   "STAGEGATE_TIMEOUT_S=10", "STAGEGATE_VUS=5"});
    CHECK(test::read_lines(dir.path() / "record" / "cwd") ==
          std::vector<std::string>{out.string()});
    // k6's stdout and stderr are kept as an artifact.
    CHECK(test::slurp(out / "k6-smoke.log").find("thresholds on metrics") != std::string::npos);
}

TEST_CASE("run 1 replayed: 330 requests, 7x429 + 3x500, and k6's exit 99 is not an error") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "fail");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    auto outcome = run_stage(test::k6_pipeline(), test::closed_stage("smoke", 5, 10s), dir.path());
    REQUIRE(outcome.run);
    const StageRun& run = *outcome.run;
    CHECK(run.totals.totals().requests() == 330);
    CHECK(run.totals.totals().errors(ErrorKind::status_429) == 7);
    CHECK(run.totals.totals().errors(ErrorKind::status_5xx) == 3);
    CHECK(run.totals.operations()[0].requests() == 218);
    CHECK(run.totals.operations()[1].requests() == 112);
    CHECK_FALSE(run.stopped_early);
    CHECK(run.duration_s == Approx(10.06).margin(0.01));  // k6's own run length

    const auto& k6 = run.extra->at("k6");
    CHECK(k6.at("exit_code") == 99);
    CHECK(k6.at("thresholds_ok") == false);
    CHECK(k6.at("thresholds").size() == 12);
    int failed = 0;
    for (const auto& t : k6.at("thresholds")) {
        failed += t.at("ok") == false ? 1 : 0;
    }
    CHECK(failed == 2);
    CHECK(k6.at("checks") == nlohmann::json::parse(R"([
        {"name": "history status ok", "passes": 110, "fails": 2},
        {"name": "send status ok", "passes": 210, "fails": 8}])"));
    CHECK(k6.at("summary").at("http_reqs") == 330);
    CHECK(k6.at("summary").at("ndjson_http_reqs") == 330);
    CHECK(k6.at("summary").at("ndjson_requests") == 330);
    CHECK(k6.at("summary").at("counts_match") == true);
    CHECK(k6.at("untagged_requests") == 0);

    // Every request reached the observer exactly once.
    CHECK(outcome.observer.requests == 330);
    CHECK(outcome.observer.calls >= 1);
    CHECK(outcome.observer.last_active_vus == 5);  // k6's vus gauge
}

TEST_CASE("the NDJSON output is read while k6 still runs") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "fail");
    test::ScopedEnv hold("K6_STANDIN_HOLD", "2.5");  // k6 pauses after its first quarter
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");

    struct Watch : StageObserver {
        std::vector<std::uint64_t> seen;
        void on_interval(const Interval& interval) override {
            seen.push_back(interval.delta->totals().requests());
        }
    } watch;
    Pipeline pipeline = test::k6_pipeline();
    auto executor = k6_executor_plugin().create(pipeline);
    REQUIRE(executor);
    RunContext context;
    context.out_dir = dir.path();
    REQUIRE((*executor)->prepare(context));
    auto run = (*executor)->run_stage(context, test::closed_stage("smoke", 5, 10s), watch, {});
    REQUIRE(run);
    REQUIRE(watch.seen.size() >= 2);
    // The first quarter of the requests arrived in an interval before k6 ended.
    CHECK(watch.seen.front() > 0);
    CHECK(watch.seen.front() < 330);
    std::uint64_t total = 0;
    for (auto n : watch.seen) {
        total += n;
    }
    CHECK(total == 330);
}

TEST_CASE("run 2 replayed: exit 0, every threshold passed") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "pass");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    auto outcome = run_stage(test::k6_pipeline(), test::closed_stage("smoke", 2, 3s), dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->totals.totals().requests() == 40);
    CHECK(outcome.run->totals.totals().failures() == 0);
    CHECK(outcome.run->extra["k6"]["exit_code"] == 0);
    CHECK(outcome.run->extra["k6"]["thresholds_ok"] == true);
}

TEST_CASE("run 3 replayed: every request connection_refused") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "refused");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    auto outcome = run_stage(test::k6_pipeline(), test::closed_stage("smoke", 2, 3s), dir.path());
    REQUIRE(outcome.run);
    const auto& totals = outcome.run->totals.totals();
    CHECK(totals.requests() == 40);
    CHECK(totals.errors(ErrorKind::connection_refused) == 40);
    CHECK(totals.failures() == 40);
    CHECK(outcome.run->extra["k6"]["exit_code"] == 99);
}

TEST_CASE("a script error (exit 107, no request) is an infrastructure error with k6's output") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "script-error");
    auto outcome = run_stage(test::k6_pipeline(), test::closed_stage("smoke", 2, 3s), dir.path());
    REQUIRE_FALSE(outcome.run);
    CHECK(outcome.run.error().code == ErrorCode::infrastructure);
    CHECK(outcome.run.error().message.find("exited with code 107") != std::string::npos);
    CHECK(outcome.run.error().context.find("ReferenceError") != std::string::npos);
}

TEST_CASE("no k6 on PATH: prepare fails with an infrastructure error that says what to do") {
    test::TempDir dir;
    test::ScopedEnv path("PATH", dir.path().string());
    Pipeline pipeline = test::k6_pipeline();
    auto executor = k6_executor_plugin().create(pipeline);
    REQUIRE(executor);
    auto prepared = (*executor)->prepare(RunContext{});
    REQUIRE_FALSE(prepared);
    CHECK(prepared.error().code == ErrorCode::infrastructure);
    CHECK(prepared.error().message == "k6 not found on PATH (install k6 or set scenario.binary)");

    test::edit_k6(pipeline,
                  [&](K6Config& k6) { k6.binary = (dir.path() / "no-such-k6").string(); });
    auto named = (*k6_executor_plugin().create(pipeline))->prepare(RunContext{});
    REQUIRE_FALSE(named);
    CHECK(named.error().message.find("scenario.binary") != std::string::npos);
}

TEST_CASE("scenario.binary names the k6 to run, and a missing script is named") {
    test::TempDir dir;
    // The stand-in's folder is not on PATH (the stand-in still needs bash, cat, sleep...).
    test::ScopedEnv path("PATH", "/usr/local/bin:/usr/bin:/bin");
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "pass");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    Pipeline pipeline = test::k6_pipeline();
    test::edit_k6(pipeline,
                  [](K6Config& k6) { k6.binary = (test::standin_dir() / "k6").string(); });
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 2, 3s), dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->totals.totals().requests() == 40);

    test::edit_k6(pipeline, [&](K6Config& k6) { k6.script = dir.path() / "missing.js"; });
    auto prepared = (*k6_executor_plugin().create(pipeline))->prepare(RunContext{});
    REQUIRE_FALSE(prepared);
    CHECK(prepared.error().code == ErrorCode::infrastructure);
    CHECK(prepared.error().message.find((dir.path() / "missing.js").string()) != std::string::npos);
}

TEST_CASE("the stop token stops k6 promptly and keeps what it measured") {
    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv record("K6_STANDIN_RECORD", (dir.path() / "record").string());
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "fail");
    test::ScopedEnv hold("K6_STANDIN_HOLD", "60");
    Pipeline pipeline = test::k6_pipeline();
    std::stop_source stop;
    std::jthread stopper([&] {
        // Stop once k6 has written its first output.
        const auto ndjson = dir.path() / "k6-smoke.ndjson";
        for (int i = 0; i < 1000; ++i) {
            std::error_code ec;
            if (std::filesystem::file_size(ndjson, ec) > 0 && !ec) {
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    auto outcome =
        run_stage(pipeline, test::closed_stage("smoke", 5, 10s), dir.path(), stop.get_token());
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(outcome.run);
    CHECK(outcome.run->stopped_early);
    CHECK(took < 15s);  // not the 60 s the stand-in would hold
    CHECK(outcome.run->totals.totals().requests() > 0);
    CHECK(outcome.run->totals.totals().requests() < 330);
    CHECK(outcome.run->extra["k6"]["exit"] == "killed by signal 15 (SIGTERM)");
    auto pid = std::stoi(test::slurp(dir.path() / "record" / "pid"));
    CHECK_FALSE(process_running(pid));
}

TEST_CASE("a k6 pipeline declares its operations by name only") {
    const std::string yaml = R"(version: 1
name: k6 chat
target: { base_url: "http://127.0.0.1:3311" }
scenario:
  executor: k6
  script: chat.js
  operations: [ { name: send }, { name: history } ]
stages:
  - { name: smoke, vus: 5, duration: 10s }
)";
    // The loader asks the k6 section to read script:, as the CLI's registry makes it do.
    const ExecutorSections sections = {k6_section()};
    LoadOptions options;
    options.executors = &sections;
    auto pipeline = load_pipeline_text(yaml, test::k6_fixture("pipeline.yaml").string(), options);
    REQUIRE(pipeline);
    CHECK(pipeline->operation_names() == std::vector<std::string>{"send", "history"});
    CHECK(k6_config(*pipeline)->script == test::k6_fixture("chat.js").lexically_normal());

    auto path = standin_path();
    test::TempDir dir;
    test::ScopedEnv fixture("K6_STANDIN_FIXTURE", "fail");
    test::ScopedEnv pause("K6_STANDIN_PAUSE", "0.05");
    auto outcome = run_stage(*pipeline, pipeline->stages[0], dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->totals.operations()[0].requests() == 218);
    CHECK(outcome.run->totals.operations()[1].requests() == 112);
}
