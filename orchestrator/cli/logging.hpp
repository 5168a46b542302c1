// spdlog set-up: stagegate.log in the output folder (everything at --log-level) and stderr
// (warnings and errors only, so the console stays readable). Every line passes through
// orch::redact first: a secret cannot reach a log.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace orch::cli {

// --- Interface ---

/// Parses "trace|debug|info|warn|error"; invalid_input otherwise.
Result<int> parse_log_level(const std::string& text);

/// Installs the default logger; `log_file` may be empty (stderr only).
void setup_logging(const std::filesystem::path& log_file, int level);

}  // namespace orch::cli
