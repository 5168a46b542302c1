// API contract tests against the real chat-backend binary over loopback HTTP.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "backend_process.hpp"

using chat::test::BackendProcess;
using chat::test::body_json;
using chat::test::messages_path;
using chat::test::post_message;
using nlohmann::json;

namespace {

const std::regex k_iso8601(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

std::string post_text(httplib::Client& client, const std::string& conversation,
                      const std::string& content) {
    auto res = post_message(client, conversation,
                            json{{"userId", "u1"}, {"content", content}, {"type", "text"}});
    REQUIRE(res);
    REQUIRE(res->status == 201);
    return body_json(res)["id"].get<std::string>();
}

}  // namespace

TEST_CASE("health has the documented shape", "[api]") {
    BackendProcess backend;
    auto client = backend.client();
    auto res = client->Get("/health");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    const json body = body_json(res);
    CHECK(body["status"] == "ok");
    CHECK(body["uptime_s"].is_number_integer());
    CHECK(body["memory"]["rss"].is_number_integer());
    CHECK(body["memory"]["rss"].get<long long>() > 1024 * 1024);
    CHECK(body["pool"]["size"].is_number_integer());
    CHECK(body["pool"]["in_use"].is_number_integer());
    CHECK(body["database"]["overall"] == "healthy");
    CHECK(body["database"]["errors"] == 0);
}

TEST_CASE("posted messages are stored and listed newest first", "[api]") {
    BackendProcess backend;
    auto client = backend.client();

    auto res =
        post_message(*client, "c1", json{{"userId", 42}, {"content", "hello"}, {"type", "text"}});
    REQUIRE(res);
    REQUIRE(res->status == 201);
    const json first = body_json(res);
    CHECK(first["id"].is_string());
    CHECK(first["conversationId"] == "c1");
    CHECK(first["userId"] == "42");  // numbers are accepted and stored as strings
    CHECK(first["content"] == "hello");
    CHECK(first["type"] == "text");
    CHECK(std::regex_match(first["createdAt"].get<std::string>(), k_iso8601));

    const std::string second_id = post_text(*client, "c1", "second");
    const std::string third_id = post_text(*client, "c1", "third");
    post_text(*client, "other", "not in c1");

    res = client->Get(messages_path("c1", "userId=42").c_str());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json page = body_json(res);
    REQUIRE(page["messages"].size() == 3);
    CHECK(page["messages"][0]["id"] == third_id);
    CHECK(page["messages"][1]["id"] == second_id);
    CHECK(page["messages"][2]["id"] == first["id"]);
    CHECK(page["messages"][2]["userId"] == "42");
    CHECK(page["nextCursor"].is_null());

    res = client->Get(messages_path("empty").c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(body_json(res) == json{{"messages", json::array()}, {"nextCursor", nullptr}});
}

TEST_CASE("pagination with nextCursor visits every message exactly once", "[api]") {
    BackendProcess backend;
    auto client = backend.client(true);
    const int total = GENERATE(25, 20);  // a partial last page, and an exact multiple of limit
    const std::string conversation = "paged-" + std::to_string(total);
    std::set<std::string> posted;
    for (int i = 0; i < total; ++i) {
        posted.insert(post_text(*client, conversation, "m" + std::to_string(i)));
        post_text(*client, "noise", "interleaved");
    }

    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
        std::string query = "limit=10";
        if (!cursor.empty()) {
            query += "&cursor=" + cursor;
        }
        auto res = client->Get(messages_path(conversation, query).c_str());
        REQUIRE(res);
        REQUIRE(res->status == 200);
        const json page = body_json(res);
        ++pages;
        REQUIRE(pages <= 4);
        for (const auto& message : page["messages"]) {
            CHECK(message["conversationId"] == conversation);
            seen.push_back(message["id"].get<std::string>());
        }
        if (page["nextCursor"].is_null()) {
            break;
        }
        CHECK(page["messages"].size() == 10);
        cursor = page["nextCursor"].get<std::string>();
        CHECK(cursor == seen.back());
    }
    CHECK(pages == 3 - (total == 20 ? 1 : 0));
    CHECK(seen.size() == posted.size());
    CHECK(std::set<std::string>(seen.begin(), seen.end()) == posted);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        CHECK(std::stoll(seen[i - 1]) > std::stoll(seen[i]));
    }
}

