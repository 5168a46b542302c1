// What every executor that drives an external tool (k6, any command) shares around its own
// code: it keeps the pipeline, its typed config and the program prepare() resolved; a stage
// run without prepare() (tests, embedders) prepares first; and each stage runs with the
// run's output folder made absolute and created (the tool itself runs in another folder).
#pragma once

#include <filesystem>
#include <memory>
#include <stop_token>
#include <utility>

#include "plugin/executor.hpp"

namespace orch {

// --- Interface ---

template <class Config>
class ToolExecutor : public Executor {
  public:
    Result<StageRun> run_stage(const RunContext& context, const StageSpec& stage,
                               StageObserver& observer, std::stop_token stop) final {
        if (m_program.empty()) {
            ORCH_TRY(prepare(context));
        }
        std::error_code ec;
        const std::filesystem::path out_dir = std::filesystem::absolute(context.out_dir, ec);
        std::filesystem::create_directories(out_dir, ec);
        return run_tool_stage(stage, observer, std::move(stop), out_dir);
    }

  protected:
    ToolExecutor(const Pipeline& pipeline, std::shared_ptr<const Config> config)
        : m_pipeline(pipeline), m_config(std::move(config)) {}

    /// run_stage once the executor is prepared; `out_dir` is absolute and exists.
    virtual Result<StageRun> run_tool_stage(const StageSpec& stage, StageObserver& observer,
                                            std::stop_token stop,
                                            const std::filesystem::path& out_dir) = 0;

    Pipeline m_pipeline;
    std::shared_ptr<const Config> m_config;
    std::filesystem::path m_program;  ///< absolute; set by prepare(), empty before
};

/// The executor's own config of `pipeline` (executor_config), or a default one when the
/// pipeline holds none (a Pipeline built by hand).
template <class Config>
std::shared_ptr<const Config> executor_config_or_default(const Pipeline& pipeline) {
    if (auto config = executor_config<Config>(pipeline)) {
        return config;
    }
    return std::make_shared<const Config>();
}

/// The registry entry of a ToolExecutor class constructed from the pipeline.
template <class ExecutorClass>
ExecutorPlugin tool_executor_plugin(ExecutorSection section) {
    return ExecutorPlugin{std::move(section),
                          [](const Pipeline& pipeline) -> Result<std::unique_ptr<Executor>> {
                              return std::make_unique<ExecutorClass>(pipeline);
                          }};
}

}  // namespace orch
