// `stagegate render k8s|github`: reads and checks the pipeline, then prints what runs it as
// N segments (orchestrator/render/). Thin: argument checks and printing only.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace orch::cli {

// --- Interface ---

/// `stagegate render --help`.
extern const char* const k_render_help;

/// Runs `stagegate render REST...`; exit 0 with the text on `ctx.out`, 2 on bad input.
int cmd_render(Context& ctx, const std::vector<std::string>& rest);

}  // namespace orch::cli
