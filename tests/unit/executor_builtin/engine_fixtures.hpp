// Fixtures for the builtin engine's tests: the real demo backend as a child process on a
// free port, small in-test servers for faults (slow, stalling, silent, resetting), a
// pipeline builder that compiles templates the way the loader does, and an observer that
// keeps every interval. All traffic stays on 127.0.0.1; every process and thread started
// here is stopped by its owner's destructor.
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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <httplib.h>
#pragma GCC diagnostic pop

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/pipeline.hpp"
#include "config/template.hpp"
#include "metrics/stage_metrics.hpp"
#include "plugin/executor.hpp"
#include "support/sockets.hpp"

extern char** environ;

namespace orch::test {

/// A listening socket on 127.0.0.1 (any free port); closed by the destructor.
class ListeningSocket {
  public:
    explicit ListeningSocket(int backlog = 64) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(m_fd, backlog) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        socklen_t length = sizeof(address);
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
    }
    ~ListeningSocket() { ::close(m_fd); }
    ListeningSocket(const ListeningSocket&) = delete;
    ListeningSocket& operator=(const ListeningSocket&) = delete;

    int fd() const { return m_fd; }
    int port() const { return m_port; }

  private:
    int m_fd = -1;
    int m_port = 0;
};

/// Accepts connections, reads the request, then closes with SO_LINGER 0: the client sees
/// a TCP reset instead of an answer.
class ResettingServer {
  public:
    ResettingServer() : m_thread([this] { serve(); }) {}
    ~ResettingServer() {
        m_stop = true;
        m_thread.join();
    }
    ResettingServer(const ResettingServer&) = delete;
    ResettingServer& operator=(const ResettingServer&) = delete;

    int port() const { return m_socket.port(); }
    int accepted() const { return m_accepted.load(); }

  private:
    void serve() {
        while (!m_stop) {
            pollfd listening{m_socket.fd(), POLLIN, 0};
            if (::poll(&listening, 1, 50) <= 0) {
                continue;
            }
            int client = ::accept(m_socket.fd(), nullptr, nullptr);
            if (client < 0) {
                continue;
            }
            ++m_accepted;
            pollfd readable{client, POLLIN, 0};
            if (::poll(&readable, 1, 1000) > 0) {
                char buffer[4096];
                (void)::recv(client, buffer, sizeof(buffer), 0);
            }
            linger hard{1, 0};
            ::setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
            ::close(client);
        }
    }

    ListeningSocket m_socket;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
};

/// A cpp-httplib server on 127.0.0.1 run by a thread, with a large thread pool (each
/// keep-alive connection holds one thread). `attempts()` counts requests that reached a
/// handler. Handlers may wait on `sleep_for`, which the destructor cuts short.
class TestServer {
  public:
    TestServer() {
        m_server.new_task_queue = [] { return new httplib::ThreadPool(256); };
        m_server.set_keep_alive_max_count(100000);
        m_server.set_tcp_nodelay(true);  // else Nagle + delayed ACK add 40 ms per answer
    }
    ~TestServer() { stop(); }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    /// Answers `path` (any method) with `handler`; counts the attempt first.
    void on(const std::string& path,
            std::function<void(const httplib::Request&, httplib::Response&)> handler) {
        auto wrapped = [this, handler](const httplib::Request& req, httplib::Response& res) {
            ++m_attempts;
            handler(req, res);
        };
        m_server.Get(path, wrapped);
        m_server.Post(path, wrapped);
    }

    void start() {
        m_port = m_server.bind_to_any_port("127.0.0.1");
        // bind_to_any_port already listens: connections queue until the thread accepts.
        m_thread = std::thread([this] { m_server.listen_after_bind(); });
    }

    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        if (m_thread.joinable()) {
            m_server.stop();
            m_thread.join();
        }
    }

    /// Sleeps `duration` unless the server is being stopped.
    void sleep_for(std::chrono::milliseconds duration) {
        std::unique_lock lock(m_mutex);
        m_wake.wait_for(lock, duration, [this] { return m_stopping; });
    }

    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    int attempts() const { return m_attempts.load(); }

  private:
    httplib::Server m_server;
    std::thread m_thread;
    int m_port = 0;
    std::atomic<int> m_attempts{0};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
};

