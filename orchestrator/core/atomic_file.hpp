// Writes a whole file atomically: a temp file beside the target, fsync, then rename, so a
// reader (or a crash) never sees half a results.json.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// Replaces `path` with `content` atomically. Errors are infrastructure errors naming the path.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// Reads a whole file; invalid_input error naming the path when it cannot be read.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace orch
