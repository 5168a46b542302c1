// The runner (run_pipeline) with a fake executor, a fake backend and a fake clock: no
// process is spawned, no socket opened, no real cooldown waited. What is real: the runner,
// its StageJudge, BackendWatch, hints and verdict logic. The fakes are test doubles of the
// executor plugins and of BackendSupervisor (its members the runner calls are virtual for
// this), scripted per test; the e2e tests (tests/e2e/run_*.sh) run the same paths against
// real processes.
#include "pipeline/runner.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "criteria/criterion.hpp"
#include "support/files.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

/// Time that moves only when the runner waits (a cooldown) or a test advances it.
/// hold_next_wait: the next wait lasts until its stop fires (at most 2 s of real time),
/// for a test that needs the backend watch to notice something first.
class FakeClock final : public RunClock {
  public:
    double now_s() const override { return m_now.load(); }
    void wait(double seconds, std::stop_token stop) override {
        if (hold_next_wait.exchange(false)) {
            for (int i = 0; i < 2000 && !stop.stop_requested(); ++i) {
                std::this_thread::sleep_for(1ms);
            }
        }
        if (!stop.stop_requested()) {
            advance(seconds);
        }
    }
    std::atomic<bool> hold_next_wait{false};
    void advance(double seconds) {
        double now = m_now.load();
        while (!m_now.compare_exchange_weak(now, now + seconds)) {
        }
    }

  private:
    std::atomic<double> m_now{1000.0};
};

HealthAnswer healthy_answer() {
    HealthAnswer answer;
    answer.status = 200;
    answer.healthy = true;
    return answer;
}

HealthAnswer unhealthy_answer() {
    HealthAnswer answer;
    answer.status = 503;
    answer.healthy = false;
    answer.problem = "status 503 (expected 200)";
    return answer;
}

/// A backend whose health answers, exit and start the test scripts (attach mode: nothing
/// launched). Health answers are taken in order; the last one repeats.
class FakeBackend final : public BackendSupervisor {
  public:
    explicit FakeBackend(const Pipeline& pipeline) : BackendSupervisor(pipeline, {}) {}

    std::function<Result<HealthAnswer>()> on_start = [] { return healthy_answer(); };
    std::deque<HealthAnswer> answers{healthy_answer()};

    Result<HealthAnswer> start(std::stop_token) override { return on_start(); }
    HealthAnswer check_health() override {
        std::lock_guard lock(m_mutex);
        ++m_checks;
        HealthAnswer answer = answers.front();
        if (answers.size() > 1) {
            answers.pop_front();
        }
        return answer;
    }
    std::optional<ExitInfo> check_exit() override {
        std::lock_guard lock(m_mutex);
        return m_exit;
    }
    void crash(int signal) {
        std::lock_guard lock(m_mutex);
        ExitInfo exit;
        exit.signal = signal;
        m_exit = exit;
    }
    int checks() const {
        std::lock_guard lock(m_mutex);
        return m_checks;
    }
    std::optional<double> rss_mb() override { return std::nullopt; }
    ExitInfo stop() override { return {}; }
    std::optional<std::string> log_error() const override { return std::nullopt; }
    std::vector<std::string> log_tail(std::size_t) const override { return {}; }
    bool launched() const override { return false; }
    std::optional<pid_t> pid() const override { return std::nullopt; }

  private:
    mutable std::mutex m_mutex;
    int m_checks = 0;
    std::optional<ExitInfo> m_exit;
};

/// `ok` requests of 10 ms and `failed` 500s of 10 ms on operation 0.
StageMetrics requests(std::uint64_t ok, std::uint64_t failed = 0) {
    StageMetrics metrics(1, 0);
    for (std::uint64_t i = 0; i < ok + failed; ++i) {
        RequestSample sample;
        sample.status = i < ok ? 200 : 500;
        sample.error = i < ok ? ErrorKind::none : ErrorKind::status_5xx;
        sample.latency_us = sample.latency_uncorrected_us = 10000;
        metrics.record(sample);
    }
    return metrics;
}

/// What a stage of the fake executor does: by default one interval of 100 good requests.
using StageScript =
    std::function<Result<StageRun>(const StageSpec&, StageObserver&, std::stop_token)>;

