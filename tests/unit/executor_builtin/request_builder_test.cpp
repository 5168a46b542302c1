#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>

#include "engine_fixtures.hpp"
#include "plugins/executors/builtin/request_builder.hpp"
#include "plugins/executors/builtin/request_plan.hpp"

using namespace orch;
using namespace orch::builtin;

namespace {

std::string header_line(const Exchange& exchange, std::string_view name) {
    for (const HeaderField& header : exchange.headers) {
        if (header.name == name) {
            return std::string(header.name) + ": " + std::string(header.value);
        }
    }
    return {};
}

}  // namespace

TEST_CASE("request builder: slots are escaped for the URL and for JSON strings") {
    test::PipelineBuilder builder("http://127.0.0.1:9/");
    auto spec =
        builder.request("send", "post", "/conversations/{{conversationId}}/messages?c={{cursor}}",
                        R"({"userId":"{{userId}}","content":"{{msg}}"})");
    Header trace;
    trace.name = "X-Trace";
    trace.value = builder.compile("vu-{{vu}} {{msg}}", Template::Escaping::none);
    spec.headers.push_back(trace);
    builder.operation(spec);
    Header auth;
    auth.name = "Authorization";
    auth.value = builder.compile("Bearer secret", Template::Escaping::none);
    builder.pipeline().target.headers.push_back(auth);

    auto plan = compile_plan(builder.pipeline());
    REQUIRE(plan);
    std::vector<std::string> values;
    init_variables(*plan, 7, "smoke", values);
    const auto& names = builder.pipeline().scenario.variable_names;
    auto slot = [&](const std::string& name) -> std::string& {
        return values[static_cast<std::size_t>(std::find(names.begin(), names.end(), name) -
                                               names.begin())];
    };
    slot("conversationId") = "a/b c";
    slot("cursor") = "1&x=2";
    slot("userId") = "12";
    slot("msg") = "say \"hi\"\r\nX-Evil: 1";

    Exchange exchange;
    build_request(*plan, plan->operations[0].steps[0], values, exchange);
    CHECK(std::string(exchange.method) == "POST");
    CHECK(exchange.url().text == "http://127.0.0.1:9/conversations/a%2Fb%20c/messages?c=1%26x%3D2");
    REQUIRE(exchange.has_body);
    CHECK(exchange.body == R"({"userId":"12","content":"say \"hi\"\r\nX-Evil: 1"})");
    CHECK(nlohmann::json::parse(exchange.body).at("content") == "say \"hi\"\r\nX-Evil: 1");
    CHECK(header_line(exchange, "X-Trace") == "X-Trace: vu-7 say \"hi\"  X-Evil: 1");
    CHECK(header_line(exchange, "Authorization") == "Authorization: Bearer secret");
    CHECK(header_line(exchange, "Content-Type") == "Content-Type: application/json");
    auto timeout = exchange.deadline - std::chrono::steady_clock::now();
    CHECK(timeout <= std::chrono::seconds(5));
    CHECK(timeout > std::chrono::seconds(4));
}

TEST_CASE("request builder: built-in and scenario variables are drawn per iteration") {
    test::PipelineBuilder builder("http://127.0.0.1:9");
    builder.operation(builder.request(
        "get", "GET", "/x/{{uuid}}?i={{iter}}&u={{userId}}&c={{conversationId}}&s={{cursor}}"));
    auto plan = compile_plan(builder.pipeline());
    REQUIRE(plan);
    std::vector<std::string> values;
    init_variables(*plan, 3, "load", values);
    Prng prng(42);
    std::set<std::string> users;
    std::set<std::string> conversations;
    std::set<std::string> uuids;
    const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    for (std::uint64_t iteration = 0; iteration < 200; ++iteration) {
        draw_variables(*plan, prng, iteration, values);
        CHECK(values[0].size() == 36);
        CHECK(std::regex_match(values[0], uuid_v4));
        uuids.insert(values[0]);
        CHECK(values[1] == "3");
        CHECK(values[2] == std::to_string(iteration));
        CHECK(values[3] == "load");
        auto user = std::stoll(values[4]);
        CHECK(user >= 1);
        CHECK(user <= 1000);
        users.insert(values[4]);
        conversations.insert(values[5]);
        CHECK(values[6].empty());  // captures have no value yet
    }
    CHECK(uuids.size() == 200);
    CHECK(users.size() > 150);
    CHECK(conversations == std::set<std::string>{"c1", "c2", "c3", "c4"});
}

