// In-process unit tests of the pieces with logic worth testing on their own: environment
// parsing, the fixed-window rate limiter and the deterministic fault choices.
#include <catch2/catch.hpp>
#include <map>

#include "config.hpp"
#include "faults.hpp"
#include "rate_limiter.hpp"

namespace {

chat::ConfigResult parse(const std::map<std::string, std::string>& env) {
    return chat::parse_config([&env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) {
            return std::nullopt;
        }
        return it->second;
    });
}

}  // namespace

TEST_CASE("config defaults match the spec", "[unit][config]") {
    const auto result = parse({});
    REQUIRE(result.errors.empty());
    const chat::Config& c = result.config;
    CHECK(c.host == "127.0.0.1");
    CHECK(c.port == 8080);
    CHECK(c.database_path.empty());
    CHECK(c.pool_size == 10);
    CHECK(c.pool_timeout == std::chrono::milliseconds(2000));
    CHECK(c.rate_limit_enabled);
    CHECK(c.rate_limit_per_min == 600);
    CHECK(c.http_threads == 256);
    CHECK_FALSE(c.log_requests);
    CHECK(c.faults.error_rate == 0.0);
    CHECK(c.faults.crash_after_requests == 0);
    CHECK_FALSE(c.faults.unhealthy_after_s.has_value());
}

TEST_CASE("config parses every variable", "[unit][config]") {
    const auto result = parse({{"PORT", "9000"},
                               {"HOST", "0.0.0.0"},
                               {"DATABASE_PATH", "/tmp/x.db"},
                               {"DATABASE_POOL_SIZE", "2"},
                               {"DATABASE_POOL_TIMEOUT_MS", "150"},
                               {"DISABLE_RATE_LIMIT", "YES"},
                               {"RATE_LIMIT_PER_MIN", "5"},
                               {"HTTP_THREADS", "16"},
                               {"LOG_REQUESTS", "1"},
                               {"FAULT_STARTUP_DELAY_MS", "10"},
                               {"FAULT_LATENCY_MS", "20"},
                               {"FAULT_QUERY_DELAY_MS", "30"},
                               {"FAULT_ERROR_RATE", "0.25"},
                               {"FAULT_CRASH_AFTER_REQUESTS", "7"},
                               {"FAULT_LEAK_KB_PER_REQUEST", "64"},
                               {"FAULT_UNHEALTHY_AFTER_S", "1.5"}});
    REQUIRE(result.errors.empty());
    const chat::Config& c = result.config;
    CHECK(c.port == 9000);
    CHECK(c.host == "0.0.0.0");
    CHECK(c.database_path == "/tmp/x.db");
    CHECK(c.pool_size == 2);
    CHECK(c.pool_timeout == std::chrono::milliseconds(150));
    CHECK_FALSE(c.rate_limit_enabled);
    CHECK(c.rate_limit_per_min == 5);
    CHECK(c.http_threads == 16);
    CHECK(c.log_requests);
    CHECK(c.faults.startup_delay == std::chrono::milliseconds(10));
    CHECK(c.faults.latency == std::chrono::milliseconds(20));
    CHECK(c.faults.query_delay == std::chrono::milliseconds(30));
    CHECK(c.faults.error_rate == 0.25);
    CHECK(c.faults.crash_after_requests == 7);
    CHECK(c.faults.leak_kb_per_request == 64);
    CHECK(c.faults.unhealthy_after_s == 1.5);
}

TEST_CASE("config reports every bad value; empty means unset", "[unit][config]") {
    const auto result = parse({{"PORT", "abc"},
                               {"DATABASE_POOL_SIZE", "-1"},
                               {"FAULT_ERROR_RATE", "nan"},
                               {"DISABLE_RATE_LIMIT", "sometimes"},
                               {"RATE_LIMIT_PER_MIN", ""},
                               {"FAULT_LATENCY_MS", "5ms"}});
    REQUIRE(result.errors.size() == 5);
    CHECK(result.errors[0] == "invalid PORT=\"abc\": expected an integer between 0 and 65535");
    CHECK(result.errors[1].find("DATABASE_POOL_SIZE") != std::string::npos);
    CHECK(result.config.rate_limit_per_min == 600);
}

TEST_CASE("rate limiter uses a fixed window per client", "[unit][rate-limit]") {
    using namespace std::chrono_literals;
    chat::RateLimiter limiter(3, 60s);
    const auto t0 = chat::RateLimiter::Clock::now();
    for (int i = 0; i < 3; ++i) {
        CHECK(limiter.check("a", t0 + 1s).allowed);
    }
    auto denied = limiter.check("a", t0 + 10s);
    CHECK_FALSE(denied.allowed);
    CHECK(denied.retry_after == 51s);
    CHECK(limiter.check("b", t0 + 10s).allowed);  // other clients are independent
    CHECK(limiter.check("a", t0 + 61s).allowed);  // new window
}

TEST_CASE("fault choices are deterministic", "[unit][faults]") {
    chat::FaultConfig config;
    config.error_rate = 0.25;
    config.crash_after_requests = 2;
    chat::Faults faults(config);
    std::string pattern;
    for (int i = 0; i < 8; ++i) {
        pattern += faults.should_inject_error() ? 'x' : '.';
    }
    CHECK(pattern == "...x...x");
    CHECK_FALSE(faults.crash_after_serving(1));
    CHECK(faults.crash_after_serving(2));
    CHECK_FALSE(faults.crash_before_serving(2));
    CHECK(faults.crash_before_serving(3));
    CHECK_FALSE(faults.unhealthy(std::chrono::seconds(100)));
}