TEST_CASE("invalid cursors and limits are rejected with 400", "[api]") {
    BackendProcess backend;
    auto client = backend.client();
    const std::string mine = post_text(*client, "mine", "a");
    post_text(*client, "mine", "b");
    const std::string theirs = post_text(*client, "theirs", "c");

    const auto expect_400 = [&](const std::string& query, const std::string& error) {
        auto res = client->Get(messages_path("mine", query).c_str());
        REQUIRE(res);
        CHECK(res->status == 400);
        CHECK(body_json(res) == json{{"error", error}});
    };
    expect_400("cursor=bogus", "invalid cursor");
    expect_400("cursor=999999", "invalid cursor");
    expect_400("cursor=-1", "invalid cursor");
    expect_400("cursor=" + theirs, "invalid cursor");  // a message of another conversation
    expect_400("limit=abc", "invalid limit: expected an integer between 1 and 100");
    expect_400("limit=0", "invalid limit: expected an integer between 1 and 100");

    auto res = client->Get(messages_path("mine", "cursor=" + mine).c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(body_json(res)["messages"].empty());

    res = client->Get(messages_path("mine", "limit=1000").c_str());  // clamped to 100
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(body_json(res)["messages"].size() == 2);
}

TEST_CASE("a missing or malformed field answers 400", "[api]") {
    BackendProcess backend;
    auto client = backend.client();
    const json full{{"userId", "7"}, {"content", "hi"}, {"type", "text"}};
    for (const std::string field : {"userId", "content", "type"}) {
        json missing = full;
        missing.erase(field);
        auto res = post_message(*client, "c", missing);
        REQUIRE(res);
        CHECK(res->status == 400);
        CHECK(body_json(res) == json{{"error", "missing field: " + field}});

        json empty = full;
        empty[field] = "";
        res = post_message(*client, "c", empty);
        REQUIRE(res);
        CHECK(res->status == 400);
        CHECK(body_json(res) == json{{"error", "missing field: " + field}});
    }
    json wrong_type = full;
    wrong_type["content"] = json::array();
    auto res = post_message(*client, "c", wrong_type);
    REQUIRE(res);
    CHECK(res->status == 400);

    res = client->Post(messages_path("c").c_str(), "{not json", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(body_json(res) == json{{"error", "malformed JSON body"}});

    res = client->Post(messages_path("c").c_str(), "[1,2]", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);

    res = client->Get(messages_path("c").c_str());
    REQUIRE(res);
    CHECK(body_json(res)["messages"].empty());  // nothing was stored
}

TEST_CASE("read receipts: 201, 404 for unknown messages, 400 without userId", "[api]") {
    BackendProcess backend;
    auto client = backend.client();
    const std::string id = post_text(*client, "c", "read me");

    auto res =
        client->Post(("/messages/" + id + "/reads").c_str(), R"({"userId":9})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);
    const json receipt = body_json(res);
    CHECK(receipt["messageId"] == id);
    CHECK(receipt["userId"] == "9");
    CHECK(std::regex_match(receipt["readAt"].get<std::string>(), k_iso8601));

    // Reading twice is fine (the receipt is refreshed).
    res = client->Post(("/messages/" + id + "/reads").c_str(), R"({"userId":"9"})",
                       "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);

    for (const std::string unknown : {"999999", "abc"}) {
        res = client->Post(("/messages/" + unknown + "/reads").c_str(), R"({"userId":"9"})",
                           "application/json");
        REQUIRE(res);
        CHECK(res->status == 404);
        CHECK(body_json(res) == json{{"error", "message not found"}});
    }

    res = client->Post(("/messages/" + id + "/reads").c_str(), "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(body_json(res) == json{{"error", "missing field: userId"}});
}

TEST_CASE("unknown routes answer 404 JSON", "[api]") {
    BackendProcess backend;
    auto client = backend.client();
    for (const char* path : {"/", "/nope", "/conversations/c1", "/messages/1/reads"}) {
        auto res = client->Get(path);
        REQUIRE(res);
        CHECK(res->status == 404);
        CHECK(body_json(res) == json{{"error", "not found"}});
    }
    auto res = client->Delete("/health");
    REQUIRE(res);
    CHECK(res->status == 404);
}

TEST_CASE("/stats counts exactly what was served", "[api][stats]") {
    BackendProcess backend;
    auto client = backend.client(true);
    for (int i = 0; i < 5; ++i) {
        post_text(*client, "s", "m" + std::to_string(i));
    }
    for (int i = 0; i < 3; ++i) {
        REQUIRE(client->Get(messages_path("s").c_str())->status == 200);
    }
    REQUIRE(client->Get(messages_path("s", "cursor=x").c_str())->status == 400);
    REQUIRE(post_message(*client, "s", json::object())->status == 400);
    REQUIRE(client->Get("/missing")->status == 404);
    for (int i = 0; i < 4; ++i) {
        REQUIRE(client->Get("/health")->status == 200);
    }
    REQUIRE(client->Get("/stats")->status == 200);

    auto res = client->Get("/stats");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json stats = body_json(res);
    CHECK(stats["requests_total"] == 11);  // /health and /stats excluded
    CHECK(stats["status_counts"] == json{{"200", 3}, {"201", 5}, {"400", 2}, {"404", 1}});
    const json& by_route = stats["requests_by_route"];
    CHECK(by_route["POST /conversations/{id}/messages"] == 6);
    CHECK(by_route["GET /conversations/{id}/messages"] == 4);
    CHECK(by_route["POST /messages/{id}/reads"] == 0);
    CHECK(by_route["unmatched"] == 1);
    CHECK(by_route["GET /stats"] == 2);              // includes this request
    CHECK(by_route["GET /health"].get<int>() >= 5);  // readiness polls count too
    CHECK(stats["database_errors"] == 0);
    CHECK(stats["pool"] == json{{"size", 10}, {"in_use", 0}});
}
