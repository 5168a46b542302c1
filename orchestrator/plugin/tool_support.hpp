// Helpers for executors that drive an external tool (k6, any command): finding the
// program as the pipeline names it, the pipeline's folder, interruptible sleeps. Kept here
// so each such plugin stays small and plugins never include each other.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

/// The folder of the pipeline file (relative tool paths start there), or the current
/// folder when the pipeline has no file.
std::filesystem::path pipeline_dir(const Pipeline& pipeline);

/// `name` with a slash is a path (relative to `base_dir`); a bare name is searched in
/// PATH. nullopt when no executable file is found.
std::optional<std::filesystem::path> find_program(const std::string& name,
                                                  const std::filesystem::path& base_dir);

/// Sleeps `length`, waking early when `stop` fires.
void sleep_unless_stopped(std::stop_token stop, std::chrono::steady_clock::duration length);

/// `lines`, each followed by a newline (for error contexts built from log tails).
std::string join_lines(const std::vector<std::string>& lines);

}  // namespace orch
