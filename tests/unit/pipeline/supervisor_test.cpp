// BackendSupervisor with the real demo backend (CHAT_BACKEND_PATH) on 127.0.0.1: launch
// and attach mode, readiness failures (slow start, immediate exit, unhealthy), crash
// detection, port preflight, interruption.
#include "pipeline/supervisor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/files.hpp"
#include "support/sockets.hpp"

using namespace orch;
using orch::test::free_port;
using orch::test::Listener;
using orch::test::TempDir;
using namespace std::chrono_literals;

namespace {

using SteadyClock = std::chrono::steady_clock;

/// A launch-mode pipeline for the demo backend on `port`.
Pipeline demo_pipeline(int port, std::vector<std::pair<std::string, std::string>> env = {}) {
    Pipeline pipeline;
    pipeline.name = "supervisor test";
    pipeline.target.base_url = "http://127.0.0.1:" + std::to_string(port);
    pipeline.target.timeout = 2s;
    BackendSpec backend;
    backend.command = {CHAT_BACKEND_PATH};
    backend.env = std::move(env);
    backend.env.emplace_back("PORT", std::to_string(port));
    backend.startup_timeout = 10s;
    backend.stop_timeout = 3s;
    pipeline.backend = backend;
    HealthSpec health;
    health.expect_json = {{"/status", nlohmann::json("ok")}};
    health.interval = 50ms;
    pipeline.health = health;
    return pipeline;
}

SupervisorOptions options_in(const TempDir& dir) {
    SupervisorOptions options;
    options.base_dir = dir.path();
    options.log_path = dir.path() / "backend.log";
    return options;
}

bool running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat) || stat.rfind(')') == std::string::npos) {
        return false;
    }
    char state = stat[stat.rfind(')') + 2];
    return state != 'Z' && state != 'X';
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line + "\n";
    }
    return text;
}

}  // namespace

TEST_CASE("launch mode: the demo backend becomes healthy and stops cleanly", "[supervisor]") {
    TempDir dir;
    int port = free_port();
    Pipeline pipeline = demo_pipeline(port);
    pipeline.health->memory_json = "/memory/rss";
    BackendSupervisor supervisor(pipeline, options_in(dir));
    CHECK(supervisor.health_target() == "GET http://127.0.0.1:" + std::to_string(port) + "/health");

    auto ready = supervisor.start();
    INFO((ready ? std::string() : ready.error().message + "\n" + ready.error().context));
    REQUIRE(ready);
    CHECK(ready->healthy);
    CHECK(ready->json->at("status") == "ok");
    CHECK(supervisor.launched());
    REQUIRE(supervisor.pid());
    pid_t pid = *supervisor.pid();
    CHECK(running(pid));
    CHECK_FALSE(supervisor.check_exit());

    auto health = supervisor.check_health();
    CHECK(health.healthy);
    auto rss = supervisor.rss_mb();  // from /memory/rss of that answer
    REQUIRE(rss);
    CHECK(*rss == Approx(*json_number_at(*health.json, "/memory/rss") / (1024.0 * 1024.0)));
    CHECK_THAT(joined(supervisor.log_tail(20)), Catch::Contains("listening on"));

    auto exit = supervisor.stop();
    CHECK(exit.exit_code == 0);  // the demo backend exits 0 on SIGTERM
    CHECK_FALSE(running(pid));
    CHECK(supervisor.check_exit());
    CHECK(supervisor.stop().exit_code == 0);  // idempotent
}

TEST_CASE("launch mode without memory_json: RSS of the process tree", "[supervisor]") {
    TempDir dir;
    BackendSupervisor supervisor(demo_pipeline(free_port()), options_in(dir));
    REQUIRE(supervisor.start());
    auto rss = supervisor.rss_mb();
    REQUIRE(rss);
    CHECK(*rss > 0.1);
    supervisor.stop();
    CHECK_FALSE(supervisor.rss_mb());
}

TEST_CASE("a backend slower than startup_timeout: error with the last answer and log",
          "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port(), {{"FAULT_STARTUP_DELAY_MS", "5000"}});
    pipeline.backend->startup_timeout = 1s;
    BackendSupervisor supervisor(pipeline, options_in(dir));
    auto started = SteadyClock::now();
    auto ready = supervisor.start();
    CHECK(SteadyClock::now() - started < 2s + pipeline.backend->stop_timeout);
    REQUIRE_FALSE(ready);
    CHECK(ready.error().code == ErrorCode::infrastructure);
    CHECK_THAT(ready.error().message,
               Catch::StartsWith("backend did not become healthy within 1s"));
    CHECK_THAT(ready.error().message, Catch::EndsWith("connection refused"));
    CHECK_THAT(ready.error().context, Catch::Contains("backend.log"));
    // Stopped: nothing left running.
    REQUIRE(supervisor.pid());
    CHECK_FALSE(running(*supervisor.pid()));
}

