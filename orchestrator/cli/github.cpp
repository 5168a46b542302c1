#include "cli/github.hpp"

#include <cstdio>
#include <fstream>
#include <ostream>

#include "core/redact.hpp"
#include "report/report_format.hpp"

namespace orch::cli {

namespace {

std::string escape(std::string_view text, bool property) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            case ':':
                out += property ? "%3A" : ":";
                break;
            case ',':
                out += property ? "%2C" : ",";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// A GITHUB_OUTPUT value on one line: newlines would start a new output.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) {
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out;
}

}  // namespace

std::string escape_command_data(std::string_view text) {
    return escape(text, false);
}
std::string escape_command_property(std::string_view text) {
    return escape(text, true);
}

std::string publish_to_github(
    const RunReport& report, const std::string& summary_markdown, const std::string& results_path,
    std::ostream& out,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
    std::string warning;
    if (auto path = getenv("GITHUB_STEP_SUMMARY"); path && !path->empty()) {
        std::ofstream summary(*path, std::ios::app);
        summary << redact(summary_markdown) << "\n";
        if (!summary) {
            warning = "cannot append to GITHUB_STEP_SUMMARY (" + *path + ")";
        }
    }
    if (auto path = getenv("GITHUB_OUTPUT"); path && !path->empty()) {
        std::ofstream outputs(*path, std::ios::app);
        outputs << "verdict=" << to_string(report.verdict) << "\n"
                << "results=" << one_line(results_path) << "\n"
                << "highest-passed-stage=" << one_line(redact(report.highest_passed_stage)) << "\n";
        if (!outputs) {
            warning = "cannot append to GITHUB_OUTPUT (" + *path + ")";
        }
    }
    if (getenv("GITHUB_ACTIONS").value_or("") == "true") {
        for (const auto& stage : report.stages) {
            bool criterion_failed = false;
            for (const auto& result : stage.criteria) {
                if (result.pass || result.note == "not run" || stage.verdict == Verdict::skipped) {
                    continue;
                }
                criterion_failed = criterion_failed || result.criterion.severity == Severity::fail;
                const char* level =
                    result.criterion.severity == Severity::warn ? "warning" : "error";
                char actual[64] = "no data";
                if (result.actual) {
                    std::snprintf(actual, sizeof actual, "%g", *result.actual);
                }
                std::string title = "stagegate " + stage.name + ": " + result.criterion.name;
                std::string message = "stage " + stage.name + ": " + result.criterion.expr +
                                      " missed (actual " + actual +
                                      std::string(unit_label(result.criterion.unit));
                if (result.criterion.relative) {
                    message += result.criterion.baseline
                                   ? ", target " + format_target(result.criterion)
                                   : ", " + result.note;
                }
                message += ")";
                out << "::" << level << " title=" << escape_command_property(redact(title))
                    << "::" << escape_command_data(redact(message)) << "\n";
            }
            if (stage.verdict != Verdict::pass && stage.verdict != Verdict::skipped &&
                !criterion_failed) {
                out << "::error title="
                    << escape_command_property(redact("stagegate " + stage.name))
                    << "::" << escape_command_data(redact(stage.reason)) << "\n";
            }
        }
        out.flush();
    }
    return warning;
}

}  // namespace orch::cli
