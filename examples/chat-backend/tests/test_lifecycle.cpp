// Process-level behaviour: startup line, graceful SIGTERM, bad configuration, port in use.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "backend_process.hpp"

using chat::test::BackendProcess;
using chat::test::Env;
using chat::test::messages_path;

TEST_CASE("prints one listening line with pool and rate limit", "[lifecycle]") {
    SECTION("defaults") {
        BackendProcess backend;
        CHECK(backend.stdout_text() ==
              "chat-backend listening on 127.0.0.1:" + std::to_string(backend.port()) +
                  " (pool=10, rate_limit=600/min)\n");
    }
    SECTION("custom pool, limiter off") {
        BackendProcess backend(Env{{"DATABASE_POOL_SIZE", "3"}, {"DISABLE_RATE_LIMIT", "true"}});
        CHECK(backend.stdout_text() ==
              "chat-backend listening on 127.0.0.1:" + std::to_string(backend.port()) +
                  " (pool=3, rate_limit=off)\n");
    }
}

TEST_CASE("SIGTERM exits 0 promptly", "[lifecycle]") {
    const int signal = GENERATE(SIGTERM, SIGINT);
    BackendProcess backend;
    auto client = backend.client();
    REQUIRE(client->Get(messages_path("c").c_str())->status == 200);
    backend.send_signal(signal);
    const auto status = backend.wait_exit(std::chrono::seconds(2));
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
    CHECK(backend.stdout_text().find("shutting down (served 1 requests)") != std::string::npos);
}

TEST_CASE("SIGTERM exits 0 promptly even with idle keep-alive connections", "[lifecycle]") {
    BackendProcess backend;
    auto client = backend.client(true);
    REQUIRE(client->Get(messages_path("c").c_str())->status == 200);  // connection stays open
    const auto start = std::chrono::steady_clock::now();
    backend.send_signal(SIGTERM);
    const auto status = backend.wait_exit(std::chrono::seconds(3));
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
}

TEST_CASE("SIGTERM during the startup delay exits 0", "[lifecycle]") {
    BackendProcess backend(Env{{"FAULT_STARTUP_DELAY_MS", "10000"}}, false);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    backend.send_signal(SIGTERM);
    const auto status = backend.wait_exit(std::chrono::seconds(2));
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 0);
}

TEST_CASE("a bad environment value exits 2 with a clear message", "[lifecycle]") {
    using Case = std::pair<std::string, std::string>;
    const auto [name, value] =
        GENERATE(Case{"PORT", "abc"}, Case{"PORT", "70000"}, Case{"DATABASE_POOL_SIZE", "0"},
                 Case{"DISABLE_RATE_LIMIT", "maybe"}, Case{"FAULT_ERROR_RATE", "1.5"});
    BackendProcess backend(Env{{name, value}}, false);
    const auto status = backend.wait_exit(std::chrono::seconds(5));
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 2);
    const std::string err = backend.stderr_text();
    CHECK(err.find("chat-backend: invalid " + name + "=\"" + value + "\"") != std::string::npos);
    CHECK(backend.stdout_text().empty());
}

TEST_CASE("a port already in use exits 1 with a clear message", "[lifecycle]") {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const std::string port = std::to_string(ntohs(addr.sin_port));

    BackendProcess backend(Env{{"PORT", port}}, false);
    const auto status = backend.wait_exit(std::chrono::seconds(5));
    ::close(fd);
    REQUIRE(status);
    CHECK(status->exited);
    CHECK(status->code == 1);
    CHECK(backend.stderr_text().find("cannot listen on 127.0.0.1:" + port) != std::string::npos);
}
