// The command executor end to end: with a TEST DOUBLE tool that writes a prepared stage
// result (tests/fixtures/tools/stage-result-writer.sh), and with the real wrk through its
// adapter (plugins/adapters/wrk/) against the real demo backend.
#include "plugins/executors/command/command_executor.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "command_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

struct Outcome {
    Result<StageRun> run;
    test::RecordingObserver observer;
};

Outcome run_stage(const Pipeline& pipeline, const StageSpec& stage,
                  const std::filesystem::path& out, std::stop_token stop = {}) {
    auto executor = command_executor_plugin().create(pipeline);
    REQUIRE(executor);
    RunContext context;
    context.out_dir = out;
    auto prepared = (*executor)->prepare(context);
    REQUIRE(prepared);
    Outcome outcome{Result<StageRun>(tl::unexpect, Error{}), {}};
    outcome.run = (*executor)->run_stage(context, stage, outcome.observer, stop);
    return outcome;
}

Pipeline writer_pipeline(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> command = {test::tools_fixture("stage-result-writer.sh").string()};
    command.insert(command.end(), extra_args.begin(), extra_args.end());
    return test::command_pipeline(command);
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

bool have_wrk() {
    return std::system("command -v wrk > /dev/null 2>&1") == 0;
}

std::filesystem::path wrk_adapter() {
    return std::filesystem::path(STAGEGATE_SOURCE_DIR) / "plugins" / "adapters" / "wrk" /
           "stagegate-wrk.sh";
}

}  // namespace

TEST_CASE("the program gets its arguments, the STAGEGATE_* variables, and the result is read") {
    test::TempDir dir;
    test::ScopedEnv record("WRITER_RECORD", (dir.path() / "record").string());
    test::ScopedEnv result(
        "WRITER_RESULT", test::stage_result_fixture("valid-operations-percentiles.json").string());
    const auto out = dir.path() / "out";
    Pipeline pipeline = writer_pipeline({"--flag", "two words"});
    pipeline.target.base_url = "http://127.0.0.1:9";
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 4, 2s), out);
    REQUIRE(outcome.run);

    CHECK(test::read_lines(dir.path() / "record" / "args") ==
          std::vector<std::string>{"--flag", "two words"});
    CHECK(test::read_lines(dir.path() / "record" / "env") ==
          std::vector<std::string>{
              "STAGEGATE_BASE_URL=http://127.0.0.1:9", "STAGEGATE_DURATION_S=2",
              "STAGEGATE_MAX_VUS=4", "STAGEGATE_OUT_DIR=" + out.string(), "STAGEGATE_RAMP_UP_S=0",
              "STAGEGATE_RATE=0", "STAGEGATE_RATE_TO=0",
              "STAGEGATE_RESULT_FILE=" + (out / "command-smoke-result.json").string(),
              "STAGEGATE_STAGE=smoke", "STAGEGATE_TIMEOUT_S=10", "STAGEGATE_VUS=4"});
    // Its output is kept as an artifact.
    CHECK(test::slurp(out / "command-smoke.log").find("stage-result-writer: stage smoke, 4 VUs") !=
          std::string::npos);

    const StageRun& run = *outcome.run;
    CHECK(run.totals.totals().requests() == 1000);
    CHECK(run.totals.operations()[0].requests() == 700);
    CHECK(run.totals.operations()[0].errors(ErrorKind::status_5xx) == 14);
    CHECK(run.totals.operations()[1].requests() == 300);
    CHECK(run.duration_s == 10);  // the tool's own measurement
    CHECK_FALSE(run.stopped_early);
    CHECK_FALSE(run.generator_behind);
    CHECK(run.extra["command"]["exit_code"] == 0);
    CHECK(run.extra["command"]["tool"]["version"] == "1.2.3");
    // One interval, the whole stage, at the end.
    CHECK(outcome.observer.calls == 1);
    CHECK(outcome.observer.requests == 1000);
    CHECK(outcome.observer.last_length_s == 10);
}

TEST_CASE("a relative program path is taken from the pipeline file's folder, which is the cwd") {
    test::TempDir dir;
    test::ScopedEnv record("WRITER_RECORD", (dir.path() / "record").string());
    test::ScopedEnv result("WRITER_RESULT",
                           test::stage_result_fixture("valid-totals-histogram.json").string());
    Pipeline pipeline = test::command_pipeline({"../stage-result-writer.sh"});
    pipeline.file = test::tools_fixture("stage-results") / "pipeline.yaml";
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 1, 1s), dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->totals.totals().requests() == 1000);
    CHECK(test::read_lines(dir.path() / "record" / "cwd") ==
          std::vector<std::string>{test::tools_fixture("stage-results").string()});
}

