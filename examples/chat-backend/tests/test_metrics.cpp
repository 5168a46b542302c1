// GET /metrics: the Prometheus text exposition of the same counters /stats has, by route and
// status, plus a latency histogram and the database pool, checked against requests sent here.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "backend_process.hpp"

using chat::test::BackendProcess;
using chat::test::Env;
using chat::test::messages_path;
using chat::test::post_message;
using nlohmann::json;

namespace {

// "name{labels}" -> value for every sample line of an exposition.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

std::string scrape(httplib::Client& client) {
    auto res = client.Get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    return res->body;
}

const std::string k_post = R"(route="POST /conversations/{id}/messages")";
const std::string k_list = R"(route="GET /conversations/{id}/messages")";

}  // namespace

TEST_CASE("metrics count requests by route and status code", "[metrics]") {
    BackendProcess backend;
    auto client = backend.client();
    for (int i = 0; i < 5; ++i) {
        auto res =
            post_message(*client, "c1", json{{"userId", 1}, {"content", "x"}, {"type", "t"}});
        REQUIRE(res);
        REQUIRE(res->status == 201);
    }
    for (int i = 0; i < 2; ++i) {
        auto res = post_message(*client, "c1", json{{"userId", 1}});
        REQUIRE(res);
        REQUIRE(res->status == 400);
    }
    for (int i = 0; i < 3; ++i) {
        REQUIRE(client->Get(messages_path("c1"))->status == 200);
    }
    REQUIRE(client->Get("/nowhere")->status == 404);
    REQUIRE(client->Get("/health")->status == 200);
    REQUIRE(client->Get("/stats")->status == 200);
    scrape(*client);  // a scrape never counts itself or the next one

    const std::string text = scrape(*client);
    INFO(text);
    const auto values = samples(text);
    CHECK(values.at("http_requests_total{" + k_post + ",code=\"201\"}") == 5);
    CHECK(values.at("http_requests_total{" + k_post + ",code=\"400\"}") == 2);
    CHECK(values.at("http_requests_total{" + k_list + ",code=\"200\"}") == 3);
    CHECK(values.at(R"(http_requests_total{route="unmatched",code="404"})") == 1);
    double total = 0;
    for (const auto& [name, value] : values) {
        if (name.rfind("http_requests_total{", 0) == 0) {
            total += value;
        }
    }
    CHECK(total == 11);  // /health, /stats and /metrics are not counted
    CHECK(text.find("GET /health") == std::string::npos);
    CHECK(text.find("GET /metrics") == std::string::npos);

    // The histogram: cumulative buckets ending in +Inf == _count == requests of that route.
    CHECK(values.at("http_request_duration_seconds_count{" + k_post + "}") == 7);
    CHECK(values.at("http_request_duration_seconds_bucket{" + k_post + ",le=\"+Inf\"}") == 7);
    CHECK(values.at("http_request_duration_seconds_count{" + k_list + "}") == 3);
    CHECK(values.at(R"(http_request_duration_seconds_count{route="POST /messages/{id}/reads"})") ==
          0);
    CHECK(values.at("http_request_duration_seconds_sum{" + k_post + "}") > 0);
    double previous = 0;
    for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                           "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
        const double value =
            values.at("http_request_duration_seconds_bucket{" + k_post + ",le=\"" + le + "\"}");
        CHECK(value >= previous);
        previous = value;
    }

    CHECK(values.at("chat_database_pool_size") == 10);
    CHECK(values.at("chat_database_pool_in_use") == 0);
    CHECK(values.at("chat_database_errors_total") == 0);
    CHECK(values.at("http_requests_in_flight") == 1);  // this scrape
    CHECK(text.find("# TYPE http_requests_total counter\n") != std::string::npos);
    CHECK(text.find("# TYPE http_request_duration_seconds histogram\n") != std::string::npos);
}

TEST_CASE("metrics count injected 500s and database errors", "[metrics]") {
    BackendProcess backend(Env{{"FAULT_ERROR_RATE", "0.5"}, {"DATABASE_POOL_SIZE", "3"}});
    auto client = backend.client();
    for (int i = 0; i < 6; ++i) {
        REQUIRE(client->Get(messages_path("c1")));
    }
    const auto values = samples(scrape(*client));
    CHECK(values.at("http_requests_total{" + k_list + ",code=\"500\"}") == 3);
    CHECK(values.at("http_requests_total{" + k_list + ",code=\"200\"}") == 3);
    CHECK(values.at("chat_database_errors_total") == 3);
    CHECK(values.at("chat_database_pool_size") == 3);
}

TEST_CASE("metrics count a slow request in the right latency bucket", "[metrics]") {
    // FAULT_LATENCY_MS adds at least this much to every request, whatever the machine's load.
    BackendProcess backend(Env{{"FAULT_LATENCY_MS", "300"}});
    auto client = backend.client();
    REQUIRE(client->Get(messages_path("c1"))->status == 200);
    const auto values = samples(scrape(*client));
    CHECK(values.at("http_request_duration_seconds_bucket{" + k_list + ",le=\"0.25\"}") == 0);
    CHECK(values.at("http_request_duration_seconds_bucket{" + k_list + ",le=\"+Inf\"}") == 1);
    CHECK(values.at("http_request_duration_seconds_sum{" + k_list + "}") >= 0.3);
}
