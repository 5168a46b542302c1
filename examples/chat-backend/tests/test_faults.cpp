// Rate limiter and FAULT_* behaviour of the real chat-backend binary.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "backend_process.hpp"

using chat::test::BackendProcess;
using chat::test::body_json;
using chat::test::Env;
using chat::test::messages_path;
using chat::test::post_message;
using nlohmann::json;

TEST_CASE("the rate limiter answers 429 after RATE_LIMIT_PER_MIN requests", "[faults]") {
    BackendProcess backend(Env{{"RATE_LIMIT_PER_MIN", "5"}});
    auto client = backend.client(true);
    for (int i = 0; i < 5; ++i) {
        auto res = client->Get(messages_path("c").c_str());
        REQUIRE(res);
        CHECK(res->status == 200);
    }
    auto res = client->Get(messages_path("c").c_str());
    REQUIRE(res);
    CHECK(res->status == 429);
    CHECK(body_json(res) == json{{"error", "Too many requests"}});
    const int retry_after = std::stoi(res->get_header_value("Retry-After"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 60);

    // A POST that is refused must not leave its body on the keep-alive connection.
    res = post_message(*client, "c", json{{"userId", 1}, {"content", "x"}, {"type", "text"}});
    REQUIRE(res);
    CHECK(res->status == 429);

    // Observability routes are exempt.
    for (int i = 0; i < 3; ++i) {
        CHECK(client->Get("/health")->status == 200);
        CHECK(client->Get("/stats")->status == 200);
    }
}

TEST_CASE("DISABLE_RATE_LIMIT turns the limiter off", "[faults]") {
    const std::string value = GENERATE("true", "1", "yes");
    BackendProcess backend(Env{{"RATE_LIMIT_PER_MIN", "5"}, {"DISABLE_RATE_LIMIT", value}});
    auto client = backend.client(true);
    for (int i = 0; i < 20; ++i) {
        auto res = client->Get(messages_path("c").c_str());
        REQUIRE(res);
        CHECK(res->status == 200);
    }
}

TEST_CASE("FAULT_ERROR_RATE=0.5 fails exactly every second request with a Prisma error",
          "[faults]") {
    BackendProcess backend(Env{{"FAULT_ERROR_RATE", "0.5"}});
    auto client = backend.client(true);
    int failures = 0;
    for (int i = 0; i < 20; ++i) {
        auto res = client->Get(messages_path("c").c_str());
        REQUIRE(res);
        if (res->status == 500) {
            ++failures;
            CHECK(body_json(res) ==
                  json{{"error",
                        "Invalid `prisma.message.findMany()` invocation:\n\nInconsistent column "
                        "data: Conversion failed"},
                       {"code", "P2023"}});
        } else {
            CHECK(res->status == 200);
        }
    }
    CHECK(failures == 10);
    auto health = client->Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);  // /health is never faulted
    CHECK(body_json(health)["database"]["errors"] == 10);
}

TEST_CASE("FAULT_CRASH_AFTER_REQUESTS=3 exits with status 3 right after the third request",
          "[faults]") {
    BackendProcess backend(Env{{"FAULT_CRASH_AFTER_REQUESTS", "3"}});
    auto client = backend.client();
    CHECK(client->Get("/health")->status == 200);  // not counted
    for (int i = 0; i < 3; ++i) {
        auto res = client->Get(messages_path("c").c_str());
        REQUIRE(res);
        CHECK(res->status == 200);
    }
    const auto status = backend.wait_exit(std::chrono::seconds(5));
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 3);
    CHECK(backend.stderr_text().find("FAULT: crashing after 3 requests") != std::string::npos);
    CHECK_FALSE(client->Get(messages_path("c").c_str()));
}

TEST_CASE("FAULT_UNHEALTHY_AFTER_S=1 flips /health to 503", "[faults]") {
    BackendProcess backend(Env{{"FAULT_UNHEALTHY_AFTER_S", "1"}});
    auto client = backend.client();
    auto res = client->Get("/health");
    REQUIRE(res);
    CHECK(res->status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    res = client->Get("/health");
    REQUIRE(res);
    CHECK(res->status == 503);
    const json body = body_json(res);
    CHECK(body["status"] == "degraded");
    CHECK(body["database"]["overall"] == "unhealthy");
    CHECK(body["memory"]["rss"].is_number_integer());
    CHECK(body["uptime_s"].get<int>() >= 1);
}

TEST_CASE("a slow query on a one-connection pool exhausts it (P2024)", "[faults]") {
    BackendProcess backend(Env{{"DATABASE_POOL_SIZE", "1"},
                               {"FAULT_QUERY_DELAY_MS", "300"},
                               {"DATABASE_POOL_TIMEOUT_MS", "100"}});
    std::vector<std::future<httplib::Result>> results;
    std::vector<std::unique_ptr<httplib::Client>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(backend.client());
    }
    for (auto& client : clients) {
        results.push_back(std::async(
            std::launch::async, [&client] { return client->Get(messages_path("c").c_str()); }));
    }
    int ok = 0;
    int exhausted = 0;
    for (auto& future : results) {
        auto res = future.get();
        REQUIRE(res);
        if (res->status == 200) {
            ++ok;
        } else {
            CHECK(res->status == 500);
            CHECK(body_json(res) ==
                  json{{"error",
                        "Invalid `prisma.message.create()` invocation: Timed out fetching a new "
                        "connection from the connection pool. (Current connection pool timeout: "
                        "0.1, connection limit: 1)"},
                       {"code", "P2024"}});
            ++exhausted;
        }
    }
    CHECK(ok >= 1);
    CHECK(exhausted >= 1);
    CHECK(ok + exhausted == 4);
    auto health = backend.client()->Get("/health");
    REQUIRE(health);
    CHECK(body_json(health)["database"]["errors"] == exhausted);
}

TEST_CASE("FAULT_LATENCY_MS delays API requests but not /health", "[faults]") {
    BackendProcess backend(Env{{"FAULT_LATENCY_MS", "250"}});
    auto client = backend.client();
    const auto start = std::chrono::steady_clock::now();
    auto res = client->Get(messages_path("c").c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
}

TEST_CASE("FAULT_LEAK_KB_PER_REQUEST grows RSS", "[faults]") {
    BackendProcess backend(Env{{"FAULT_LEAK_KB_PER_REQUEST", "1024"}});
    auto client = backend.client(true);
    const auto rss = [&] {
        return body_json(client->Get("/health"))["memory"]["rss"].get<long long>();
    };
    const long long before = rss();
    for (int i = 0; i < 20; ++i) {
        REQUIRE(client->Get(messages_path("c").c_str())->status == 200);
    }
    CHECK(rss() - before >= 16LL * 1024 * 1024);
}

TEST_CASE("FAULT_STARTUP_DELAY_MS keeps the port closed for that long", "[faults]") {
    const auto start = std::chrono::steady_clock::now();
    BackendProcess backend(Env{{"FAULT_STARTUP_DELAY_MS", "400"}});
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(400));
}