Result<StageRun> one_good_interval(const StageSpec&, StageObserver& observer, std::stop_token) {
    StageMetrics delta = requests(100);
    observer.on_interval(Interval{1.0, 1.0, 1, &delta});
    StageRun run(requests(100));
    run.duration_s = 1.0;
    return run;
}

class FakeExecutor final : public Executor {
  public:
    std::map<std::string, StageScript> scripts;  ///< by stage name; else one_good_interval
    std::vector<std::string> ran;                ///< stage names, in the order run
    bool prepared = false;

    Result<void> prepare(const RunContext&) override {
        prepared = true;
        return {};
    }
    Result<StageRun> run_stage(const RunContext&, const StageSpec& stage, StageObserver& observer,
                               std::stop_token stop) override {
        ran.push_back(stage.name);
        auto script = scripts.find(stage.name);
        return script != scripts.end() ? script->second(stage, observer, stop)
                                       : one_good_interval(stage, observer, stop);
    }
};

CriterionSpec criterion(const std::string& text, bool abort = false) {
    auto parsed = parse_criterion(text, MetricCatalog{{"send"}, {}, {}});
    REQUIRE(parsed);
    CriterionSpec spec;
    spec.criterion = *parsed;
    spec.criterion.abort = abort;
    return spec;
}

/// Attach mode (no backend), a health block, stages a, b, c with `cooldown` between them
/// and "error_rate < 1%" each.
Pipeline three_stages(Duration cooldown = 0s) {
    Pipeline pipeline;
    pipeline.name = "runner test";
    pipeline.file = "runner-test.yaml";
    pipeline.target.base_url = "http://127.0.0.1:9";
    pipeline.health = HealthSpec{};
    RequestSpec send;
    send.name = "send";
    OperationSpec op;
    op.name = "send";
    op.steps.push_back(send);
    pipeline.scenario.operations.push_back(op);
    pipeline.defaults.cooldown = cooldown;
    for (const char* name : {"a", "b", "c"}) {
        StageSpec stage;
        stage.name = name;
        stage.vus = 1;
        stage.duration = 1s;
        stage.criteria.push_back(criterion("error_rate < 1%"));
        pipeline.stages.push_back(stage);
    }
    return pipeline;
}

/// Records what the runner tells a person.
class Recorder final : public RunListener {
  public:
    std::function<void()> on_first_cooldown;
    std::vector<double> cooldown_remaining;
    std::vector<std::string> started;
    void on_stage_start(const StageSpec& stage, std::size_t, std::size_t) override {
        started.push_back(stage.name);
    }
    void on_cooldown(std::string_view, double remaining_s, double) override {
        cooldown_remaining.push_back(remaining_s);
        if (on_first_cooldown) {
            std::exchange(on_first_cooldown, nullptr)();
        }
    }
};

/// One run with the fakes; the reports are not written (no reporters).
struct Harness {
    explicit Harness(Pipeline p) : pipeline(std::move(p)), backend(pipeline) {
        options.out_dir = dir.path() / "out";
        options.clock = &clock;
        options.backend = &backend;
        options.interrupts = &interrupts;
    }
    RunReport run() { return run_pipeline(pipeline, executor, {}, options, listener); }

    test::TempDir dir;
    Pipeline pipeline;
    FakeBackend backend;
    FakeClock clock;
    FakeExecutor executor;
    Recorder listener;
    std::atomic<int> interrupts{0};
    RunOptions options;
};

}  // namespace

TEST_CASE("runner: stages run in pipeline order and every one passing passes the run", "[runner]") {
    Harness h(three_stages());
    RunReport report = h.run();
    CHECK(h.executor.prepared);
    CHECK(h.executor.ran == std::vector<std::string>{"a", "b", "c"});
    CHECK(h.listener.started == h.executor.ran);
    CHECK(report.verdict == Verdict::pass);
    CHECK(report.exit_code == 0);
    CHECK(report.highest_passed_stage == "c");
    REQUIRE(report.stages.size() == 3);
    for (const auto& stage : report.stages) {
        CHECK(stage.verdict == Verdict::pass);
        CHECK(stage.metrics.get("requests") == 100.0);
    }
}

