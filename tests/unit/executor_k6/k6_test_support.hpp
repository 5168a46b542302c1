// Helpers for the k6 executor tests: a scratch folder, the recorded k6 fixtures, a pipeline
// with operations `send` and `history` (chat.js tags its requests with them), and an
// observer that keeps what it was told.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "plugin/executor.hpp"

namespace orch::test {

/// A fresh folder under the system temp dir, removed with everything in it at scope end.
class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        m_path =
            std::filesystem::temp_directory_path() /
            ("stagegate-k6-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
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

/// tests/fixtures/k6/<name>: real k6 v0.48.0 output (see its README.md).
inline std::filesystem::path k6_fixture(const std::string& name) {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "k6" / name;
}

/// The folder holding the `k6` test double.
inline std::filesystem::path standin_dir() {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "tools" / "k6-standin";
}

/// Sets an environment variable for the scope (tests run their cases one at a time).
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

/// A k6 pipeline whose operations are declared by name only, as a k6 pipeline does.
inline Pipeline k6_pipeline(const std::vector<std::string>& operations = {"send", "history"}) {
    Pipeline pipeline;
    pipeline.name = "k6 test";
    pipeline.target.base_url = "http://127.0.0.1:3311";
    pipeline.scenario.executor = "k6";
    pipeline.scenario.script = k6_fixture("chat.js");
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

/// Keeps every interval's numbers.
class RecordingObserver : public StageObserver {
  public:
    void on_interval(const Interval& interval) override {
        ++calls;
        requests += interval.delta != nullptr ? interval.delta->totals().requests() : 0;
        last_elapsed_s = interval.elapsed_s;
        last_active_vus = interval.active_vus;
    }
    int calls = 0;
    std::uint64_t requests = 0;
    double last_elapsed_s = 0;
    int last_active_vus = 0;
};

}  // namespace orch::test