TEST_CASE("a backend that exits at once fails fast, naming the exit code", "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port());
    SECTION("/bin/false") {
        pipeline.backend->command = {"/bin/false"};
        BackendSupervisor supervisor(pipeline, options_in(dir));
        auto started = SteadyClock::now();
        auto ready = supervisor.start();
        CHECK(SteadyClock::now() - started < 5s);  // far below startup_timeout (10s)
        REQUIRE_FALSE(ready);
        CHECK(ready.error().code == ErrorCode::infrastructure);
        CHECK(ready.error().message == "backend exited with code 1 before it became healthy");
        REQUIRE(supervisor.check_exit());
        CHECK(supervisor.check_exit()->exit_code == 1);
    }
    SECTION("a bad environment value: the backend's own words are in the context") {
        pipeline.backend->env.emplace_back("DATABASE_POOL_SIZE", "not-a-number");
        BackendSupervisor supervisor(pipeline, options_in(dir));
        auto ready = supervisor.start();
        REQUIRE_FALSE(ready);
        CHECK_THAT(ready.error().message, Catch::Contains("exited with code 2"));
        CHECK_THAT(ready.error().context, Catch::Contains("DATABASE_POOL_SIZE"));
    }
}

TEST_CASE("a missing backend command is an infrastructure error", "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port());
    pipeline.backend->command = {"no-such-backend-xyz"};
    BackendSupervisor supervisor(pipeline, options_in(dir));
    auto ready = supervisor.start();
    REQUIRE_FALSE(ready);
    CHECK(ready.error().code == ErrorCode::infrastructure);
    CHECK_THAT(ready.error().message, Catch::StartsWith("backend command not found"));
    CHECK_FALSE(supervisor.launched());
}

TEST_CASE("an unhealthy backend times out with the health problem", "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port(), {{"FAULT_UNHEALTHY_AFTER_S", "0"}});
    pipeline.backend->startup_timeout = 2s;
    BackendSupervisor supervisor(pipeline, options_in(dir));
    auto ready = supervisor.start();
    REQUIRE_FALSE(ready);
    CHECK_THAT(ready.error().message, Catch::Contains("status 503 (expected 200)"));
    CHECK_THAT(ready.error().message, Catch::Contains("/status is \"degraded\" (expected \"ok\")"));
}

TEST_CASE("a port already in use stops the launch before anything starts", "[supervisor]") {
    TempDir dir;
    Listener squatter;
    BackendSupervisor supervisor(demo_pipeline(squatter.port()), options_in(dir));
    auto ready = supervisor.start();
    REQUIRE_FALSE(ready);
    CHECK(ready.error().code == ErrorCode::infrastructure);
    CHECK_THAT(ready.error().message,
               Catch::Contains("port " + std::to_string(squatter.port()) +
                               " is already in use by pid " + std::to_string(::getpid())));
    CHECK_FALSE(supervisor.launched());
}

