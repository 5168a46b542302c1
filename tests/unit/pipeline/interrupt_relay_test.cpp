#include "pipeline/interrupt_relay.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using namespace orch;
using namespace std::chrono_literals;

namespace {

struct Pipe {
    int fds[2] = {-1, -1};
    Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0); }
    ~Pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

}  // namespace

TEST_CASE("a byte on the interrupt pipe calls back once, without polling") {
    Pipe pipe;
    std::atomic<int> calls{0};
    InterruptRelay relay(pipe.fds[0], [&] { ++calls; });
    std::this_thread::sleep_for(20ms);
    CHECK(calls.load() == 0);
    char byte = 1;
    REQUIRE(::write(pipe.fds[1], &byte, 1) == 1);
    REQUIRE(::write(pipe.fds[1], &byte, 1) == 1);  // a second signal: still one call
    for (int i = 0; i < 500 && calls.load() == 0; ++i) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(calls.load() == 1);
}

TEST_CASE("ending the relay without an interrupt neither waits nor calls back") {
    Pipe pipe;
    std::atomic<int> calls{0};
    const auto start = std::chrono::steady_clock::now();
    {
        InterruptRelay relay(pipe.fds[0], [&] { ++calls; });
    }
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK(calls.load() == 0);
}

TEST_CASE("no interrupt pipe: no thread, no call") {
    std::atomic<int> calls{0};
    {
        InterruptRelay relay(-1, [&] { ++calls; });
    }
    CHECK(calls.load() == 0);
}
