// probe_tcp: readiness without a health block, against real sockets on 127.0.0.1.
#include <catch2/catch.hpp>

#include "http/health_probe.hpp"
#include "http_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;

TEST_CASE("probe_tcp connects to a listener", "[tcp]") {
    orch::test::Listener listener;
    CHECK(probe_tcp("127.0.0.1", listener.port(), 1s));
    CHECK(probe_tcp("localhost", listener.port(), 1s));
    auto answer = probe_tcp_answer("127.0.0.1", listener.port(), 1s);
    CHECK(answer.healthy);
    CHECK(answer.problem.empty());
    CHECK(answer.status == 0);
}

TEST_CASE("probe_tcp says why it could not connect", "[tcp]") {
    int port = orch::test::free_port();
    CHECK_FALSE(probe_tcp("127.0.0.1", port, 1s));
    auto answer = probe_tcp_answer("127.0.0.1", port, 1s);
    CHECK_FALSE(answer.healthy);
    CHECK(answer.error == "connection refused");
    CHECK(answer.problem == "connection refused");
}
