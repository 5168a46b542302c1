// Helpers for the HTTP tests, all on 127.0.0.1: a free port, the real demo backend as a
// child process, and a raw one-connection-at-a-time server with a canned answer (to see
// the request stagegate sent, and to answer what the demo backend never would).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/sockets.hpp"

extern char** environ;

namespace orch::test {

/// Serves every connection with `response` (raw HTTP bytes) after reading the request
/// head; keeps the requests it saw.
class RawHttpServer {
  public:
    explicit RawHttpServer(std::string response) : m_response(std::move(response)) {
        m_thread = std::thread([this] { serve(); });
    }
    ~RawHttpServer() {
        m_stop = true;
        m_thread.join();
    }
    RawHttpServer(const RawHttpServer&) = delete;
    RawHttpServer& operator=(const RawHttpServer&) = delete;

    int port() const { return m_listener.port(); }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    std::vector<std::string> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

  private:
    void serve() {
        while (!m_stop) {
            pollfd waiting{m_listener.fd(), POLLIN, 0};
            if (::poll(&waiting, 1, 50) <= 0) {
                continue;
            }
            int client = ::accept4(m_listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                continue;
            }
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                pollfd readable{client, POLLIN, 0};
                if (::poll(&readable, 1, 2000) <= 0) {
                    break;
                }
                ssize_t n = ::read(client, buffer, sizeof(buffer));
                if (n <= 0) {
                    break;
                }
                request.append(buffer, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(m_mutex);
                m_requests.push_back(request);
            }
            std::size_t sent = 0;
            while (sent < m_response.size()) {
                ssize_t n = ::send(client, m_response.data() + sent, m_response.size() - sent,
                                   MSG_NOSIGNAL);
                if (n <= 0) {
                    break;
                }
                sent += static_cast<std::size_t>(n);
            }
            ::shutdown(client, SHUT_WR);
            ::close(client);
        }
    }

    Listener m_listener;
    std::string m_response;
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex;
    std::vector<std::string> m_requests;
    std::thread m_thread;
};

/// "HTTP/1.1 STATUS X\r\n...\r\n\r\nBODY" with Content-Length and Connection: close.
inline std::string http_response(int status, const std::string& body,
                                 const std::string& content_type = "application/json") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

/// The demo backend (CHAT_BACKEND_PATH) on a free port, with extra environment; output
/// discarded. Stopped (SIGTERM, then SIGKILL) and reaped at scope end.
class DemoBackend {
  public:
    using Env = std::vector<std::pair<std::string, std::string>>;
    explicit DemoBackend(Env env = {}) {
        m_port = free_port();
        std::vector<std::string> variables;
        for (char** item = environ; *item != nullptr; ++item) {
            variables.emplace_back(*item);
        }
        variables.push_back("PORT=" + std::to_string(m_port));
        for (const auto& [name, value] : env) {
            variables.push_back(name + "=" + value);
        }
        std::vector<char*> envp;
        for (auto& variable : variables) {
            envp.push_back(variable.data());
        }
        envp.push_back(nullptr);
        std::string program = CHAT_BACKEND_PATH;
        char* argv[] = {program.data(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        ::posix_spawn(&m_pid, program.c_str(), &actions, nullptr, argv, envp.data());
        posix_spawn_file_actions_destroy(&actions);
    }
    ~DemoBackend() {
        if (m_pid <= 0) {
            return;
        }
        ::kill(m_pid, SIGTERM);
        for (int i = 0; i < 300; ++i) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    DemoBackend(const DemoBackend&) = delete;
    DemoBackend& operator=(const DemoBackend&) = delete;

    pid_t pid() const { return m_pid; }
    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    /// Waits until the port accepts connections (at most 5 s).
    bool wait_listening() const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(static_cast<std::uint16_t>(m_port));
            bool connected =
                ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
            ::close(fd);
            if (connected) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

  private:
    pid_t m_pid = 0;
    int m_port = 0;
};

}  // namespace orch::test
