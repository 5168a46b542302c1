#include "plugins/executors/k6/k6_error_kind.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("a response is judged by expected_response, then by its status") {
    CHECK(k6_error_kind(201, 0, "", true) == ErrorKind::none);
    CHECK(k6_error_kind(404, 1404, "", true) == ErrorKind::none);  // responseCallback allowed it
    // As in the recorded run: 429 and 500 carry error_code 1429/1500, expected_response false.
    CHECK(k6_error_kind(429, 1429, "", false) == ErrorKind::status_429);
    CHECK(k6_error_kind(500, 1500, "", false) == ErrorKind::status_5xx);
    CHECK(k6_error_kind(503, 1503, "", false) == ErrorKind::status_5xx);
    CHECK(k6_error_kind(404, 1404, "", false) == ErrorKind::status_4xx);
    CHECK(k6_error_kind(200, 0, "", false) == ErrorKind::expect);  // rejected by responseCallback
    // No expected_response tag (responseCallback: null): 4xx/5xx fail, the rest pass.
    CHECK(k6_error_kind(302, 0, "", std::nullopt) == ErrorKind::none);
    CHECK(k6_error_kind(400, 1400, "", std::nullopt) == ErrorKind::status_4xx);
    CHECK(k6_error_kind(502, 1502, "", std::nullopt) == ErrorKind::status_5xx);
}

TEST_CASE("no response: k6's error code decides") {
    // The recorded refused run: status 0, error_code 1212, error "dial: connection refused".
    CHECK(k6_error_kind(0, 1212, "dial: connection refused", false) ==
          ErrorKind::connection_refused);
    CHECK(k6_error_kind(0, 1050, "request timeout", false) == ErrorKind::timeout);
    CHECK(k6_error_kind(0, 1211, "dial: i/o timeout", false) == ErrorKind::timeout);
    CHECK(k6_error_kind(0, 1100, "lookup nowhere", false) == ErrorKind::dns);
    CHECK(k6_error_kind(0, 1101, "", false) == ErrorKind::dns);
    CHECK(k6_error_kind(0, 1220, "read: connection reset by peer", false) ==
          ErrorKind::connection_reset);
    CHECK(k6_error_kind(0, 1201, "write: broken pipe", false) == ErrorKind::connection_reset);
    CHECK(k6_error_kind(0, 1310, "x509: certificate signed by unknown authority", false) ==
          ErrorKind::tls);
    CHECK(k6_error_kind(0, 1020, "invalid URL", false) == ErrorKind::other);
    CHECK(k6_error_kind(0, 1000, "", false) == ErrorKind::other);
}

TEST_CASE("no response and a generic code: the error text decides") {
    CHECK(k6_error_kind(0, 1000, "dial tcp 127.0.0.1:1: connect: connection refused", false) ==
          ErrorKind::connection_refused);
    CHECK(k6_error_kind(0, 1000, "context deadline exceeded", false) == ErrorKind::timeout);
    CHECK(k6_error_kind(0, 1200, "read tcp: connection reset by peer", false) ==
          ErrorKind::connection_reset);
    CHECK(k6_error_kind(0, 0, "lookup example.invalid: no such host", false) == ErrorKind::dns);
    CHECK(k6_error_kind(0, 0, "", std::nullopt) == ErrorKind::other);
}
