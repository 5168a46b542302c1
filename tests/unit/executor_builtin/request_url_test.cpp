// The URL the engine hands the transports (transport.hpp): split once into origin and
// request target, and a relative path appended to a parsed base without re-parsing it.
#include <catch2/catch.hpp>

#include "plugins/executors/builtin/transport.hpp"

using orch::builtin::append_request_path;
using orch::builtin::parse_request_url;
using orch::builtin::RequestUrl;

namespace {

/// What a URL splits into.
struct Split {
    bool tls;
    const char* host;
    unsigned port;
    const char* authority;  ///< the Host header's value
    const char* target;
};

void check_split(const RequestUrl& url, const Split& expected) {
    CHECK(url.http);
    CHECK(url.tls == expected.tls);
    CHECK(url.host == expected.host);
    CHECK(url.port == expected.port);
    CHECK(url.authority == expected.authority);
    CHECK(url.target == expected.target);
}

}  // namespace

TEST_CASE("request URL: origin, Host authority and target from one parse") {
    const std::pair<const char*, Split> cases[] = {
        {"http://127.0.0.1:8080/a/b?c=d#frag",
         {false, "127.0.0.1", 8080, "127.0.0.1:8080", "/a/b?c=d"}},
        // The scheme's default port is not in Host; a bare query gets its "/".
        {"HTTPS://[::1]:443?q", {true, "::1", 443, "[::1]", "/?q"}},
        {"http://example.test", {false, "example.test", 80, "example.test", "/"}},
        {"https://[::1]:8443/x", {true, "::1", 8443, "[::1]:8443", "/x"}},
    };
    for (const auto& [text, split] : cases) {
        INFO(text);
        RequestUrl url;
        REQUIRE(parse_request_url(text, url));
        CHECK(url.text == text);
        check_split(url, split);
    }
    // Not http[s] without user info: only the text, for libcurl.
    RequestUrl url;
    CHECK_FALSE(parse_request_url("http://user:pw@example.test/", url));
    CHECK(url.text == "http://user:pw@example.test/");
    CHECK(url.host.empty());
    CHECK(url.target.empty());
    CHECK_FALSE(parse_request_url("ftp://example.test/", url));
}

TEST_CASE("request URL: a relative path on a parsed base") {
    RequestUrl base;
    REQUIRE(parse_request_url("http://127.0.0.1:8", base));
    const std::pair<const char*, Split> cases[] = {
        {"/x/y?z=1#f", {false, "127.0.0.1", 8, "127.0.0.1:8", "/x/y?z=1"}},
        {"", {false, "127.0.0.1", 8, "127.0.0.1:8", "/"}},
        {"?only=query", {false, "127.0.0.1", 8, "127.0.0.1:8", "/?only=query"}},
        // A path that extends the authority is parsed whole, as the concatenated URL reads:
        // "http://127.0.0.1:8" + "0/x" is port 80, not port 8 with a target "0/x".
        {"0/x", {false, "127.0.0.1", 80, "127.0.0.1", "/x"}},
    };
    for (const auto& [path, split] : cases) {
        INFO(path);
        RequestUrl out;
        REQUIRE(append_request_path(base, path, out));
        CHECK(out.text == std::string("http://127.0.0.1:8") + path);
        check_split(out, split);
    }
    RequestUrl out;
    CHECK_FALSE(append_request_path(base, "@elsewhere/", out));  // user info now

    // A base with a path: the rendered part only extends the target.
    REQUIRE(parse_request_url("https://api.test/v1", base));
    REQUIRE(append_request_path(base, "users/7", out));
    check_split(out, {true, "api.test", 443, "api.test", "/v1users/7"});
    CHECK(out.text == "https://api.test/v1users/7");
}
