// The builtin engine end to end: real HTTP over 127.0.0.1 against the demo backend and
// small in-test servers. Counts are compared with what the servers saw.
#include <catch2/catch.hpp>

#include "engine_fixtures.hpp"
#include "plugins/executors/builtin/builtin_executor.hpp"

using namespace orch;
using namespace std::chrono_literals;
using test::PipelineBuilder;
using test::RecordingObserver;

namespace {

struct Outcome {
    StageRun run;
    RecordingObserver observer;
};

/// Runs one stage of `pipeline` with a fresh builtin executor.
Outcome run_stage(PipelineBuilder& builder, const StageSpec& stage, int threads = 1,
                  std::stop_token stop = {}) {
    Pipeline& pipeline = builder.pipeline();
    auto executor = make_builtin_executor(pipeline);
    REQUIRE(executor);
    RunContext context;
    context.threads = threads;
    auto prepared = (*executor)->prepare(context);
    REQUIRE(prepared);
    RecordingObserver observer(builder.operation_names().size(), pipeline.body_patterns.size());
    auto run = (*executor)->run_stage(context, stage, observer, stop);
    REQUIRE(run);
    return Outcome{std::move(*run), std::move(observer)};
}

std::uint64_t requests_of(const StageRun& run, std::uint32_t operation) {
    return run.totals.operations().at(operation).requests();
}

std::uint64_t errors_of(const StageRun& run, ErrorKind kind) {
    return run.totals.totals().errors(kind);
}

/// The demo backend's two everyday operations: send (index 0) and history (index 1).
void add_chat_operations(PipelineBuilder& builder, double send_weight, double history_weight) {
    builder.operation(
        builder.request("send", "POST", "/conversations/{{conversationId}}/messages",
                        R"({"userId":"{{userId}}","content":"hello {{uuid}}","type":"text"})",
                        {201}),
        send_weight);
    builder.operation(
        builder.request("history", "GET",
                        "/conversations/{{conversationId}}/messages?userId={{userId}}&limit=5", {},
                        {200}),
        history_weight);
}

/// Every sample of the stage is in exactly one interval: the intervals add up to the totals.
void check_intervals_add_up(const Outcome& outcome) {
    const StageMetrics& totals = outcome.run.totals;
    const StageMetrics& sum = outcome.observer.sum();
    CHECK(sum.totals().requests() == totals.totals().requests());
    CHECK(sum.totals().failures() == totals.totals().failures());
    CHECK(sum.iterations() == totals.iterations());
    CHECK(sum.scheduled() == totals.scheduled());
    CHECK(sum.dropped() == totals.dropped());
    for (std::size_t i = 0; i < totals.operations().size(); ++i) {
        CHECK(sum.operations()[i].requests() == totals.operations()[i].requests());
    }
}

}  // namespace

TEST_CASE("builtin executor: closed model counts every request exactly once") {
    const int threads = GENERATE(1, 2);
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    add_chat_operations(builder, 70, 30);
    auto outcome = run_stage(builder, test::closed_stage(10, 2s), threads);
    const StageRun& run = outcome.run;

    INFO("threads " << threads);
    const auto requests = run.totals.totals().requests();
    CHECK(requests > 100);
    CHECK(requests == backend.requests_total());
    check_intervals_add_up(outcome);
    CHECK(run.totals.totals().failures() == 0);
    CHECK(run.totals.iterations() == requests);  // single-request operations
    CHECK(requests_of(run, 0) + requests_of(run, 1) == requests);
    double send_share = static_cast<double>(requests_of(run, 0)) / static_cast<double>(requests);
    CHECK(send_share == Approx(0.7).margin(0.06));
    CHECK(run.extra->at("workers") == threads);
    CHECK(run.totals.totals().phase_samples() == requests);
    // The engine's latency spans the whole exchange, so it is never below a phase of it.
    CHECK(run.totals.totals().phase_mean_us(4) > 0);
    CHECK(run.totals.totals().latency_uncorrected().mean() >= run.totals.totals().phase_mean_us(4));
    CHECK(run.totals.totals().latency().count() == requests);
    CHECK(run.duration_s >= 2.0);
    CHECK(run.duration_s < 4.0);
    CHECK_FALSE(run.stopped_early);
    CHECK(outcome.observer.seen().size() >= 2);
    CHECK(outcome.observer.seen().front().active_vus == 10);
}

