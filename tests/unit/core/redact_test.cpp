#include "core/redact.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("registered secrets are replaced wherever they appear") {
    clear_secrets_for_testing();
    register_secret("s3cr3t-canary");
    register_secret("ab");  // too short to redact safely
    CHECK(redact("Bearer s3cr3t-canary and s3cr3t-canary") == "Bearer *** and ***");
    CHECK(redact("ab cd") == "ab cd");
    clear_secrets_for_testing();
    CHECK(redact("s3cr3t-canary") == "s3cr3t-canary");
}

TEST_CASE("secret variable names follow the SPEC's words in any case") {
    CHECK(is_secret_variable_name("API_TOKEN"));
    CHECK(is_secret_variable_name("db_password"));
    CHECK(is_secret_variable_name("AuthHeader"));
    CHECK(is_secret_variable_name("aws_credentials"));
    CHECK(is_secret_variable_name("Api_Key"));
    CHECK_FALSE(is_secret_variable_name("PORT"));
    CHECK_FALSE(is_secret_variable_name("BASE_URL"));
}

TEST_CASE("secret header names: credentials, cookies and the SPEC's words in any case") {
    for (const char* name :
         {"Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key",
          "x-auth-token", "X-Session-Id", "X-Client-Secret", "X-Password", "X-Credential"}) {
        INFO(name);
        CHECK(is_secret_header_name(name));
    }
    for (const char* name : {"Accept-Encoding", "Content-Type", "X-Stage", "Accept", "X-Trace"}) {
        INFO(name);
        CHECK_FALSE(is_secret_header_name(name));
    }
}

TEST_CASE("contains_secret finds a registered secret inside a text") {
    clear_secrets_for_testing();
    register_secret("tok42");
    CHECK(contains_secret("stage-tok42-x"));
    CHECK_FALSE(contains_secret("stage-tok4"));
    clear_secrets_for_testing();
}
