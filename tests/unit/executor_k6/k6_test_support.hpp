// Helpers for the k6 executor tests: a scratch folder, the recorded k6 fixtures, a pipeline
// with operations `send` and `history` (chat.js tags its requests with them), and an
// observer that keeps what it was told.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "plugin/executor.hpp"
#include "plugins/executors/k6/k6_config.hpp"
#include "support/env.hpp"
#include "support/files.hpp"

namespace orch::test {

/// tests/fixtures/k6/<name>: real k6 v0.48.0 output (see its README.md).
inline std::filesystem::path k6_fixture(const std::string& name) {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "k6" / name;
}

/// The folder holding the `k6` test double.
inline std::filesystem::path standin_dir() {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "tools" / "k6-standin";
}

/// Changes the K6Config of `pipeline` (the loader makes it from scenario.script etc.).
template <typename Edit>
void edit_k6(Pipeline& pipeline, Edit edit) {
    auto config = std::make_shared<K6Config>(*k6_config(pipeline));
    edit(*config);
    pipeline.scenario.executor_config = std::move(config);
}

/// A k6 pipeline whose operations are declared by name only, as a k6 pipeline does.
inline Pipeline k6_pipeline(const std::vector<std::string>& operations = {"send", "history"}) {
    Pipeline pipeline;
    pipeline.name = "k6 test";
    pipeline.target.base_url = "http://127.0.0.1:3311";
    pipeline.scenario.executor = "k6";
    edit_k6(pipeline, [](K6Config& k6) { k6.script = k6_fixture("chat.js"); });
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
