// What every verb (run, validate, report, compare, merge, serve, render) does first: parse
// its arguments, answer --help, and refuse a wrong command line with exit 2.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/args.hpp"
#include "cli/cli.hpp"

namespace orch::cli {

// --- Interface ---

/// "stagegate: MESSAGE" on stderr (its lines kept); returns exit 2 (INVALID).
int invalid(Context& ctx, const std::string& message);

/// The verb's arguments parsed by `spec`, or the exit code when the verb is done already:
/// --help printed `help` (0), or the arguments were wrong (2, said on stderr).
tl::expected<ParsedArgs, int> verb_args(Context& ctx, const std::vector<std::string>& rest,
                                        const ArgSpec& spec, const std::string& verb,
                                        std::string_view help);

}  // namespace orch::cli