TEST_CASE("builtin executor: flows pass captured values to their next step") {
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    auto send_for_read =
        builder.request("send_for_read", "POST", "/conversations/{{conversationId}}/messages",
                        R"({"userId":"{{userId}}","content":"hi","type":"text"})", {201});
    send_for_read.capture.emplace_back("msg", "/id");
    auto mark_read = builder.request("mark_read", "POST", "/messages/{{msg}}/reads",
                                     R"({"userId":"{{userId}}"})", {201});
    builder.flow("receipt", {send_for_read, mark_read});
    // History pages through one conversation with the cursor the previous page returned.
    builder.operation(builder.request("post_paging", "POST", "/conversations/paging/messages",
                                      R"({"userId":"{{userId}}","content":"p","type":"text"})",
                                      {201}));
    auto history = builder.request(
        "history", "GET",
        "/conversations/paging/messages?userId={{userId}}&limit=2&cursor={{cursor}}", {}, {200});
    history.capture.emplace_back("cursor", "/nextCursor");
    builder.operation(history, 2);

    auto outcome = run_stage(builder, test::closed_stage(5, 2s));
    const StageRun& run = outcome.run;
    CHECK(run.totals.totals().failures() == 0);
    CHECK(errors_of(run, ErrorKind::status_4xx) == 0);
    CHECK(requests_of(run, 0) > 20);
    // Every send_for_read is followed by its mark_read, except where the stage ended between.
    CHECK(requests_of(run, 1) <= requests_of(run, 0));
    CHECK(requests_of(run, 1) + 5 >= requests_of(run, 0));
    CHECK(requests_of(run, 3) > 20);
    CHECK(run.totals.totals().requests() == backend.requests_total());
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: a captured cursor really reaches the next request") {
    // Negative control for the paging test: with a random conversation per iteration the
    // cursor of one conversation is sent to another, which the backend rejects with 400.
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    builder.operation(builder.request("post", "POST", "/conversations/{{conversationId}}/messages",
                                      R"({"userId":"1","content":"p","type":"text"})", {201}));
    auto history = builder.request(
        "history", "GET",
        "/conversations/{{conversationId}}/messages?userId=1&limit=1&cursor={{cursor}}", {}, {200});
    history.capture.emplace_back("cursor", "/nextCursor");
    builder.operation(history, 3);
    auto outcome = run_stage(builder, test::closed_stage(3, 1s));
    CHECK(errors_of(outcome.run, ErrorKind::status_4xx) > 0);
    CHECK(outcome.run.totals.operations()[0].failures() == 0);
}

TEST_CASE("builtin executor: transport failures are classified") {
    PipelineBuilder* current = nullptr;
    auto only_kind = [&](const Outcome& outcome, ErrorKind kind) {
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() > 0);
        CHECK(totals.errors(kind) == totals.requests());
        CHECK(totals.failures() == totals.requests());
        CHECK(totals.latency().count() == 0);  // no response, no latency sample
        const auto& samples = outcome.run.extra->at("failure_samples");
        REQUIRE(samples.size() >= 1);
        CHECK(samples.size() <= 5);
        CHECK(samples[0].at("error") == std::string(error_kind_name(kind)));
        CHECK(samples[0].at("operation") == "get");
        CHECK_FALSE(samples[0].value("message", "").empty());
        check_intervals_add_up(outcome);
    };
    (void)current;

    SECTION("connection refused") {
        PipelineBuilder builder("http://127.0.0.1:" + std::to_string(test::free_port()));
        builder.operation(builder.request("get", "GET", "/"));
        only_kind(run_stage(builder, test::closed_stage(2, 500ms, 50ms)),
                  ErrorKind::connection_refused);
    }
    SECTION("timeout: a server that accepts and never answers") {
        test::ListeningSocket silent;  // never accept()s: the kernel completes the handshake
        PipelineBuilder builder("http://127.0.0.1:" + std::to_string(silent.port()));
        builder.pipeline().target.timeout = 200ms;
        builder.operation(builder.request("get", "GET", "/"));
        only_kind(run_stage(builder, test::closed_stage(2, 1s)), ErrorKind::timeout);
    }
    SECTION("connection reset: a server that closes with SO_LINGER 0") {
        test::ResettingServer resetting;
        PipelineBuilder builder("http://127.0.0.1:" + std::to_string(resetting.port()));
        builder.operation(builder.request("get", "GET", "/"));
        only_kind(run_stage(builder, test::closed_stage(2, 500ms, 20ms)),
                  ErrorKind::connection_reset);
    }
}