TEST_CASE("more than 1% dropped makes the generator 'behind'") {
    test::TempDir dir;
    test::ScopedEnv result("WRITER_RESULT",
                           test::stage_result_fixture("valid-open-model-dropped.json").string());
    StageSpec stage;
    stage.name = "capacity";
    stage.rate = RateSpec{100, 100};
    stage.max_vus = 10;
    stage.duration = 60s;
    auto outcome = run_stage(writer_pipeline(), stage, dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->generator_behind);
    CHECK(outcome.run->generator_note.find("120 of 6000") != std::string::npos);
}

TEST_CASE("no result and a failed exit: infrastructure error with the program's output") {
    test::TempDir dir;
    test::ScopedEnv mode("WRITER_MODE", "none");
    test::ScopedEnv code("WRITER_EXIT", "4");
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 1s), dir.path());
    REQUIRE_FALSE(outcome.run);
    CHECK(outcome.run.error().code == ErrorCode::infrastructure);
    CHECK(outcome.run.error().message.find("exited with code 4 and wrote no stage result") !=
          std::string::npos);
    CHECK(outcome.run.error().context.find("cannot reach http://127.0.0.1:3311: giving up") !=
          std::string::npos);
    CHECK(outcome.observer.calls == 0);
}

TEST_CASE("no result after a clean exit is an error too") {
    test::TempDir dir;
    test::ScopedEnv mode("WRITER_MODE", "none");
    test::ScopedEnv code("WRITER_EXIT", "0");
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 1s), dir.path());
    REQUIRE_FALSE(outcome.run);
    CHECK(outcome.run.error().message.find("exited with code 0 and wrote no stage result") !=
          std::string::npos);
}

TEST_CASE("an invalid result is an infrastructure error naming the file and the JSON path") {
    test::TempDir dir;
    test::ScopedEnv result(
        "WRITER_RESULT",
        test::stage_result_fixture("invalid-semantic-errors-exceed-requests.json").string());
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 1s), dir.path());
    REQUIRE_FALSE(outcome.run);
    CHECK(outcome.run.error().code == ErrorCode::infrastructure);
    CHECK(outcome.run.error().message ==
          (dir.path() / "command-smoke-result.json").string() +
              ": operations[0].errors: add up to 13, more than requests (10)");
}

TEST_CASE("a failed exit with a valid result: the result counts, the exit code is reported") {
    test::TempDir dir;
    test::ScopedEnv mode("WRITER_MODE", "copy-fail");
    test::ScopedEnv result("WRITER_RESULT",
                           test::stage_result_fixture("valid-totals-histogram.json").string());
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 1s), dir.path());
    REQUIRE(outcome.run);
    CHECK(outcome.run->totals.totals().requests() == 1000);
    CHECK(outcome.run->extra["command"]["exit_code"] == 3);
}

TEST_CASE("a stale result from an earlier run is never read") {
    test::TempDir dir;
    std::filesystem::copy_file(test::stage_result_fixture("valid-totals-histogram.json"),
                               dir.path() / "command-smoke-result.json");
    test::ScopedEnv mode("WRITER_MODE", "none");
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 1s), dir.path());
    CHECK_FALSE(outcome.run);
}

