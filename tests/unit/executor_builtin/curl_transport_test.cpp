#include <curl/curl.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "plugins/executors/builtin/curl_transport.hpp"

using orch::ErrorKind;
using orch::builtin::classify_curl_error;

TEST_CASE("curl transport: libcurl results map onto error kinds") {
    CHECK(classify_curl_error(CURLE_OK, 0) == ErrorKind::none);
    CHECK(classify_curl_error(CURLE_COULDNT_CONNECT, ECONNREFUSED) ==
          ErrorKind::connection_refused);
    CHECK(classify_curl_error(CURLE_OPERATION_TIMEDOUT, 0) == ErrorKind::timeout);
    CHECK(classify_curl_error(CURLE_COULDNT_RESOLVE_HOST, 0) == ErrorKind::dns);
    CHECK(classify_curl_error(CURLE_GOT_NOTHING, 0) == ErrorKind::connection_closed);
    CHECK(classify_curl_error(CURLE_RECV_ERROR, ECONNRESET) == ErrorKind::connection_reset);
    CHECK(classify_curl_error(CURLE_SEND_ERROR, EPIPE) == ErrorKind::connection_reset);
    CHECK(classify_curl_error(CURLE_RECV_ERROR, 0) == ErrorKind::other);
    CHECK(classify_curl_error(CURLE_PEER_FAILED_VERIFICATION, 0) == ErrorKind::tls);
    CHECK(classify_curl_error(CURLE_SSL_CONNECT_ERROR, 0) == ErrorKind::tls);
    CHECK(classify_curl_error(CURLE_TOO_MANY_REDIRECTS, 0) == ErrorKind::other);
}

TEST_CASE("curl transport: the generator's own shortages are errors.generator") {
    // No descriptor, no ephemeral port, no buffer: the backend never saw the request.
    CHECK(classify_curl_error(CURLE_COULDNT_CONNECT, EMFILE) == ErrorKind::generator);
    CHECK(classify_curl_error(CURLE_COULDNT_CONNECT, ENFILE) == ErrorKind::generator);
    CHECK(classify_curl_error(CURLE_COULDNT_CONNECT, EADDRNOTAVAIL) == ErrorKind::generator);
    CHECK(classify_curl_error(CURLE_SEND_ERROR, ENOBUFS) == ErrorKind::generator);
    CHECK(classify_curl_error(CURLE_OK, EMFILE) == ErrorKind::none);
}

TEST_CASE("curl transport: this libcurl speaks http") {
    REQUIRE(orch::builtin::init_curl_once());
    CHECK(orch::builtin::curl_supports_scheme("http"));
    CHECK(orch::builtin::curl_supports_scheme("HTTP"));
    CHECK_FALSE(orch::builtin::curl_supports_scheme("gopher+tls"));
}