TEST_CASE("builtin executor: HTTP failures are classified") {
    SECTION("429 from the rate limiter") {
        test::ChatBackend backend({{"DISABLE_RATE_LIMIT", "false"}, {"RATE_LIMIT_PER_MIN", "5"}});
        PipelineBuilder builder(backend.base_url());
        add_chat_operations(builder, 1, 1);
        auto outcome = run_stage(builder, test::closed_stage(2, 1s, 20ms));
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() > 10);
        CHECK(totals.errors(ErrorKind::status_429) == totals.requests() - 5);
        CHECK(totals.failures() == totals.requests() - 5);
        CHECK(totals.status_class(4) == totals.requests() - 5);
    }
    SECTION("5xx with a body pattern") {
        test::ChatBackend backend(std::map<std::string, std::string>{{"FAULT_ERROR_RATE", "0.5"}});
        PipelineBuilder builder(backend.base_url());
        builder.pipeline().body_patterns.push_back({"prisma", "Prisma|Invalid `prisma"});
        builder.pipeline().body_patterns.push_back({"never", "no such text anywhere"});
        add_chat_operations(builder, 1, 1);
        auto outcome = run_stage(builder, test::closed_stage(3, 1s, 10ms));
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() > 20);
        // The backend fails every second request, deterministically.
        CHECK(totals.errors(ErrorKind::status_5xx) == totals.requests() / 2);
        CHECK(totals.failures() == totals.errors(ErrorKind::status_5xx));
        CHECK(totals.body_pattern_hits(0) == totals.errors(ErrorKind::status_5xx));
        CHECK(totals.body_pattern_hits(1) == 0);
        const auto& samples = outcome.run.extra->at("failure_samples");
        REQUIRE(samples.size() >= 2);
        CHECK(samples[0].at("status") == 500);
        CHECK(samples[0].at("body").get<std::string>().find("risma") != std::string::npos);
        check_intervals_add_up(outcome);
    }
    SECTION("a JSON expectation that does not hold") {
        test::ChatBackend backend;
        PipelineBuilder builder(backend.base_url());
        auto send = builder.request("send", "POST", "/conversations/c1/messages",
                                    R"({"userId":"1","content":"x","type":"text"})", {201});
        send.expect.json.emplace_back("/type", nlohmann::json("image"));
        builder.operation(send);
        auto outcome = run_stage(builder, test::closed_stage(2, 500ms, 20ms));
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() > 5);
        CHECK(totals.errors(ErrorKind::expect) == totals.requests());
        CHECK(totals.status_class(2) == totals.requests());
    }
}

