// `stagegate serve`: reads its options and the token file, then hands over to
// orchestrator/serve/ (the service itself). Kept apart from cli.cpp so the verb stays thin.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace orch::cli {

// --- Interface ---

/// The text of `stagegate serve --help` (also in `help` and the man page).
extern const char* const k_serve_help;

/// Runs the verb; returns the exit code (0 after a SIGTERM/SIGINT stop, 2 for bad options or
/// token file, 3 when the address cannot be bound).
int cmd_serve(Context& ctx, const std::vector<std::string>& rest);

}  // namespace orch::cli
