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
#include "plugins/executors/command/command_config.hpp"
#include "process/backend_process.hpp"
#include "support/env.hpp"
#include "support/files.hpp"
#include "support/sockets.hpp"

namespace orch::test {

inline std::filesystem::path tools_fixture(const std::string& name) {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "tools" / name;
}

inline std::filesystem::path stage_result_fixture(const std::string& name) {
    return tools_fixture("stage-results") / name;
}

/// A command pipeline with the given operation names (declared by name only).
inline Pipeline command_pipeline(std::vector<std::string> command,
                                 const std::vector<std::string>& operations = {"send", "history"}) {
    Pipeline pipeline;
    pipeline.name = "command test";
    pipeline.target.base_url = "http://127.0.0.1:3311";
    pipeline.scenario.executor = "command";
    auto config = std::make_shared<CommandConfig>();
    config->command = std::move(command);
    pipeline.scenario.executor_config = std::move(config);
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
