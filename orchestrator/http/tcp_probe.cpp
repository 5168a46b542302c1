// probe_tcp: readiness for pipelines without a health block. A non-blocking connect to
// each resolved address in turn, bounded by one overall timeout, then closed at once.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "http/health_probe.hpp"

namespace orch {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string connect_error_words(int error) {
    switch (error) {
        case ECONNREFUSED:
            return "connection refused";
        case ENETUNREACH:
            return "network unreachable";
        case EHOSTUNREACH:
            return "host unreachable";
        case ETIMEDOUT:
            return "timed out";
        default:
            return std::string("could not connect: ") + std::strerror(error);
    }
}

/// Connects to one address before `deadline`; 0 on success, else an errno value.
int try_connect(const addrinfo& address, SteadyClock::time_point deadline) {
    int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      address.ai_protocol);
    if (fd < 0) {
        return errno;
    }
    int error = 0;
    if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
            error = ETIMEDOUT;
            while (true) {
                auto left =
                    std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
                if (left.count() <= 0) {
                    break;
                }
                pollfd waiting{fd, POLLOUT, 0};
                int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
                if (ready < 0 && errno == EINTR) {
                    continue;
                }
                if (ready > 0) {
                    socklen_t length = sizeof(error);
                    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
                        error = errno;
                    }
                }
                break;
            }
        }
    }
    ::close(fd);
    return error;
}

}  // namespace

HealthAnswer probe_tcp_answer(const std::string& host, int port, Duration timeout) {
    HealthAnswer answer;
    const auto started = SteadyClock::now();
    const auto deadline = started + timeout;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* addresses = nullptr;
    std::string service = std::to_string(port);
    int resolved = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses);
    if (resolved != 0 || addresses == nullptr) {
        answer.error = "could not resolve host " + host;
    } else {
        int error = ETIMEDOUT;
        for (const addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
            error = try_connect(*address, deadline);
            if (error == 0 || SteadyClock::now() >= deadline) {
                break;
            }
        }
        ::freeaddrinfo(addresses);
        if (error == ETIMEDOUT) {
            answer.error = "timed out after " + format_duration(timeout);
        } else if (error != 0) {
            answer.error = connect_error_words(error);
        }
    }
    answer.elapsed_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    answer.healthy = answer.error.empty();
    answer.problem = answer.error;
    return answer;
}

bool probe_tcp(const std::string& host, int port, Duration timeout) {
    return probe_tcp_answer(host, port, timeout).healthy;
}

}  // namespace orch
