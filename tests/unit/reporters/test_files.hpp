// Helpers for tests that run real tools: whether a tool is installed, and running a shell
// command with its output captured. The file helpers come from support/files.hpp.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/files.hpp"

namespace orch::testing {

using test::slurp;
using test::TempDir;
using test::write_text;

/// True when `tool` is on PATH.
inline bool have_tool(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

struct CommandResult {
    int exit_code = -1;
    std::string output;  ///< stdout and stderr
};

/// Runs `command` through /bin/sh, capturing stdout and stderr.
inline CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.output.append(buffer, n);
    }
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// `path` quoted for /bin/sh.
inline std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

/// Golden-file check: `actual` must equal the file tests/fixtures/golden/`name`. With
/// STAGEGATE_UPDATE_GOLDEN=1 in the environment the file is (re)written instead, for a
/// person to review in the diff.
inline bool matches_golden(const std::string& name, const std::string& actual) {
    std::filesystem::path path = std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "golden" / name;
    const char* update = std::getenv("STAGEGATE_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << actual;
        return true;
    }
    if (!std::filesystem::exists(path)) {
        return false;
    }
    return slurp(path) == actual;
}

}  // namespace orch::testing
