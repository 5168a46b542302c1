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
#include <utility>

#include <vector>
#include "report/run_report.hpp"

namespace orch::cli {

// --- Interface ---

/// Escapes a workflow command's message: % CR LF.
std::string escape_command_data(std::string_view text);
/// Escapes a workflow command's property value: % CR LF : ,
std::string escape_command_property(std::string_view text);

/// `text` made safe to print after a fixed prefix on one line of a job log, which a GitHub
/// runner scans for workflow commands: CR, LF and every other control character become a
/// space (so `text` cannot start a line of its own), and "##[" (the legacy command form,
/// honoured anywhere on a line) becomes "## [".
std::string neutralize_workflow_commands(std::string_view text);

/// The same for text that spans lines and whose lines may start with it (diagnostics, log
/// messages): each line (ended by LF, CRLF or a lone CR) is neutralized, and a line that would
/// start a workflow command ("::" after leading blanks) gets a leading backslash. Lines are
/// joined with LF.
std::string neutralize_workflow_lines(std::string_view text);

/// One `key=value` entry of $GITHUB_OUTPUT; a value with a line break is written as
/// `key<<DELIMITER` ... `DELIMITER` with a random delimiter the value does not contain.
std::string github_output_entry(std::string_view key, std::string_view value);

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

/// `file` as GitHub wants it in an annotation: relative to $GITHUB_WORKSPACE when it lies
/// inside it (so the annotation shows on the file's line in a pull request), else as given.
std::string workspace_relative(const std::string& file, const Getenv& getenv);

/// The position properties of an annotation, `file=F,line=L,col=C,` (escaped; each part
/// only when known), to put in front of `title=`.
std::string annotation_position(const std::string& file, int line, int column,
                                const Getenv& getenv);

/// One problem of an INVALID pipeline (a loader diagnostic, or an error without a place).
struct InvalidProblem {
    std::string file;  ///< the pipeline as named on the command line; empty: no file
    int line = 0;      ///< 1-based; 0 when the problem has no place in the file
    int column = 0;
    std::string message;  ///< "stages[1].duration: ... (try 2m)", already redacted
};

/// What an INVALID run leaves for CI: when GITHUB_STEP_SUMMARY is set, a summary listing
/// every problem at file:line:col; when GITHUB_OUTPUT is set, `verdict=INVALID`; when
/// GITHUB_ACTIONS is "true", one `::error` annotation per problem at its position.
/// Returns a warning text on a write failure, else empty.
std::string publish_invalid_to_github(const std::vector<InvalidProblem>& problems,
                                      std::ostream& out, const Getenv& getenv);

/// junit.xml for an INVALID run: one suite "invalid" with one failing testcase per problem
/// (name = its place and key path, failure text = the message, file = the pipeline).
std::string invalid_junit(const std::vector<InvalidProblem>& problems);

/// Appends `summary_markdown` to $GITHUB_STEP_SUMMARY and the outputs to $GITHUB_OUTPUT
/// when those variables are set; prints `::error` annotations to `out` when GITHUB_ACTIONS
/// is "true", each failed criterion's at its `file=`, `line=`, `col=` in the pipeline
/// (relative to $GITHUB_WORKSPACE), each failed stage's at the pipeline file. Returns a
/// warning text on a write failure, else empty.
/// `stage_line` gives a stage's {line, column} in the pipeline ({0, 0} when unknown), for
/// the annotation of a stage that failed without a failed criterion to point at.
std::string publish_to_github(
    const RunReport& report, const std::string& summary_markdown, const std::string& results_path,
    std::ostream& out, const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::function<std::pair<int, int>(const std::string&)>& stage_line = {});

}  // namespace orch::cli