TEST_CASE("runner: --only and --from select the stages that run", "[runner]") {
    SECTION("--from b runs b and c") {
        Harness h(three_stages());
        h.options.from = "b";
        RunReport report = h.run();
        CHECK(h.executor.ran == std::vector<std::string>{"b", "c"});
        CHECK(report.verdict == Verdict::pass);
        CHECK(report.stages.size() == 2);
    }
    SECTION("--only c runs c alone") {
        Harness h(three_stages());
        h.options.only = {"c"};
        RunReport report = h.run();
        CHECK(h.executor.ran == std::vector<std::string>{"c"});
        CHECK(report.stages.size() == 1);
    }
    SECTION("--only a, --from b select nothing: INVALID, nothing runs") {
        Harness h(three_stages());
        h.options.only = {"a"};
        h.options.from = "b";
        RunReport report = h.run();
        CHECK(h.executor.ran.empty());
        CHECK_FALSE(h.executor.prepared);
        CHECK(report.verdict == Verdict::invalid);
        CHECK_THAT(report.reason, Catch::Contains("select no stage"));
    }
    SECTION("an unknown name is INVALID with did-you-mean") {
        Harness h(three_stages());
        h.pipeline.stages[1].name = "warmup";
        h.options.from = "warmpu";
        RunReport report = h.run();
        CHECK(h.executor.ran.empty());
        CHECK(report.verdict == Verdict::invalid);
        CHECK_THAT(report.reason, Catch::Contains("did you mean \"warmup\""));
    }
}

TEST_CASE("runner: the cooldown before each later stage is waited on the run's clock", "[runner]") {
    Harness h(three_stages(30s));
    double before = h.clock.now_s();
    RunReport report = h.run();
    CHECK(report.verdict == Verdict::pass);
    // Two cooldowns of 30 s, counted down a second at a time, then 0 at each end.
    CHECK(h.clock.now_s() - before == Approx(60.0));
    REQUIRE(h.listener.cooldown_remaining.size() == 2 * 31);
    CHECK(h.listener.cooldown_remaining.front() == Approx(30.0));
    CHECK(h.listener.cooldown_remaining[29] == Approx(1.0));
    CHECK(h.listener.cooldown_remaining[30] == 0.0);
    CHECK(report.stages[0].cooldown_s == 0.0);
    CHECK(report.stages[1].cooldown_s == 30.0);
}

TEST_CASE("runner: a backend crash in the cooldown fails the next stage, which never runs",
          "[runner]") {
    Harness h(three_stages(5s));
    h.listener.on_first_cooldown = [&h] {
        h.backend.crash(9);
        h.clock.hold_next_wait = true;  // until the watch has seen the exit (within 100 ms)
    };
    RunReport report = h.run();
    CHECK(h.executor.ran == std::vector<std::string>{"a"});
    CHECK(report.stages[0].verdict == Verdict::pass);
    CHECK(report.stages[1].verdict == Verdict::fail);
    CHECK_THAT(report.stages[1].reason,
               Catch::Contains("into the cooldown before \"b\"") && Catch::Contains("signal 9"));
    CHECK(report.stages[2].verdict == Verdict::skipped);
    CHECK(report.verdict == Verdict::fail);
}

TEST_CASE("runner: unhealthy before a stage fails that stage; it is not run", "[runner]") {
    Harness h(three_stages());
    // a: before, after; b: before -> unhealthy.
    h.backend.answers = {healthy_answer(), healthy_answer(), unhealthy_answer()};
    RunReport report = h.run();
    CHECK(h.executor.ran == std::vector<std::string>{"a"});
    CHECK(report.stages[0].verdict == Verdict::pass);
    CHECK(report.stages[1].verdict == Verdict::fail);
    CHECK_THAT(report.stages[1].reason, Catch::StartsWith("backend unhealthy before the stage") &&
                                            Catch::Contains("status 503"));
    CHECK(report.stages[2].verdict == Verdict::skipped);
    CHECK(report.verdict == Verdict::fail);
}

