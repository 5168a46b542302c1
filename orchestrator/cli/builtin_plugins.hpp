// Registers the executors and reporters that ship with stagegate, by their YAML/CLI names:
// one line each in builtin_plugins.def. The only place in orchestrator/ that knows plugins/
// exists.
#pragma once

#include <string>
#include <string_view>

#include "plugin/executor.hpp"
#include "plugin/reporter.hpp"

namespace orch::cli {

// --- Interface ---

const ExecutorRegistry& executors();
const ReporterRegistry& reporters();

/// `text` with every `@REPORT_FORMATS@` replaced by the registered report formats joined by
/// `separator` ("md|html|..." in a synopsis, "md html ..." in a completion word list), so help
/// and completions list a new reporter without an edit of their texts.
std::string with_report_formats(std::string_view text, std::string_view separator);

/// `text` with `@REPORT_FORMAT_LIST@` replaced by one line per registered report format,
/// "  FORMAT  summary" (the reporter's summary()), each ending in a line break.
std::string with_report_format_list(std::string_view text);

}  // namespace orch::cli
