// Port preflight against real sockets bound by this test.
#include "process/port_check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

using namespace orch;

namespace {

/// A TCP socket bound to port 0 of `address` (IPv4 or IPv6 loopback), listening or not.
struct BoundSocket {
    int fd = -1;
    int port = 0;
    BoundSocket(int family, bool listening) {
        fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return;
        }
        sockaddr_storage storage{};
        socklen_t length = 0;
        if (family == AF_INET) {
            auto* in = reinterpret_cast<sockaddr_in*>(&storage);
            in->sin_family = AF_INET;
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            length = sizeof(sockaddr_in);
        } else {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_addr = in6addr_loopback;
            length = sizeof(sockaddr_in6);
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
            (listening && ::listen(fd, 4) != 0)) {
            ::close(fd);
            fd = -1;
            return;
        }
        length = sizeof(storage);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
        port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    }
    ~BoundSocket() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

std::string own_name() {
    std::ifstream in("/proc/self/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

}  // namespace

TEST_CASE("find_listener finds an IPv4 listener and names this process", "[port]") {
    BoundSocket socket(AF_INET, true);
    REQUIRE(socket.fd >= 0);
    auto holder = find_listener(socket.port);
    REQUIRE(holder);
    CHECK(holder->port == socket.port);
    CHECK(holder->pid == ::getpid());
    CHECK(holder->process_name == own_name());
    CHECK(holder->describe() == "port " + std::to_string(socket.port) +
                                    " is already in use by pid " + std::to_string(::getpid()) +
                                    " (" + own_name() + ")");
}

TEST_CASE("find_listener finds an IPv6 listener", "[port]") {
    BoundSocket socket(AF_INET6, true);
    if (socket.fd < 0) {
        WARN("no IPv6 loopback here: skipped");
        return;
    }
    auto holder = find_listener(socket.port);
    REQUIRE(holder);
    CHECK(holder->pid == ::getpid());
}

TEST_CASE("find_listener ignores free ports and sockets that do not listen", "[port]") {
    int port = 0;
    {
        BoundSocket socket(AF_INET, false);
        REQUIRE(socket.fd >= 0);
        port = socket.port;
        CHECK_FALSE(find_listener(port));  // bound, not listening
    }
    CHECK_FALSE(find_listener(port));  // closed
}

TEST_CASE("PortHolder::describe without a known owner", "[port]") {
    PortHolder holder;
    holder.port = 8080;
    CHECK(holder.describe() == "port 8080 is already in use (by a process stagegate cannot see)");
}

TEST_CASE("host_port_of", "[port]") {
    using HostPort = std::pair<std::string, int>;
    CHECK(host_port_of("http://127.0.0.1:8080").value() == HostPort{"127.0.0.1", 8080});
    CHECK(host_port_of("http://localhost/api").value() == HostPort{"localhost", 80});
    CHECK(host_port_of("https://example.com").value() == HostPort{"example.com", 443});
    CHECK(host_port_of("HTTPS://example.com:8443/x?y#z").value() == HostPort{"example.com", 8443});
    CHECK(host_port_of("http://user:pw@host:81/").value() == HostPort{"host", 81});
    CHECK(host_port_of("http://[::1]:9000/health").value() == HostPort{"::1", 9000});
    CHECK(host_port_of("http://[::1]").value() == HostPort{"::1", 80});

    CHECK_FALSE(host_port_of("127.0.0.1:8080"));
    CHECK_FALSE(host_port_of("ftp://host"));
    CHECK_FALSE(host_port_of("http://:8080"));
    CHECK_FALSE(host_port_of("http://host:99999"));
    CHECK_FALSE(host_port_of("http://host:80x"));
    auto bad = host_port_of("http://host:0");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::invalid_input);
    CHECK_THAT(bad.error().message, Catch::Contains("from 1 to 65535"));
}

TEST_CASE("is_local_host", "[port]") {
    CHECK(is_local_host("localhost"));
    CHECK(is_local_host("LOCALHOST"));
    CHECK(is_local_host("127.0.0.1"));
    CHECK(is_local_host("127.1.2.3"));
    CHECK(is_local_host("::1"));
    CHECK(is_local_host("0.0.0.0"));
    CHECK_FALSE(is_local_host("example.com"));
    CHECK_FALSE(is_local_host("10.0.0.1"));
}