TEST_CASE("request builder: a variable no template reads is not drawn") {
    test::PipelineBuilder builder("http://127.0.0.1:9");
    auto spec = builder.request("send", "POST", "/x", R"({"n":"{{iter}}"})");
    Header user;
    user.name = "X-User";
    user.value = builder.compile("{{userId}}", Template::Escaping::none);
    spec.headers.push_back(user);
    builder.operation(spec);
    auto plan = compile_plan(builder.pipeline());
    REQUIRE(plan);
    std::vector<std::string> values;
    init_variables(*plan, 3, "load", values);
    Prng prng(42);
    draw_variables(*plan, prng, 5, values);
    CHECK(values[0].empty());  // uuid: unused
    CHECK(values[1] == "3");   // vu, stage: set once, used or not
    CHECK(values[2] == "5");   // iter: read by the body
    CHECK(values[3] == "load");
    CHECK(!values[4].empty());  // userId: read by a header
    CHECK(values[5].empty());   // conversationId: unused
    Exchange exchange;
    build_request(*plan, plan->operations[0].steps[0], values, exchange);
    CHECK(exchange.body == R"({"n":"5"})");
    CHECK(header_line(exchange, "X-User") == "X-User: " + values[4]);
}

TEST_CASE("request plan: operations are drawn by weight") {
    test::PipelineBuilder builder("http://127.0.0.1:9");
    builder.operation(builder.request("a", "GET", "/a"), 70);
    builder.operation(builder.request("b", "GET", "/b"), 30);
    builder.operation(builder.request("never", "GET", "/n"), 0);
    auto plan = compile_plan(builder.pipeline());
    REQUIRE(plan);
    Prng prng(7);
    std::map<std::size_t, int> counts;
    for (int i = 0; i < 10000; ++i) {
        ++counts[plan->pick_operation(prng)];
    }
    CHECK(counts[0] == Approx(7000).margin(300));
    CHECK(counts[1] == Approx(3000).margin(300));
    CHECK(counts[2] == 0);
    CHECK(plan->operation_names == std::vector<std::string>{"a", "b", "never"});
}

TEST_CASE("request plan: what the engine cannot run is refused up front") {
    test::PipelineBuilder empty("http://127.0.0.1:9");
    auto no_operation = compile_plan(empty.pipeline());
    REQUIRE_FALSE(no_operation);
    CHECK(no_operation.error().code == ErrorCode::invalid_input);

    test::PipelineBuilder bad_regex("http://127.0.0.1:9");
    bad_regex.operation(bad_regex.request("a", "GET", "/a"));
    bad_regex.pipeline().body_patterns.push_back({"broken", "(unclosed"});
    auto regex = compile_plan(bad_regex.pipeline());
    REQUIRE_FALSE(regex);
    CHECK(regex.error().message.find("body_patterns.broken") != std::string::npos);

    test::PipelineBuilder bad_pointer("http://127.0.0.1:9");
    auto spec = bad_pointer.request("a", "GET", "/a");
    spec.capture.emplace_back("cursor", "nextCursor");  // a pointer starts with '/'
    bad_pointer.operation(spec);
    auto pointer = compile_plan(bad_pointer.pipeline());
    REQUIRE_FALSE(pointer);
    CHECK(pointer.error().message.find("JSON pointer") != std::string::npos);

    test::PipelineBuilder zero("http://127.0.0.1:9");
    zero.operation(zero.request("a", "GET", "/a"), 0);
    CHECK_FALSE(compile_plan(zero.pipeline()));
}
