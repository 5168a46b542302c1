// Loopback sockets for tests: a listener on a kernel-chosen 127.0.0.1 port, and a port
// number that was free a moment ago.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace orch::test {

/// A listening TCP socket on 127.0.0.1, port chosen by the kernel; closed at scope end
/// or by close().
class Listener {
  public:
    Listener() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        ::listen(m_fd, 16);
        socklen_t length = sizeof(address);
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
    }
    ~Listener() { close(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    int fd() const { return m_fd; }
    int port() const { return m_port; }
    void close() {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }

  private:
    int m_fd = -1;
    int m_port = 0;
};

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound, read, closed).
inline int free_port() {
    Listener listener;
    return listener.port();
}

}  // namespace orch::test
