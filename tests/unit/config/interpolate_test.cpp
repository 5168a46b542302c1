#include "config/interpolate.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "core/redact.hpp"

using namespace orch;

namespace {
EnvLookup lookup_from(std::map<std::string, std::string> env) {
    return [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}
}  // namespace

TEST_CASE("interpolation replaces variables, applies defaults and keeps $${ literal") {
    auto env = lookup_from({{"PORT", "9000"}, {"EMPTY", ""}});
    CHECK(*interpolate("http://127.0.0.1:${PORT}", env) == "http://127.0.0.1:9000");
    CHECK(*interpolate("${VUS:-5}", env) == "5");
    CHECK(*interpolate("${PORT:-1}", env) == "9000");
    CHECK(*interpolate("${EMPTY:-fallback}", env) == "fallback");
    CHECK(interpolate("${EMPTY}", env)->empty());
    CHECK(interpolate("${MISSING:-}", env)->empty());
    CHECK(*interpolate("cost $5 and $${PORT}", env) == "cost $5 and ${PORT}");
    CHECK(*interpolate("no variables", env) == "no variables");
    CHECK(has_interpolation("a ${X}"));
    CHECK_FALSE(has_interpolation("a $${X}"));
}

TEST_CASE("interpolation errors name the variable") {
    auto env = lookup_from({});
    auto unset = interpolate("Bearer ${API_TOKEN}", env);
    REQUIRE_FALSE(unset);
    CHECK(unset.error().message ==
          "${API_TOKEN} is not set (set it, or give a default: ${API_TOKEN:-value})");
    CHECK_FALSE(interpolate("${UNCLOSED", env));
    CHECK_FALSE(interpolate("${}", env));
    CHECK_FALSE(interpolate("${1ABC}", env));
    CHECK_FALSE(interpolate("${A-b}", env));
}

TEST_CASE("values of secret-looking variables are registered for redaction") {
    clear_secrets_for_testing();
    auto env = lookup_from({{"API_TOKEN", "tok-canary-123"}, {"PORT", "8123"}});
    CHECK(*interpolate("${API_TOKEN} on ${PORT}", env) == "tok-canary-123 on 8123");
    CHECK(redact("x tok-canary-123 8123") == "x *** 8123");
    // A default written in the file is not a secret.
    CHECK(*interpolate("${DB_PASSWORD:-not-secret}", env) == "not-secret");
    CHECK(redact("not-secret") == "not-secret");
    clear_secrets_for_testing();
}
