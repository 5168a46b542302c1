// The pipeline v1 loader: YAML text -> a validated Pipeline (SPEC "Pipeline v1").
// It reports every problem in the file at once, each with `file:line:column` and the key
// path, applies `--set` overrides and `${VAR}` interpolation first, and compiles `{{name}}`
// templates and criteria, so a Pipeline that loads is ready to run.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"
#include "core/result.hpp"

namespace orch {

// --- Interface ---

struct LoadOptions {
    /// `--set KEY.PATH=VALUE` texts, applied in order to the YAML tree before validation.
    /// KEY.PATH is dot-separated map keys; a list is indexed by `[N]`, by `[*]` (every
    /// element) or by the `name:` of an element (`stages.smoke.duration=5s`). VALUE is read
    /// as a YAML scalar or flow value. Missing map keys are created.
    std::vector<std::string> overrides;
    /// Looks `${VAR}` up; when empty, the process environment (::getenv).
    std::function<std::optional<std::string>(const std::string&)> getenv;
    /// `--time-scale F` (0 < F <= 100): multiplies every stage's duration, ramp_up,
    /// ramp_down and cooldown (and defaults.cooldown) once the pipeline is valid, so the
    /// run keeps its shape. Not scaled: think_time (it sets each VU's request rate),
    /// timeouts, health intervals and criteria windows (`over 10s`).
    double time_scale = 1.0;
    /// The executors the pipeline may name, each with its own `scenario:` keys (the CLI
    /// passes its registry's, plugin/executor.hpp); null: default_executor_sections().
    const ExecutorSections* executors = nullptr;
};

/// Checks a `--time-scale` value: a number in (0, 100].
Result<double> parse_time_scale(std::string_view text);

/// One problem in a pipeline.
struct Diagnostic {
    std::string file;     ///< the file as named to the loader, or "--set"
    SourcePos pos;        ///< 1-based; line 0 for problems without a place in the file
    std::string path;     ///< key path: "stages[1].duration", "target.headers.Authorization"
    std::string message;  ///< already redacted: never holds a secret

    /// `chat.yaml:14:11: stages[1].duration: "2 min" is not a duration (try 2m)`; without a
    /// position `FILE: PATH: MESSAGE`, without a path `FILE:LINE:COLUMN: MESSAGE`.
    std::string format() const;
};

/// Every problem found, sorted by position (problems without a position first).
struct LoadFailure {
    std::vector<Diagnostic> problems;
};

/// Loads and validates the pipeline in `file`. On failure: Error{invalid_input,
/// "<file>: N problem(s)", context = one formatted Diagnostic per line}.
Result<Pipeline> load_pipeline(const std::filesystem::path& file, const LoadOptions& options = {});

/// As load_pipeline, from text; `file_label` names it in diagnostics and Pipeline::file, and
/// its folder is the base for relative `cwd:` and `script:` paths.
Result<Pipeline> load_pipeline_text(std::string_view yaml, const std::string& file_label,
                                    const LoadOptions& options = {});

/// As load_pipeline, keeping the diagnostics apart (tests, `stagegate validate`).
tl::expected<Pipeline, LoadFailure> load_pipeline_diagnostics(const std::filesystem::path& file,
                                                              const LoadOptions& options = {});

/// As load_pipeline_text, keeping the diagnostics apart.
tl::expected<Pipeline, LoadFailure> load_pipeline_text_diagnostics(std::string_view yaml,
                                                                   const std::string& file_label,
                                                                   const LoadOptions& options = {});

/// The Error load_pipeline returns for `failure` of the file `file_label`.
Error to_error(const LoadFailure& failure, const std::string& file_label);

}  // namespace orch
