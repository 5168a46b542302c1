// GitHub Actions integration: when GITHUB_STEP_SUMMARY / GITHUB_OUTPUT are set, the
// Markdown summary is appended and `verdict=` / `results=` / `highest-passed-stage=`
// outputs are written; each failed criterion becomes an `::error` workflow command.
// Everything that reaches a workflow command is escaped as GitHub requires.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "report/run_report.hpp"

namespace orch::cli {

// --- Interface ---

/// Escapes a workflow command's message: % CR LF.
std::string escape_command_data(std::string_view text);
/// Escapes a workflow command's property value: % CR LF : ,
std::string escape_command_property(std::string_view text);

/// Appends `summary_markdown` to $GITHUB_STEP_SUMMARY and the outputs to $GITHUB_OUTPUT
/// when those variables are set; prints `::error` annotations to `out` when GITHUB_ACTIONS
/// is "true". Returns a warning text on a write failure, else empty.
std::string publish_to_github(
    const RunReport& report, const std::string& summary_markdown, const std::string& results_path,
    std::ostream& out, const std::function<std::optional<std::string>(const std::string&)>& getenv);

}  // namespace orch::cli
