// The manual page stagegate(1), in roff, built from the same help texts `stagegate help`
// prints, so the two cannot drift apart. The build writes it with `stagegate help --man`
// and installs it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orch::cli {

// --- Interface ---

/// stagegate(1): `usage` as the synopsis, then one subsection per `verbs` entry
/// (name, help text), then exit status, environment and files. Plain text is escaped for
/// roff (backslashes, leading dots and quotes, hyphens).
std::string man_page(std::string_view version, std::string_view usage,
                     const std::vector<std::pair<std::string_view, std::string_view>>& verbs);

}  // namespace orch::cli