TEST_CASE("check_exit sees a crash during the run", "[supervisor]") {
    TempDir dir;
    int port = free_port();
    BackendSupervisor supervisor(demo_pipeline(port, {{"FAULT_CRASH_AFTER_REQUESTS", "2"}}),
                                 options_in(dir));
    REQUIRE(supervisor.start());
    CHECK_FALSE(supervisor.check_exit());
    // Two requests that count (health checks do not) crash it.
    TargetSpec target;
    target.base_url = "http://127.0.0.1:" + std::to_string(port);
    HealthSpec any_answer;
    any_answer.url = "/conversations/c1/messages?userId=1&limit=1";
    for (int i = 0; i < 2; ++i) {
        probe_health(health_url(target, any_answer), target, any_answer, 2s);
    }
    std::optional<ExitInfo> exit;
    auto deadline = SteadyClock::now() + 5s;
    while (!(exit = supervisor.check_exit()) && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(exit);
    CHECK(exit->describe() == "exited with code 3");
    CHECK_THAT(joined(supervisor.log_tail(5)), Catch::Contains("FAULT: crashing after 2 requests"));
    CHECK_FALSE(supervisor.check_health().healthy);
    CHECK(supervisor.stop().exit_code == 3);
}

TEST_CASE("attach mode: checks a running service, never starts or stops it", "[supervisor]") {
    TempDir dir;
    int port = free_port();
    // The service under test, started by the test itself (as CI would in an earlier step).
    BackendSupervisor service(demo_pipeline(port), options_in(dir));
    REQUIRE(service.start());

    Pipeline pipeline = demo_pipeline(port);
    pipeline.backend.reset();
    pipeline.health->memory_json = "/memory/rss";
    SupervisorOptions options = options_in(dir);
    options.log_path = dir.path() / "attach.log";
    BackendSupervisor supervisor(pipeline, options);
    auto ready = supervisor.start();
    REQUIRE(ready);
    CHECK(ready->healthy);
    CHECK_FALSE(supervisor.launched());
    CHECK_FALSE(supervisor.pid());
    CHECK_FALSE(supervisor.check_exit());
    CHECK(supervisor.rss_mb().value_or(0) > 0);  // memory_json only
    CHECK(supervisor.log_tail(5).empty());
    ExitInfo exit = supervisor.stop();
    CHECK(exit.exit_code == -1);
    CHECK(exit.signal == 0);
    CHECK(supervisor.check_health().healthy);  // still running: attach mode stopped nothing
    CHECK(running(*service.pid()));
}

TEST_CASE("attach mode without health block: TCP readiness", "[supervisor]") {
    TempDir dir;
    Pipeline pipeline;
    SupervisorOptions options = options_in(dir);
    options.attach_timeout = 300ms;
    SECTION("a listener is ready") {
        Listener listener;
        pipeline.target.base_url = "http://127.0.0.1:" + std::to_string(listener.port());
        BackendSupervisor supervisor(pipeline, options);
        CHECK(supervisor.health_target() == "TCP 127.0.0.1:" + std::to_string(listener.port()));
        auto ready = supervisor.start();
        REQUIRE(ready);
        CHECK(ready->healthy);
        CHECK_FALSE(supervisor.rss_mb());  // attach mode, no memory_json
    }
    SECTION("nothing listens: error after attach_timeout") {
        pipeline.target.base_url = "http://127.0.0.1:" + std::to_string(free_port());
        BackendSupervisor supervisor(pipeline, options);
        auto started = SteadyClock::now();
        auto ready = supervisor.start();
        CHECK(SteadyClock::now() - started < 3s);
        REQUIRE_FALSE(ready);
        CHECK(ready.error().code == ErrorCode::infrastructure);
        CHECK_THAT(ready.error().message,
                   Catch::StartsWith("the service did not become healthy within 300ms"));
        CHECK_THAT(ready.error().message, Catch::EndsWith("connection refused"));
    }
}

TEST_CASE("attach mode with health: waits health.startup_timeout, saying so each second",
          "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port());
    pipeline.backend.reset();
    pipeline.health->startup_timeout = 2500ms;
    SupervisorOptions options = options_in(dir);
    std::vector<std::string> lines;
    options.on_waiting = [&lines](const std::string& line) { lines.push_back(line); };
    BackendSupervisor supervisor(pipeline, options);
    auto ready = supervisor.start();
    REQUIRE_FALSE(ready);
    CHECK_THAT(ready.error().message,
               Catch::StartsWith("the service did not become healthy within 2.5s"));
    REQUIRE(lines.size() >= 1);
    CHECK(lines.size() <= 3);  // about one a second
    CHECK_THAT(lines.front(), Catch::StartsWith("waiting for " + supervisor.health_target() +
                                                " to answer healthy: connection refused (1s of "
                                                "2.5s)"));
}

TEST_CASE("a stop request interrupts the wait for readiness", "[supervisor]") {
    TempDir dir;
    Pipeline pipeline = demo_pipeline(free_port(), {{"FAULT_STARTUP_DELAY_MS", "20000"}});
    pipeline.backend->startup_timeout = 30s;
    BackendSupervisor supervisor(pipeline, options_in(dir));
    std::stop_source stop;
    std::thread interrupter([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    auto started = SteadyClock::now();
    auto ready = supervisor.start(stop.get_token());
    interrupter.join();
    CHECK(SteadyClock::now() - started < 3s);
    REQUIRE_FALSE(ready);
    CHECK(ready.error().code == ErrorCode::interrupted);
    REQUIRE(supervisor.pid());
    pid_t pid = *supervisor.pid();
    supervisor.stop();
    CHECK_FALSE(running(pid));
}
