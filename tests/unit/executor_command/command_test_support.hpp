// Helpers for the command executor tests: a scratch folder, fixture paths, a scoped
// environment variable, a pipeline, an observer that keeps what it was told, and the demo
// backend started on a free 127.0.0.1 port.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "config/pipeline.hpp"
#include "plugin/executor.hpp"
#include "process/backend_process.hpp"

namespace orch::test {

class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        m_path = std::filesystem::temp_directory_path() /
                 ("stagegate-command-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter++));
        std::filesystem::remove_all(m_path);
        std::filesystem::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
};

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

inline std::filesystem::path tools_fixture(const std::string& name) {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "tools" / name;
}

inline std::filesystem::path stage_result_fixture(const std::string& name) {
    return tools_fixture("stage-results") / name;
}

class ScopedEnv {
  public:
    ScopedEnv(std::string name, const std::string& value) : m_name(std::move(name)) {
        if (const char* old = std::getenv(m_name.c_str())) {
            m_old = old;
            m_had = true;
        }
        ::setenv(m_name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (m_had) {
            ::setenv(m_name.c_str(), m_old.c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string m_name;
    std::string m_old;
    bool m_had = false;
};

/// A command pipeline with the given operation names (declared by name only).
inline Pipeline command_pipeline(std::vector<std::string> command,
                                 const std::vector<std::string>& operations = {"send", "history"}) {
    Pipeline pipeline;
    pipeline.name = "command test";
    pipeline.target.base_url = "http://127.0.0.1:3311";
    pipeline.scenario.executor = "command";
    pipeline.scenario.command = std::move(command);
    for (std::size_t i = 0; i < operations.size(); ++i) {
        OperationSpec operation;
        operation.name = operations[i];
        RequestSpec request;
        request.name = operations[i];
        request.metric_index = static_cast<std::uint32_t>(i);
        operation.steps.push_back(request);
        pipeline.scenario.operations.push_back(operation);
    }
    return pipeline;
}

inline StageSpec closed_stage(const std::string& name, int vus, Duration duration) {
    StageSpec stage;
    stage.name = name;
    stage.vus = vus;
    stage.duration = duration;
    return stage;
}

class RecordingObserver : public StageObserver {
  public:
    void on_interval(const Interval& interval) override {
        ++calls;
        requests += interval.delta != nullptr ? interval.delta->totals().requests() : 0;
        last_elapsed_s = interval.elapsed_s;
        last_length_s = interval.length_s;
    }
    int calls = 0;
    std::uint64_t requests = 0;
    double last_elapsed_s = 0;
    double last_length_s = 0;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close).
inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// The demo backend on 127.0.0.1:<port>, healthy, stopped at scope end.
class ChatBackend {
  public:
    /// Starts CHAT_BACKEND_PATH with PORT and `env`; nullptr when it never became healthy.
    static std::unique_ptr<ChatBackend> start(
        const std::filesystem::path& log_dir,
        std::vector<std::pair<std::string, std::string>> env = {}) {
        auto backend = std::unique_ptr<ChatBackend>(new ChatBackend());
        backend->m_port = free_port();
        BackendSpec spec;
        spec.command = {CHAT_BACKEND_PATH};
        spec.env = std::move(env);
        spec.env.emplace_back("PORT", std::to_string(backend->m_port));
        spec.env.emplace_back("DISABLE_RATE_LIMIT", "true");
        spec.stop_timeout = std::chrono::seconds(5);
        auto process = BackendProcess::spawn(spec, log_dir, log_dir / "backend.log");
        if (!process) {
            return nullptr;
        }
        backend->m_process = std::move(*process);
        for (int i = 0; i < 500; ++i) {
            if (backend->get_json("/health")) {
                return backend;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return nullptr;
    }
    ~ChatBackend() {
        if (m_process) {
            m_process->stop(std::chrono::seconds(5));
        }
    }
    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    std::optional<nlohmann::json> get_json(const std::string& path) const {
        httplib::Client client("127.0.0.1", m_port);
        client.set_connection_timeout(1);
        auto response = client.Get(path.c_str());
        if (!response || response->status != 200) {
            return std::nullopt;
        }
        auto json = nlohmann::json::parse(response->body, nullptr, false);
        return json.is_discarded() ? std::nullopt : std::optional(json);
    }

  private:
    ChatBackend() = default;
    int m_port = 0;
    std::unique_ptr<BackendProcess> m_process;
};

}  // namespace orch::test
