// `stagegate completion bash|zsh|fish`: the shell completion scripts. Verbs, each verb's
// options, the values of --format and --log-level, and file names: pipelines (*.yaml,
// *.yml) for run and validate, results (*.json) for report and compare.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace orch::cli {

// --- Interface ---

/// The completion script for `shell` ("bash", "zsh" or "fish"); nullopt for another name.
std::optional<std::string> completion_script(std::string_view shell);

}  // namespace orch::cli