TEST_CASE("the stop token stops the program promptly") {
    test::TempDir dir;
    test::ScopedEnv mode("WRITER_MODE", "hold");
    test::ScopedEnv record("WRITER_RECORD", (dir.path() / "record").string());
    std::stop_source stop;
    std::jthread stopper([&] {
        const auto pid_file = dir.path() / "record" / "pid";
        for (int i = 0; i < 1000 && !std::filesystem::exists(pid_file); ++i) {
            std::this_thread::sleep_for(10ms);
        }
        std::this_thread::sleep_for(100ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    auto outcome = run_stage(writer_pipeline(), test::closed_stage("smoke", 1, 30s), dir.path(),
                             stop.get_token());
    CHECK(std::chrono::steady_clock::now() - start < 15s);  // not the 60 s it would hold
    REQUIRE(outcome.run);
    CHECK(outcome.run->stopped_early);
    CHECK(outcome.run->totals.totals().requests() == 0);
    CHECK_FALSE(process_running(std::stoi(test::slurp(dir.path() / "record" / "pid"))));
}

TEST_CASE("a missing program is an infrastructure error at prepare") {
    Pipeline pipeline = test::command_pipeline({"/nonexistent/load-tool"});
    auto executor = command_executor_plugin().create(pipeline);
    REQUIRE(executor);
    auto prepared = (*executor)->prepare(RunContext{});
    REQUIRE_FALSE(prepared);
    CHECK(prepared.error().code == ErrorCode::infrastructure);
    CHECK(prepared.error().message.find("\"/nonexistent/load-tool\" not found") !=
          std::string::npos);

    auto bare =
        (*command_executor_plugin().create(test::command_pipeline({"no-such-load-tool-xyz"})))
            ->prepare(RunContext{});
    REQUIRE_FALSE(bare);
    CHECK(bare.error().message.find("searched in PATH") != std::string::npos);
}

TEST_CASE("wrk through its adapter against the demo backend: counts agree with the backend") {
    if (!have_wrk()) {
        WARN("wrk is not installed (apt-get install wrk): skipped");
        SUCCEED();
        return;
    }
    test::TempDir dir;
    auto backend = test::ChatBackend::start(dir.path());
    REQUIRE(backend);
    Pipeline pipeline = test::command_pipeline(
        {wrk_adapter().string(), "/conversations/c1/messages?userId=1&limit=20"}, {"history"});
    pipeline.target.base_url = backend->base_url();
    test::ScopedEnv operation("WRK_OPERATION", "history");
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 4, 2s), dir.path());
    REQUIRE(outcome.run);
    auto stats = backend->get_json("/stats");
    REQUIRE(stats);

    const OperationStats& history = outcome.run->totals.operations()[0];
    const auto served = (*stats)["requests_total"].get<std::uint64_t>();
    INFO("wrk counted " << history.requests() << ", the backend served " << served);
    CHECK(history.requests() > 0);
    CHECK(history.failures() == 0);
    CHECK(history.status_class(2) == history.requests());
    CHECK(history.latency().count() == history.requests());
    // wrk counts completed responses; when its time is up, each of the 4 connections may
    // have one request in flight that the backend served but wrk never counted.
    CHECK(served >= history.requests());
    CHECK(served <= history.requests() + 4);
    CHECK(outcome.run->duration_s == Approx(2.0).margin(0.5));
    CHECK(outcome.run->extra["command"]["tool"]["name"] == "wrk");
}

TEST_CASE("wrk against a backend failing half its requests: half are status_5xx") {
    if (!have_wrk()) {
        WARN("wrk is not installed (apt-get install wrk): skipped");
        SUCCEED();
        return;
    }
    test::TempDir dir;
    auto backend = test::ChatBackend::start(dir.path(), {{"FAULT_ERROR_RATE", "0.5"}});
    REQUIRE(backend);
    Pipeline pipeline = test::command_pipeline(
        {wrk_adapter().string(), "/conversations/c1/messages?userId=1&limit=20"}, {"history"});
    pipeline.target.base_url = backend->base_url();
    test::ScopedEnv operation("WRK_OPERATION", "history");
    auto outcome = run_stage(pipeline, test::closed_stage("smoke", 4, 2s), dir.path());
    REQUIRE(outcome.run);
    auto stats = backend->get_json("/stats");
    REQUIRE(stats);

    const OperationStats& history = outcome.run->totals.operations()[0];
    const auto errors_5xx = history.errors(ErrorKind::status_5xx);
    const auto served_500 = (*stats)["status_counts"]["500"].get<std::uint64_t>();
    INFO("requests " << history.requests() << ", 5xx " << errors_5xx << ", backend 500s "
                     << served_500);
    REQUIRE(history.requests() > 100);
    // The backend fails exactly every second request it serves; wrk does not count the up
    // to 4 requests in flight when its time is up, so the halves agree within 2 x 4 + 1.
    CHECK(errors_5xx * 2 + 10 >= history.requests());
    CHECK(errors_5xx * 2 <= history.requests() + 10);
    CHECK(history.failures() == errors_5xx);
    CHECK(served_500 >= errors_5xx);
    CHECK(served_500 <= errors_5xx + 4);
}

TEST_CASE("the wrk adapter refuses an open-model stage") {
    if (!have_wrk()) {
        WARN("wrk is not installed (apt-get install wrk): skipped");
        SUCCEED();
        return;
    }
    test::TempDir dir;
    Pipeline pipeline = test::command_pipeline({wrk_adapter().string()});
    StageSpec stage;
    stage.name = "capacity";
    stage.rate = RateSpec{100, 100};
    stage.max_vus = 10;
    stage.duration = 1s;
    auto outcome = run_stage(pipeline, stage, dir.path());
    REQUIRE_FALSE(outcome.run);
    CHECK(outcome.run.error().context.find("wrk has no open model") != std::string::npos);
}
