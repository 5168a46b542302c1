// The URL the engine hands the transports (transport.hpp): split once into origin and
// request target, and a relative path appended to a parsed base without re-parsing it.
#include <catch2/catch.hpp>

#include "plugins/executors/builtin/transport.hpp"

using orch::builtin::append_request_path;
using orch::builtin::parse_request_url;
using orch::builtin::RequestUrl;

TEST_CASE("request URL: origin, Host authority and target from one parse") {
    RequestUrl url;
    REQUIRE(parse_request_url("http://127.0.0.1:8080/a/b?c=d#frag", url));
    CHECK(url.text == "http://127.0.0.1:8080/a/b?c=d#frag");
    CHECK_FALSE(url.tls);
    CHECK(url.host == "127.0.0.1");
    CHECK(url.port == 8080);
    CHECK(url.authority == "127.0.0.1:8080");
    CHECK(url.target == "/a/b?c=d");

    REQUIRE(parse_request_url("HTTPS://[::1]:443?q", url));
    CHECK(url.tls);
    CHECK(url.host == "::1");
    CHECK(url.authority == "[::1]");  // the scheme's default port is not in Host
    CHECK(url.target == "/?q");

    REQUIRE(parse_request_url("http://example.test", url));
    CHECK(url.authority == "example.test");
    CHECK(url.port == 80);
    CHECK(url.target == "/");

    // Not http[s] without user info: only the text, for libcurl.
    CHECK_FALSE(parse_request_url("http://user:pw@example.test/", url));
    CHECK(url.text == "http://user:pw@example.test/");
    CHECK(url.host.empty());
    CHECK(url.target.empty());
    CHECK_FALSE(parse_request_url("ftp://example.test/", url));
}

TEST_CASE("request URL: a relative path on a parsed base") {
    RequestUrl base;
    REQUIRE(parse_request_url("http://127.0.0.1:8", base));
    RequestUrl out;
    REQUIRE(append_request_path(base, "/x/y?z=1#f", out));
    CHECK(out.text == "http://127.0.0.1:8/x/y?z=1#f");
    CHECK(out.authority == "127.0.0.1:8");
    CHECK(out.target == "/x/y?z=1");
    REQUIRE(append_request_path(base, "", out));
    CHECK(out.target == "/");
    REQUIRE(append_request_path(base, "?only=query", out));
    CHECK(out.target == "/?only=query");

    // A path that extends the authority is parsed whole, as the concatenated URL reads:
    // "http://127.0.0.1:8" + "0/x" is port 80, not port 8 with a target "0/x".
    REQUIRE(append_request_path(base, "0/x", out));
    CHECK(out.port == 80);
    CHECK(out.authority == "127.0.0.1");
    CHECK(out.target == "/x");
    CHECK_FALSE(append_request_path(base, "@elsewhere/", out));  // user info now

    // A base with a path: the rendered part only extends the target.
    REQUIRE(parse_request_url("https://api.test/v1", base));
    REQUIRE(append_request_path(base, "users/7", out));
    CHECK(out.tls);
    CHECK(out.authority == "api.test");
    CHECK(out.target == "/v1users/7");
    CHECK(out.text == "https://api.test/v1users/7");
}
