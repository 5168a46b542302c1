#include "config/template.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "load_support.hpp"

using namespace orch;

namespace {
const std::vector<std::string> k_names = {"uuid", "vu", "iter", "stage", "userId", "msg"};

using test::fill;
}  // namespace

TEST_CASE("templates compile to literal and slot segments") {
    auto templ = compile_template("/c/{{ userId }}/m?x={{msg}}", k_names, Template::Escaping::url);
    REQUIRE(templ);
    REQUIRE(templ->segments.size() == 4);
    CHECK(templ->segments[0].literal == "/c/");
    CHECK(templ->segments[0].var == -1);
    CHECK(templ->segments[1].var == 4);
    CHECK(templ->segments[1].escaping == Template::Escaping::url);
    CHECK(templ->segments[2].literal == "/m?x=");
    CHECK(templ->segments[3].var == 5);
    CHECK(templ->source == "/c/{{ userId }}/m?x={{msg}}");
    CHECK_FALSE(templ->is_constant());

    auto constant = compile_template("plain text", k_names, Template::Escaping::none);
    REQUIRE(constant);
    CHECK(constant->is_constant());
    CHECK(constant->segments.size() == 1);
}

TEST_CASE("template errors: unknown names with a did-you-mean, unclosed and empty slots") {
    auto unknown = compile_template("/x/{{usrId}}", k_names, Template::Escaping::url);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown variable \"{{usrId}}\" (did you mean \"userId\"?)");

    auto far = compile_template("{{zzzzzzzz}}", k_names, Template::Escaping::none);
    REQUIRE_FALSE(far);
    CHECK(far.error().message ==
          "unknown variable \"{{zzzzzzzz}}\" (known: uuid, vu, iter, stage, userId, msg)");

    auto unclosed = compile_template("a {{userId", k_names, Template::Escaping::none);
    REQUIRE_FALSE(unclosed);
    CHECK(unclosed.error().message.find("unclosed \"{{\" at character 3") == 0);

    CHECK_FALSE(compile_template("{{  }}", k_names, Template::Escaping::none));
}

TEST_CASE("filling escapes each slot as its place needs") {
    std::vector<std::string> values = {"u", "1", "2", "smoke", "a/b c&d=\"e\"\n", "m"};
    auto url = compile_template("/c/{{userId}}", k_names, Template::Escaping::url);
    REQUIRE(url);
    CHECK(fill(*url, values) == "/c/a%2Fb%20c%26d%3D%22e%22%0A");

    auto json_slot = compile_template("{{userId}}", k_names, Template::Escaping::json);
    REQUIRE(json_slot);
    CHECK(fill(*json_slot, values) == "a/b c&d=\\\"e\\\"\\n");

    auto raw = compile_template("[{{userId}}]", k_names, Template::Escaping::none);
    REQUIRE(raw);
    CHECK(fill(*raw, values) == "[a/b c&d=\"e\"\n]");

    std::string control;
    append_json_escaped(std::string("\x01\\"), control);
    CHECK(control == "\\u0001\\\\");
    std::string unreserved;
    append_url_escaped("AZaz09-._~", unreserved);
    CHECK(unreserved == "AZaz09-._~");
}
