#include "backend_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace chat::test {
namespace {

// Variables chat-backend reads: never inherited from the developer's shell.
bool is_backend_variable(const std::string& name) {
    static const char* const k_names[] = {
        "PORT",
        "HOST",
        "DATABASE_PATH",
        "DATABASE_POOL_SIZE",
        "DATABASE_POOL_TIMEOUT_MS",
        "DISABLE_RATE_LIMIT",
        "RATE_LIMIT_PER_MIN",
        "HTTP_THREADS",
        "LOG_REQUESTS",
    };
    for (const char* known : k_names) {
        if (name == known) {
            return true;
        }
    }
    return name.rfind("FAULT_", 0) == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

ExitStatus decode(int status) {
    ExitStatus out;
    if (WIFEXITED(status)) {
        out.exited = true;
        out.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out.signal = WTERMSIG(status);
    }
    return out;
}

}  // namespace

int pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

BackendProcess::BackendProcess(Env env, bool wait_ready) {
    char pattern[] = "/tmp/chat-backend-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    m_dir = pattern;

    const bool fixed_port = env.count("PORT") > 0;
    for (int attempt = 1;; ++attempt) {
        if (!fixed_port) {
            env["PORT"] = std::to_string(pick_free_port());
        }
        spawn(env);
        if (!wait_ready) {
            return;
        }
        if (this->wait_ready()) {
            return;
        }
        const auto status = wait_exit(std::chrono::milliseconds(0));
        const bool port_taken = status && status->exited && status->code == 1 &&
                                stderr_text().find("cannot listen") != std::string::npos;
        if (!port_taken || fixed_port || attempt == 3) {
            FAIL("chat-backend did not become ready; stderr:\n" << stderr_text());
        }
    }
}

void BackendProcess::spawn(const Env& env) {
    std::vector<std::string> entries;
    for (char** it = environ; *it != nullptr; ++it) {
        std::string entry(*it);
        const auto name = entry.substr(0, entry.find('='));
        if (!is_backend_variable(name)) {
            entries.push_back(entry);
        }
    }
    for (const auto& [name, value] : env) {
        entries.push_back(name + "=" + value);
    }
    if (env.count("HOST") == 0) {
        entries.emplace_back("HOST=127.0.0.1");
    }
    std::vector<char*> envp;
    for (auto& entry : entries) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    const auto port_it = env.find("PORT");
    m_port = port_it != env.end() ? std::atoi(port_it->second.c_str()) : 0;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = m_dir + "/stdout.txt";
    const std::string err = m_dir + "/stderr.txt";
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string binary = CHAT_BACKEND_BINARY;
    char* argv[] = {binary.data(), nullptr};
    const int rc = posix_spawn(&m_pid, binary.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    m_reaped = false;
}

BackendProcess::~BackendProcess() {
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    // In sanitizer builds the child is instrumented too: any report it printed fails the test.
    const std::string err = stderr_text();
    const bool sanitizer_report = err.find("Sanitizer") != std::string::npos ||
                                  err.find("runtime error:") != std::string::npos;
    if (sanitizer_report) {
        UNSCOPED_INFO("chat-backend stderr:\n" << err);
    }
    CHECK_FALSE(sanitizer_report);
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
}

std::unique_ptr<httplib::Client> BackendProcess::client(bool keep_alive) const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", m_port);
    client->set_connection_timeout(std::chrono::seconds(5));
    client->set_read_timeout(std::chrono::seconds(15));
    client->set_write_timeout(std::chrono::seconds(5));
    client->set_keep_alive(keep_alive);
    client->set_tcp_nodelay(true);  // else each POST waits ~40 ms for a delayed ACK
    return client;
}

bool BackendProcess::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    httplib::Client probe("127.0.0.1", m_port);
    probe.set_connection_timeout(std::chrono::milliseconds(200));
    probe.set_read_timeout(std::chrono::seconds(2));
    while (std::chrono::steady_clock::now() < deadline) {
        if (m_reaped || wait_exit(std::chrono::milliseconds(0))) {
            return false;
        }
        if (auto res = probe.Get("/health")) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::optional<ExitStatus> BackendProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t rc = ::waitpid(m_pid, &status, WNOHANG);
        if (rc == m_pid) {
            m_reaped = true;
            return decode(status);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void BackendProcess::send_signal(int signal) const {
    REQUIRE(!m_reaped);
    REQUIRE(::kill(m_pid, signal) == 0);
}

std::string BackendProcess::stdout_text() const {
    return read_file(m_dir + "/stdout.txt");
}

std::string BackendProcess::stderr_text() const {
    return read_file(m_dir + "/stderr.txt");
}

nlohmann::json body_json(const httplib::Result& result) {
    if (!result) {
        return nullptr;
    }
    auto parsed = nlohmann::json::parse(result->body, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json() : parsed;
}

httplib::Result post_message(httplib::Client& client, const std::string& conversation,
                             const nlohmann::json& body) {
    return client.Post(messages_path(conversation).c_str(), body.dump(), "application/json");
}

std::string messages_path(const std::string& conversation, const std::string& query) {
    std::string path = "/conversations/" + conversation + "/messages";
    if (!query.empty()) {
        path += "?" + query;
    }
    return path;
}

}  // namespace chat::test