TEST_CASE("runner: turning unhealthy during a stage stops and fails that stage", "[runner]") {
    Harness h(three_stages());
    // a: before, after (no poll: its clock stands still); b: before healthy, then every
    // poll unhealthy.
    h.backend.answers = {healthy_answer(), healthy_answer(), healthy_answer(), unhealthy_answer()};
    bool stopped = false;
    h.executor.scripts["b"] = [&](const StageSpec& s, StageObserver& o, std::stop_token stop) {
        h.clock.advance(1.5);  // the watch polls health once a second of the run's clock
        for (int i = 0; i < 200 && !stop.stop_requested(); ++i) {
            std::this_thread::sleep_for(10ms);
        }
        stopped = stop.stop_requested();
        return one_good_interval(s, o, stop);
    };
    RunReport report = h.run();
    CHECK(stopped);
    CHECK(h.executor.ran == std::vector<std::string>{"a", "b"});
    CHECK(report.stages[0].verdict == Verdict::pass);
    CHECK(report.stages[1].verdict == Verdict::fail);
    CHECK_THAT(report.stages[1].reason, Catch::StartsWith("backend turned unhealthy 1.5s into "
                                                          "the stage"));
    CHECK(report.stages[2].verdict == Verdict::skipped);
}

TEST_CASE("runner: unhealthy when a stage ends fails that stage, not the next", "[runner]") {
    Harness h(three_stages());
    // a: before healthy, after (the end of a) unhealthy; no poll happens (clock stands).
    h.backend.answers = {healthy_answer(), unhealthy_answer()};
    RunReport report = h.run();
    CHECK(h.executor.ran == std::vector<std::string>{"a"});
    CHECK(report.stages[0].verdict == Verdict::fail);
    CHECK_THAT(report.stages[0].reason,
               Catch::StartsWith("backend unhealthy when the stage ended"));
    CHECK(report.stages[1].verdict == Verdict::skipped);
}

TEST_CASE("runner: an abort criterion breached stops the stage at once and fails it", "[runner]") {
    Harness h(three_stages());
    h.pipeline.stages[0].criteria = {criterion("error_rate < 1%", true)};
    int intervals_after_stop = 0;
    h.executor.scripts["a"] = [&](const StageSpec&, StageObserver& o, std::stop_token stop) {
        StageMetrics total(1, 0);
        for (int second = 1; second <= 10; ++second) {
            if (stop.stop_requested()) {
                ++intervals_after_stop;
                break;
            }
            StageMetrics delta = requests(50, 50);
            total.merge(delta);
            o.on_interval(Interval{double(second), 1.0, 1, &delta});
        }
        StageRun run(std::move(total));
        run.duration_s = 1.0;
        run.stopped_early = stop.stop_requested();
        return Result<StageRun>(std::move(run));
    };
    RunReport report = h.run();
    CHECK(intervals_after_stop == 1);  // stopped after the first interval
    CHECK(report.stages[0].verdict == Verdict::fail);
    CHECK_THAT(report.stages[0].reason, Catch::StartsWith("aborted: error_rate < 1% (actual 50%") &&
                                            Catch::Contains("aborted the stage at 1.0s"));
    CHECK(report.stages[0].metrics.get("requests") == 100.0);
    CHECK(h.executor.ran == std::vector<std::string>{"a"});
}

TEST_CASE("runner: SIGINT at each phase ends the run INTERRUPTED", "[runner]") {
    SECTION("while waiting for the backend") {
        Harness h(three_stages());
        h.backend.on_start = [&h]() -> Result<HealthAnswer> {
            h.interrupts = 1;
            return fail(ErrorCode::interrupted, "interrupted");
        };
        RunReport report = h.run();
        CHECK(h.executor.ran.empty());
        CHECK(report.verdict == Verdict::interrupted);
        CHECK(report.reason == "interrupted while waiting for the backend");
    }
    SECTION("during a stage") {
        Harness h(three_stages());
        h.executor.scripts["b"] = [&h](const StageSpec& s, StageObserver& o, std::stop_token stop) {
            h.interrupts = 1;
            for (int i = 0; i < 200 && !stop.stop_requested(); ++i) {
                std::this_thread::sleep_for(5ms);  // the watch relays the signal
            }
            return one_good_interval(s, o, stop);
        };
        RunReport report = h.run();
        CHECK(h.executor.ran == std::vector<std::string>{"a", "b"});
        CHECK(report.stages[1].verdict == Verdict::interrupted);
        CHECK_THAT(report.stages[1].reason, Catch::StartsWith("interrupted"));
        CHECK(report.stages[2].verdict == Verdict::skipped);
        CHECK(report.verdict == Verdict::interrupted);
    }
    SECTION("during a cooldown") {
        Harness h(three_stages(10s));
        h.listener.on_first_cooldown = [&h] { h.interrupts = 1; };
        RunReport report = h.run();
        CHECK(h.executor.ran == std::vector<std::string>{"a"});
        CHECK(report.stages[1].verdict == Verdict::skipped);
        CHECK(report.stages[1].reason == "not run: interrupted during the cooldown");
        CHECK(report.verdict == Verdict::interrupted);
        CHECK(report.reason == "interrupted during the cooldown before \"b\"");
    }
}