TEST_CASE("builtin executor: open model keeps the arrival schedule") {
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    add_chat_operations(builder, 1, 1);
    auto outcome = run_stage(builder, test::open_stage(200, 50, 2s), 2);
    const StageRun& run = outcome.run;
    CHECK(run.totals.scheduled() == 400);
    CHECK(run.totals.totals().requests() + run.totals.dropped() == run.totals.scheduled());
    CHECK(run.totals.totals().requests() >= 396);
    CHECK(run.totals.totals().requests() == backend.requests_total());
    CHECK(run.totals.totals().failures() == 0);
    CHECK(run.generator_behind == (run.totals.dropped() * 100 > run.totals.scheduled()));
    CHECK(run.extra->at("scheduled") == 400);
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: open-model latency counts from the scheduled time") {
    // One request stalls the only slot (max_vus 1) for 800 ms; the requests due meanwhile
    // wait for the slot. Counted from their scheduled time they show the stall; counted from
    // their actual send (uncorrected) they would hide it: coordinated omission.
    test::TestServer server;
    std::atomic<bool> stalled{false};
    std::atomic<std::int64_t> first_ns{0};
    server.on("/", [&](const httplib::Request&, httplib::Response& res) {
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::int64_t expected = 0;
        first_ns.compare_exchange_strong(expected, now);
        if (now - first_ns.load() > 500'000'000 && !stalled.exchange(true)) {
            server.sleep_for(800ms);
        }
        res.set_content("ok", "text/plain");
    });
    server.start();
    PipelineBuilder builder(server.base_url());
    builder.operation(builder.request("get", "GET", "/"));
    auto outcome = run_stage(builder, test::open_stage(100, 1, 2s));
    const auto& totals = outcome.run.totals.totals();
    REQUIRE(stalled.load());
    CHECK(totals.failures() == 0);
    CHECK(totals.requests() + outcome.run.totals.dropped() == 200);
    auto corrected_p99 = totals.latency().value_at_percentile(99);
    auto uncorrected_p99 = totals.latency_uncorrected().value_at_percentile(99);
    INFO("p99 corrected " << corrected_p99 << " us, uncorrected " << uncorrected_p99
                          << " us; requests " << totals.requests() << ", dropped "
                          << outcome.run.totals.dropped() << ", uncorrected p50 "
                          << totals.latency_uncorrected().value_at_percentile(50) << " p98 "
                          << totals.latency_uncorrected().value_at_percentile(98) << " max "
                          << totals.latency_uncorrected().max());
    CHECK(corrected_p99 >= 500'000);
    CHECK(uncorrected_p99 * 3 < corrected_p99);
    CHECK(totals.latency_uncorrected().max() >= 700'000);  // the stalled request itself
}

TEST_CASE("builtin executor: graceful stop") {
    test::TestServer server;
    auto delay = std::make_shared<std::chrono::milliseconds>(300ms);
    server.on("/", [&server, delay](const httplib::Request&, httplib::Response& res) {
        server.sleep_for(*delay);
        res.set_content("ok", "text/plain");
    });
    server.start();
    PipelineBuilder builder(server.base_url());
    builder.operation(builder.request("get", "GET", "/"));

    SECTION("requests in flight at the end finish within graceful_stop and count") {
        auto stage = test::closed_stage(4, 1s);
        stage.graceful_stop = 2s;
        auto outcome = run_stage(builder, stage);
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() >= 12);
        CHECK(totals.requests() == static_cast<std::uint64_t>(server.attempts()));
        CHECK(totals.failures() == 0);
        CHECK(outcome.run.duration_s >= 1.0);
        check_intervals_add_up(outcome);
    }
    SECTION("requests still in flight when graceful_stop runs out count as interrupted") {
        *delay = 2000ms;
        auto stage = test::closed_stage(3, 1s);
        stage.graceful_stop = 100ms;
        auto started = std::chrono::steady_clock::now();
        auto outcome = run_stage(builder, stage);
        auto took = std::chrono::steady_clock::now() - started;
        const auto& totals = outcome.run.totals.totals();
        CHECK(totals.requests() == 3);
        CHECK(totals.errors(ErrorKind::interrupted) == 3);
        CHECK(static_cast<std::uint64_t>(server.attempts()) == totals.requests());
        CHECK(took < 1800ms);
        CHECK(outcome.run.extra->at("failure_samples")[0].at("error") == "interrupted");
        check_intervals_add_up(outcome);
    }
}

TEST_CASE("builtin executor: ramp-up starts VUs over time") {
    test::TestServer server;
    server.on("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok", "text/plain");
    });
    server.start();
    PipelineBuilder builder(server.base_url());
    builder.operation(builder.request("get", "GET", "/"));
    auto stage = test::closed_stage(4, 3s, 50ms);
    stage.ramp_up = 2s;  // VUs start at 0, 0.5, 1.0, 1.5 s
    auto outcome = run_stage(builder, stage);
    const auto& seen = outcome.observer.seen();
    REQUIRE(seen.size() >= 3);
    CHECK(seen[0].active_vus == 3);
    CHECK(seen[1].active_vus == 4);
    CHECK(seen[0].requests < seen[2].requests);
    CHECK(outcome.run.totals.totals().requests() == static_cast<std::uint64_t>(server.attempts()));
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: ramp-down stops VUs over time") {
    test::TestServer server;
    server.on("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok", "text/plain");
    });
    server.start();
    PipelineBuilder builder(server.base_url());
    builder.operation(builder.request("get", "GET", "/"));
    auto stage = test::closed_stage(4, 2s, 50ms);
    stage.ramp_down = 2s;  // VUs stop at 0.5, 1.0, 1.5 and 2 s: 3.5 then 1.5 VU-seconds
    auto outcome = run_stage(builder, stage);
    const auto& seen = outcome.observer.seen();
    REQUIRE(seen.size() >= 2);
    CHECK(seen[0].active_vus == 2);
    CHECK(seen[0].requests > seen[1].requests);
    CHECK(outcome.run.totals.totals().requests() == static_cast<std::uint64_t>(server.attempts()));
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: think time paces each VU without blocking the others") {
    test::TestServer server;
    server.on("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok", "text/plain");
    });
    server.start();
    PipelineBuilder builder(server.base_url());
    builder.operation(builder.request("get", "GET", "/"));
    builder.pipeline().scenario.think_time = 10ms;  // the stage's think_time overrides it
    auto outcome = run_stage(builder, test::closed_stage(3, 1s, 200ms));
    const auto requests = outcome.run.totals.totals().requests();
    // 3 VUs, one request each per 200 ms or more: at most 6 apiece in one second.
    CHECK(requests >= 3);
    CHECK(requests <= 18);
    CHECK(outcome.run.totals.iterations() == requests);
    CHECK(requests == static_cast<std::uint64_t>(server.attempts()));
}

