// Concurrency: 100 keep-alive clients x 20 requests must all succeed (no SQLITE_LOCKED/BUSY
// leaking out as 500s), against both the shared in-memory database and a WAL file.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "backend_process.hpp"

using chat::test::BackendProcess;
using chat::test::body_json;
using chat::test::messages_path;
using chat::test::post_message;
using nlohmann::json;

TEST_CASE("100 concurrent clients x 20 requests all succeed", "[load]") {
    constexpr int k_clients = 100;
    constexpr int k_requests = 20;
    chat::test::Env env{{"DISABLE_RATE_LIMIT", "1"}};
    std::string db_dir;
    SECTION("shared in-memory database") {}
    SECTION("WAL file database") {
        char pattern[] = "/tmp/chat-backend-db-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        db_dir = pattern;
        env["DATABASE_PATH"] = db_dir + "/chat.db";
    }
    {
        BackendProcess backend(env);

        std::mutex failures_mutex;
        std::map<std::string, int> failures;  // "status: body" -> count
        std::atomic<int> ok{0};
        std::vector<std::thread> threads;
        for (int c = 0; c < k_clients; ++c) {
            threads.emplace_back([&, c] {
                auto client = backend.client(true);
                const std::string own = "load-" + std::to_string(c);
                std::string last_id = "0";
                const auto record = [&](const httplib::Result& res, int expected) {
                    if (res && res->status == expected) {
                        ++ok;
                        return;
                    }
                    std::lock_guard lock(failures_mutex);
                    ++failures[res ? std::to_string(res->status) + ": " + res->body
                                   : "transport error " + httplib::to_string(res.error())];
                };
                for (int i = 0; i < k_requests; ++i) {
                    switch (i % 4) {
                        case 0:
                        case 1: {
                            auto res = post_message(*client, i % 4 == 0 ? own : "shared",
                                                    json{{"userId", c},
                                                         {"content", "m" + std::to_string(i)},
                                                         {"type", "text"}});
                            if (res && res->status == 201) {
                                last_id = body_json(res)["id"].get<std::string>();
                            }
                            record(res, 201);
                            break;
                        }
                        case 2:
                            record(client->Get(messages_path("shared", "limit=20").c_str()), 200);
                            break;
                        default:
                            record(client->Post(("/messages/" + last_id + "/reads").c_str(),
                                                json{{"userId", c}}.dump(), "application/json"),
                                   201);
                            break;
                    }
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        for (const auto& [failure, count] : failures) {
            UNSCOPED_INFO(count << " x " << failure);
        }
        CHECK(failures.empty());
        CHECK(ok == k_clients * k_requests);

        auto client = backend.client();
        for (int c = 0; c < k_clients; c += 33) {
            auto res = client->Get(messages_path("load-" + std::to_string(c)).c_str());
            REQUIRE(res);
            CHECK(body_json(res)["messages"].size() == k_requests / 4);
        }
        auto stats = body_json(client->Get("/stats"));
        CHECK(stats["requests_total"] == k_clients * k_requests + 4);
        CHECK(stats["database_errors"] == 0);
    }
    if (!db_dir.empty()) {
        std::filesystem::remove_all(db_dir);
    }
}
