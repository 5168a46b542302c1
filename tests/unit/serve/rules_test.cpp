#include "serve/rules.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace orch::serve;
using nlohmann::json;

TEST_CASE("pipeline names are plain file names", "[serve]") {
    CHECK_FALSE(pipeline_name_problem("canary"));
    CHECK_FALSE(pipeline_name_problem("chat-api_v2.canary"));
    for (const char* bad :
         {"", "../canary", "a/b", "..", "a..b", ".hidden", "-x", "a b", "a\\b", "a%2Fb"}) {
        INFO(bad);
        CHECK(pipeline_name_problem(bad));
    }
    CHECK(pipeline_name_problem(std::string(101, 'a')));
}

TEST_CASE("run ids are letters, digits and dashes", "[serve]") {
    CHECK(plain_run_id("20261203T101500Z-ab12"));
    CHECK_FALSE(plain_run_id(""));
    CHECK_FALSE(plain_run_id("../x"));
    CHECK_FALSE(plain_run_id("a.b"));
}

TEST_CASE("set becomes --set texts, scalars only", "[serve]") {
    auto texts = set_overrides(json{{"stages.smoke.vus", 2},
                                    {"defaults.cooldown", "1s"},
                                    {"target.insecure", false},
                                    {"stages[*].duration", "500ms"}});
    REQUIRE(texts);
    CHECK(*texts == std::vector<std::string>{"defaults.cooldown=1s", "stages.smoke.vus=2",
                                             "stages[*].duration=500ms", "target.insecure=false"});
    CHECK(set_overrides(json(nullptr))->empty());
    CHECK_FALSE(set_overrides(json::array({"a=b"})));
    for (const json& value : {json::object({{"a", 1}}), json::array({1}), json(nullptr),
                              json("[1, 2]"), json("{a: 1}"), json("*alias"), json("&anchor x"),
                              json("!!str x"), json("| block"), json("a\nb"), json("'quoted")}) {
        INFO(value.dump());
        CHECK_FALSE(set_overrides(json{{"stages.smoke.vus", value}}));
    }
}

TEST_CASE("set may not touch what starts programs", "[serve]") {
    for (const char* key :
         {"backend", "backend.command", "backend.env.PATH", "hooks.on_fail", "stages.smoke.hooks",
          "stages[0].hooks.before", "scenario.executor", "scenario.executor.binary",
          "Backend.Command", "x.script", "x.binary", "x.command", "x.env", "scenario.extra_args",
          "scenario.extra_args[0]", "scenario.Extra_Args[1]"}) {
        INFO(key);
        auto result = set_overrides(json{{key, "1"}});
        REQUIRE_FALSE(result);
        CHECK(result.error().message.find(key) != std::string::npos);
    }
    for (const char* key : {"a=b", "a b", "a;b", "", "a/b"}) {
        INFO(key);
        CHECK_FALSE(set_overrides(json{{key, "1"}}));
    }
    // Names that only contain a forbidden word are fine.
    CHECK(set_overrides(json{{"stages.backendless.vus", 1}, {"scenario.scripted", "x"}}));
}

TEST_CASE("tokens compare equal only when identical", "[serve]") {
    CHECK(tokens_equal("secret-token-123456", "secret-token-123456"));
    CHECK_FALSE(tokens_equal("secret-token-12345", "secret-token-123456"));
    CHECK_FALSE(tokens_equal("secret-token-1234567", "secret-token-123456"));
    CHECK_FALSE(tokens_equal("secret-token-123457", "secret-token-123456"));
    CHECK_FALSE(tokens_equal("", "secret-token-123456"));
    CHECK_FALSE(tokens_equal("", ""));
    CHECK_FALSE(tokens_equal(std::string_view("secret\0token", 12), "secret"));
}

TEST_CASE("verdict words from exit codes", "[serve]") {
    CHECK(verdict_for_exit(0) == "PASS");
    CHECK(verdict_for_exit(1) == "FAIL");
    CHECK(verdict_for_exit(2) == "ERROR");
    CHECK(verdict_for_exit(3) == "ERROR");
    CHECK(verdict_for_exit(4) == "INCONCLUSIVE");
    CHECK(verdict_for_exit(130) == "ERROR");
    CHECK(verdict_for_exit(137) == "ERROR");
}

TEST_CASE("the Flagger table", "[serve]") {
    using H = FlaggerHook;
    using S = RunState;
    struct Row {
        H hook;
        S state;
        int status;
    };
    const Row rows[] = {
        {H::rollout, S::none, 409},
        {H::rollout, S::queued, 200},
        {H::rollout, S::running, 200},
        {H::rollout, S::passed, 200},
        {H::rollout, S::failed, 422},
        {H::confirm_promotion, S::none, 409},
        {H::confirm_promotion, S::queued, 409},
        {H::confirm_promotion, S::running, 409},
        {H::confirm_promotion, S::passed, 200},
        {H::confirm_promotion, S::failed, 422},
        {H::rollback, S::none, 409},
        {H::rollback, S::running, 409},
        {H::rollback, S::passed, 409},
        {H::rollback, S::failed, 200},
        {H::post_rollout, S::none, 200},
        {H::event, S::failed, 200},
    };
    for (const auto& row : rows) {
        INFO(std::string(to_string(row.hook)) << " state " << static_cast<int>(row.state));
        FlaggerAnswer answer = flagger_answer(row.hook, row.state);
        CHECK(answer.status == row.status);
        CHECK_FALSE(answer.reason.empty());
        // Flagger: success is <= 202 (204 fails); 429 and 5xx are retried, which would hide
        // a decided failure behind backoff.
        CHECK(answer.status != 204);
        CHECK(answer.status != 429);
        CHECK(answer.status < 500);
    }
    CHECK(flagger_hook_from_string("confirm-promotion") == H::confirm_promotion);
    CHECK_FALSE(flagger_hook_from_string("confirm-rollout"));
    CHECK_FALSE(flagger_hook_from_string(""));
}

TEST_CASE("listen addresses (--listen)", "[serve]") {
    auto v4 = parse_listen("127.0.0.1:8686");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 8686);
    auto v6 = parse_listen("[::1]:9000");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 9000);
    for (const char* bad : {"8686", ":8686", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000",
                            "[::1]8686", "::1:8686"}) {
        INFO(bad);
        CHECK_FALSE(parse_listen(bad));
    }
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("::1"));
    CHECK(is_loopback("localhost"));
    CHECK_FALSE(is_loopback("0.0.0.0"));
}