TEST_CASE("builtin executor: open-model flows run their steps in one slot") {
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    auto send_for_read =
        builder.request("send_for_read", "POST", "/conversations/{{conversationId}}/messages",
                        R"({"userId":"{{userId}}","content":"hi","type":"text"})", {201});
    send_for_read.capture.emplace_back("msg", "/id");
    auto mark_read = builder.request("mark_read", "POST", "/messages/{{msg}}/reads",
                                     R"({"userId":"{{userId}}"})", {201});
    builder.flow("receipt", {send_for_read, mark_read});
    auto outcome = run_stage(builder, test::open_stage(50, 10, 1s), 2);
    const StageRun& run = outcome.run;
    CHECK(run.totals.scheduled() == 50);
    CHECK(run.totals.totals().failures() == 0);
    CHECK(requests_of(run, 0) + run.totals.dropped() == 50);
    // A flow's next step is a new request: none starts after the stage end, so only flows
    // whose first step was still in flight then (at most max_vus) miss their second.
    CHECK(requests_of(run, 1) <= requests_of(run, 0));
    CHECK(requests_of(run, 1) + 10 >= requests_of(run, 0));
    CHECK(requests_of(run, 1) > 30);
    CHECK(run.totals.iterations() == requests_of(run, 0));
    CHECK(run.totals.totals().requests() == backend.requests_total());
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: the stop token ends the stage promptly") {
    test::ChatBackend backend;
    PipelineBuilder builder(backend.base_url());
    add_chat_operations(builder, 1, 1);
    std::stop_source stop;
    std::chrono::steady_clock::time_point stop_requested;
    std::thread stopper([&] {
        std::this_thread::sleep_for(500ms);
        stop_requested = std::chrono::steady_clock::now();
        stop.request_stop();
    });
    auto outcome = run_stage(builder, test::closed_stage(4, 30s, 5ms), 2, stop.get_token());
    auto returned = std::chrono::steady_clock::now();
    stopper.join();
    CHECK(returned - stop_requested < 1500ms);
    CHECK(outcome.run.stopped_early);
    CHECK(outcome.run.duration_s < 2.0);
    CHECK(outcome.run.totals.totals().requests() > 0);
    CHECK(outcome.run.totals.totals().requests() == backend.requests_total());
    check_intervals_add_up(outcome);
}

TEST_CASE("builtin executor: prepare refuses what it cannot run") {
    PipelineBuilder builder("gopher+tls://127.0.0.1:1");
    builder.operation(builder.request("get", "GET", "/"));
    auto executor = make_builtin_executor(builder.pipeline());
    REQUIRE(executor);
    RunContext context;
    auto prepared = (*executor)->prepare(context);
    REQUIRE_FALSE(prepared);
    CHECK(prepared.error().message.find("gopher+tls") != std::string::npos);

    // The lean transport carries http:// and https:// only: lean on ftp is refused up front.
    PipelineBuilder lean("ftp://127.0.0.1:1");
    lean.operation(lean.request("get", "GET", "/"));
    lean.pipeline().target.transport = Transport::lean;
    auto lean_executor = make_builtin_executor(lean.pipeline());
    REQUIRE_FALSE(lean_executor);
    CHECK(lean_executor.error().message.find("use transport: auto or curl") != std::string::npos);
}
