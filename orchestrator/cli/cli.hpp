// The command line: `stagegate run|validate|report|compare|schema`. cli::run takes its
// arguments, streams and environment from a Context so tests drive it in-process and
// main() stays a few lines (as k6's cmd/tests inject stdout, stderr and env).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace orch::cli {

// --- Interface ---

struct Context {
    std::vector<std::string> args;  ///< without the program name
    std::ostream& out;
    std::ostream& err;
    std::function<std::optional<std::string>(const std::string&)> getenv;
    bool stdout_is_tty = false;
};

/// Runs one command; returns the process exit code (core/exit_code.hpp).
int run(Context& context);

/// stagegate's version string ("0.1.0").
const char* version();

}  // namespace orch::cli