/// The demo backend (CHAT_BACKEND_PATH) on a free port, with extra environment; stopped
/// with SIGTERM (then SIGKILL) by the destructor.
class ChatBackend {
  public:
    explicit ChatBackend(std::map<std::string, std::string> env = {}) {
        m_port = free_port();
        env["PORT"] = std::to_string(m_port);
        env.emplace("DISABLE_RATE_LIMIT", "true");
        std::vector<std::string> entries;
        for (char** item = environ; *item != nullptr; ++item) {
            std::string entry(*item);
            std::string name = entry.substr(0, entry.find('='));
            if (env.count(name) == 0) {
                entries.push_back(entry);
            }
        }
        for (const auto& [name, value] : env) {
            entries.push_back(name + "=" + value);
        }
        std::vector<char*> envp;
        for (auto& entry : entries) {
            envp.push_back(entry.data());
        }
        envp.push_back(nullptr);
        std::string path = CHAT_BACKEND_PATH;
        char* argv[] = {path.data(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        int spawned = posix_spawn(&m_pid, path.c_str(), &actions, nullptr, argv, envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) {
            throw std::runtime_error("cannot start " + path);
        }
        httplib::Client client("127.0.0.1", m_port);
        client.set_connection_timeout(std::chrono::milliseconds(200));
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (std::chrono::steady_clock::now() < deadline) {
            auto answer = client.Get("/health");
            if (answer && answer->status == 200) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stop();
        throw std::runtime_error("the demo backend never became healthy");
    }
    ~ChatBackend() { stop(); }
    ChatBackend(const ChatBackend&) = delete;
    ChatBackend& operator=(const ChatBackend&) = delete;

    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    /// GET /stats: {"requests_total": N, ...}
    nlohmann::json stats() const {
        httplib::Client client("127.0.0.1", m_port);
        auto answer = client.Get("/stats");
        if (!answer || answer->status != 200) {
            throw std::runtime_error("GET /stats failed");
        }
        return nlohmann::json::parse(answer->body);
    }
    std::uint64_t requests_total() const {
        return stats().at("requests_total").get<std::uint64_t>();
    }

  private:
    void stop() {
        if (m_pid <= 0) {
            return;
        }
        ::kill(m_pid, SIGTERM);
        for (int i = 0; i < 500; ++i) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }

    pid_t m_pid = -1;
    int m_port = 0;
};

/// Builds pipelines for the demo backend the way the loader would: variable names in slot
/// order (built-ins, variables, capture targets), templates compiled with their escaping,
/// metric indexes in request order.
class PipelineBuilder {
  public:
    explicit PipelineBuilder(std::string base_url) {
        m_pipeline.name = "engine test";
        m_pipeline.target.base_url = std::move(base_url);
        m_pipeline.target.timeout = std::chrono::seconds(5);
        Scenario& scenario = m_pipeline.scenario;
        scenario.variable_names = {"uuid",           "vu",     "iter", "stage", "userId",
                                   "conversationId", "cursor", "msg"};
        VariableSpec user;
        user.name = "userId";
        user.kind = VariableSpec::Kind::random_int;
        user.min = 1;
        user.max = 1000;
        VariableSpec conversation;
        conversation.name = "conversationId";
        conversation.kind = VariableSpec::Kind::one_of;
        conversation.values = {"c1", "c2", "c3", "c4"};
        scenario.variables = {user, conversation};
    }

    /// One request; `json` is the body template (JSON-escaped slots), or empty for none.
    RequestSpec request(const std::string& name, const std::string& method, const std::string& path,
                        const std::string& json = {}, std::vector<int> status = {}) {
        RequestSpec spec;
        spec.name = name;
        spec.metric_index = m_next_metric++;
        spec.method = method;
        spec.path = compile(path, Template::Escaping::url);
        if (!json.empty()) {
            spec.body = compile(json, Template::Escaping::json);
            spec.content_type = "application/json";
        }
        spec.expect.status = std::move(status);
        return spec;
    }

    void operation(RequestSpec spec, double weight = 1) {
        OperationSpec operation;
        operation.name = spec.name;
        operation.weight = weight;
        operation.steps.push_back(std::move(spec));
        m_pipeline.scenario.operations.push_back(std::move(operation));
    }

    void flow(const std::string& name, std::vector<RequestSpec> steps, double weight = 1) {
        OperationSpec operation;
        operation.name = name;
        operation.weight = weight;
        operation.is_flow = true;
        operation.steps = std::move(steps);
        m_pipeline.scenario.operations.push_back(std::move(operation));
    }

    Template compile(const std::string& text, Template::Escaping escaping) const {
        auto compiled = compile_template(text, m_pipeline.scenario.variable_names, escaping);
        if (!compiled) {
            throw std::runtime_error(compiled.error().message);
        }
        return *compiled;
    }

    Pipeline& pipeline() { return m_pipeline; }
    std::vector<std::string> operation_names() const {
        std::vector<std::string> names(m_next_metric);
        for (const auto& operation : m_pipeline.scenario.operations) {
            for (const auto& step : operation.steps) {
                names[step.metric_index] = step.name;
            }
        }
        return names;
    }

  private:
    Pipeline m_pipeline;
    std::uint32_t m_next_metric = 0;
};

inline StageSpec closed_stage(int vus, std::chrono::milliseconds duration,
                              std::chrono::milliseconds think = std::chrono::milliseconds(0)) {
    StageSpec stage;
    stage.name = "closed";
    stage.vus = vus;
    stage.duration = duration;
    stage.think_time = think;
    stage.graceful_stop = std::chrono::seconds(2);
    return stage;
}

inline StageSpec open_stage(double rate, int max_vus, std::chrono::milliseconds duration) {
    StageSpec stage;
    stage.name = "open";
    stage.rate = RateSpec{rate, rate};
    stage.max_vus = max_vus;
    stage.duration = duration;
    stage.graceful_stop = std::chrono::seconds(2);
    return stage;
}

/// Keeps every interval and the sum of their deltas.
class RecordingObserver final : public StageObserver {
  public:
    struct Seen {
        double elapsed_s = 0;
        double length_s = 0;
        int active_vus = 0;
        std::uint64_t requests = 0;
    };

    RecordingObserver(std::size_t operations, std::size_t patterns) : m_sum(operations, patterns) {}

    void on_interval(const Interval& interval) override {
        m_sum.merge(*interval.delta);
        m_seen.push_back({interval.elapsed_s, interval.length_s, interval.active_vus,
                          interval.delta->totals().requests()});
    }

    const StageMetrics& sum() const { return m_sum; }
    const std::vector<Seen>& seen() const { return m_seen; }

  private:
    StageMetrics m_sum;
    std::vector<Seen> m_seen;
};

}  // namespace orch::test