TEST_CASE("runner: a generator that fell behind makes the stage INCONCLUSIVE", "[runner]") {
    Harness h(three_stages());
    h.executor.scripts["b"] = [](const StageSpec& s, StageObserver& o, std::stop_token t) {
        auto run = one_good_interval(s, o, t);
        run->generator_behind = true;
        run->generator_note = "dropped 5% of scheduled arrivals";
        return run;
    };
    RunReport report = h.run();
    CHECK(report.stages[1].verdict == Verdict::inconclusive);
    CHECK_THAT(report.stages[1].reason, Catch::Contains("dropped 5% of scheduled arrivals"));
    CHECK(report.stages[2].verdict == Verdict::skipped);
    CHECK(report.verdict == Verdict::inconclusive);
}

TEST_CASE("runner: generator limits make latency misses INCONCLUSIVE, other misses FAIL",
          "[runner]") {
    auto limited = [](const StageSpec& s, StageObserver& o, std::stop_token t) {
        auto run = one_good_interval(s, o, t);
        run->generator_behind = run->generator_limited = true;
        run->generator_note = "out of file descriptors";
        return run;
    };
    SECTION("a latency miss") {
        Harness h(three_stages());
        h.pipeline.stages[0].criteria = {criterion("p95 < 5ms")};
        h.executor.scripts["a"] = limited;
        RunReport report = h.run();
        CHECK(report.stages[0].verdict == Verdict::inconclusive);
        CHECK_THAT(report.stages[0].reason, Catch::Contains("not the backend's: p95 < 5ms"));
    }
    SECTION("an error-rate miss") {
        Harness h(three_stages());
        h.pipeline.stages[0].criteria = {criterion("p95 < 5ms"), criterion("error_rate < 1%")};
        h.executor.scripts["a"] = [](const StageSpec&, StageObserver& o, std::stop_token) {
            StageMetrics delta = requests(50, 50);
            o.on_interval(Interval{1.0, 1.0, 1, &delta});
            StageRun run(requests(50, 50));
            run.duration_s = 1.0;
            run.generator_behind = run.generator_limited = true;
            run.generator_note = "out of file descriptors";
            return Result<StageRun>(std::move(run));
        };
        RunReport report = h.run();
        CHECK(report.stages[0].verdict == Verdict::fail);
        CHECK_THAT(report.stages[0].reason, Catch::Contains("error_rate < 1% (actual 50%)"));
    }
}

TEST_CASE("runner: a criterion without data never passes", "[runner]") {
    Harness h(three_stages());
    h.pipeline.stages[0].criteria = {criterion("p95 < 100ms")};
    h.executor.scripts["a"] = [](const StageSpec&, StageObserver&, std::stop_token) {
        StageRun run(StageMetrics(1, 0));  // no request at all
        run.duration_s = 1.0;
        return Result<StageRun>(std::move(run));
    };
    RunReport report = h.run();
    REQUIRE(report.stages[0].criteria.size() == 1);
    CHECK_FALSE(report.stages[0].criteria[0].pass);
    CHECK(report.stages[0].verdict == Verdict::fail);
    CHECK_THAT(report.stages[0].reason, Catch::Contains("p95 < 100ms (no data)"));
    CHECK(report.verdict == Verdict::fail);
}

TEST_CASE("runner: an executor error is an ERROR of the stage and of the run", "[runner]") {
    Harness h(three_stages());
    h.executor.scripts["a"] = [](const StageSpec&, StageObserver&,
                                 std::stop_token) -> Result<StageRun> {
        return fail(ErrorCode::infrastructure, "k6 not found");
    };
    RunReport report = h.run();
    CHECK(report.stages[0].verdict == Verdict::error);
    CHECK(report.stages[0].reason == "executor failed: k6 not found");
    CHECK(report.verdict == Verdict::error);
    CHECK(report.exit_code == k_exit_error);
}
