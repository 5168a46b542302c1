#include "cli/github.hpp"

#include <fmt/format.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>

#include "core/escape_chars.hpp"
#include "core/redact.hpp"
#include "report/markup_escape.hpp"
#include "report/report_format.hpp"

namespace orch::cli {

namespace {

std::string escape(std::string_view text, bool property) {
    if (property) {
        return escape_chars(
            text, {{'%', "%25"}, {'\r', "%0D"}, {'\n', "%0A"}, {':', "%3A"}, {',', "%2C"}});
    }
    return escape_chars(text, {{'%', "%25"}, {'\r', "%0D"}, {'\n', "%0A"}});
}

// 128 random bits in hex: a heredoc delimiter no one can guess to end a value early.
std::string random_delimiter() {
    std::random_device device;
    std::string out = "ghadelimiter_";
    for (int i = 0; i < 4; ++i) {
        out += fmt::format("{:08x}", static_cast<unsigned>(device()));
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

std::string neutralize_workflow_commands(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            out += ' ';
        } else if (c == '#' && text.substr(i, 3) == "##[") {
            out += "## ";
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string neutralize_workflow_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find_first_of("\r\n", start);
        std::string line = neutralize_workflow_commands(text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start));
        // The runner trims leading white space (Unicode's too) before it looks for "::":
        // skip blanks and every non-ASCII byte, erring on the side of escaping.
        std::size_t first = 0;
        while (first < line.size() && (static_cast<unsigned char>(line[first]) <= 0x20 ||
                                       static_cast<unsigned char>(line[first]) >= 0x80)) {
            ++first;
        }
        if (line.compare(first, 2, "::") == 0) {
            line.insert(0, "\\");
        }
        out += line;
        if (end == std::string_view::npos) {
            break;
        }
        out += '\n';
        start =
            end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    }
    return out;
}

std::string github_output_entry(std::string_view key, std::string_view value) {
    if (value.find_first_of("\r\n") == std::string_view::npos) {
        return std::string(key) + "=" + std::string(value) + "\n";
    }
    std::string delimiter = random_delimiter();
    while (value.find(delimiter) != std::string_view::npos) {
        delimiter = random_delimiter();
    }
    return std::string(key) + "<<" + delimiter + "\n" + std::string(value) + "\n" + delimiter +
           "\n";
}

std::string workspace_relative(const std::string& file, const Getenv& getenv) {
    namespace fs = std::filesystem;
    std::string workspace = getenv("GITHUB_WORKSPACE").value_or("");
    if (file.empty() || workspace.empty()) {
        return file;
    }
    std::error_code ec;
    fs::path absolute = fs::weakly_canonical(fs::absolute(file, ec), ec);
    fs::path root = fs::weakly_canonical(fs::path(workspace), ec);
    if (ec) {
        return file;
    }
    fs::path relative = absolute.lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..") {
        return file;
    }
    return relative.generic_string();
}

std::string annotation_position(const std::string& file, int line, int column,
                                const Getenv& getenv) {
    if (file.empty()) {
        return {};
    }
    std::string out =
        "file=" + escape_command_property(redact(workspace_relative(file, getenv))) + ",";
    if (line > 0) {
        out += "line=" + std::to_string(line) + ",";
        if (column > 0) {
            out += "col=" + std::to_string(column) + ",";
        }
    }
    return out;
}

namespace {

// "chat.yaml:14:11", "chat.yaml" without a line, empty without a file.
std::string problem_place(const InvalidProblem& problem, std::string place) {
    if (!place.empty() && problem.line > 0) {
        place += ":" + std::to_string(problem.line) + ":" + std::to_string(problem.column);
    }
    return place;
}

/// Appends `text` to the file the variable `name` names (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT)
/// when it is set; a failure to write becomes `warning`.
void append_to_github_file(const Getenv& getenv, const std::string& name, const std::string& text,
                           std::string& warning) {
    auto path = getenv(name);
    if (!path || path->empty()) {
        return;
    }
    std::ofstream file(*path, std::ios::app);
    file << text;
    if (!file) {
        warning = "cannot append to " + name + " (" + *path + ")";
    }
}

}  // namespace

std::string publish_invalid_to_github(const std::vector<InvalidProblem>& problems,
                                      std::ostream& out, const Getenv& getenv) {
    std::string warning;
    {
        std::string text = "## stagegate: INVALID\n\nThe pipeline was not run: " +
                           std::to_string(problems.size()) + " problem" +
                           (problems.size() == 1 ? "" : "s") + ".\n\n";
        for (const auto& problem : problems) {
            // Code spans keep the Markdown (and HTML) of a path or message from rendering; a
            // backtick would end one, so it becomes a quote, and a line break a space.
            auto code = [](std::string span) {
                for (char& c : span) {
                    if (c == '`') {
                        c = '\'';
                    } else if (c == '\n' || c == '\r') {
                        c = ' ';
                    }
                }
                return "`" + span + "`";
            };
            std::string place = problem_place(problem, workspace_relative(problem.file, getenv));
            text += "- " + (place.empty() ? std::string() : code(redact(place)) + ": ") +
                    code(redact(problem.message)) + "\n";
        }
        append_to_github_file(getenv, "GITHUB_STEP_SUMMARY", redact(text) + "\n", warning);
    }
    append_to_github_file(getenv, "GITHUB_OUTPUT", github_output_entry("verdict", "INVALID"),
                          warning);
    if (getenv("GITHUB_ACTIONS").value_or("") == "true") {
        for (const auto& problem : problems) {
            out << "::error "
                << annotation_position(problem.file, problem.line, problem.column, getenv)
                << "title=" << escape_command_property("stagegate: invalid pipeline")
                << "::" << escape_command_data(redact(problem.message)) << "\n";
        }
        out.flush();
    }
    return warning;
}

std::string invalid_junit(const std::vector<InvalidProblem>& problems) {
    auto attr = [](std::string_view text) {
        return escape_markup(redact(text), MarkupContext::attribute);
    };
    std::string count = std::to_string(problems.size());
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stagegate\" tests=\"" +
        count + "\" failures=\"" + count +
        "\" errors=\"0\" time=\"0.000\">\n  <testsuite name=\"invalid\" tests=\"" + count +
        "\" failures=\"" + count + "\" errors=\"0\" skipped=\"0\" time=\"0.000\"";
    if (!problems.empty() && !problems.front().file.empty()) {
        out += " file=\"" + attr(problems.front().file) + "\"";
    }
    out += ">\n";
    for (const auto& problem : problems) {
        std::string place = problem_place(problem, problem.file);
        std::string name = place.empty() ? "pipeline" : place;
        out += "    <testcase classname=\"stagegate.invalid\" name=\"" + attr(name) +
               "\" time=\"0.000\"";
        if (!problem.file.empty()) {
            out += " file=\"" + attr(problem.file) + "\"";
        }
        if (problem.line > 0) {
            out += " line=\"" + std::to_string(problem.line) + "\"";
        }
        out +=
            ">\n      <failure message=\"" + attr(problem.message) + "\" type=\"invalid\">" +
            escape_markup(redact(place.empty() ? problem.message : place + ": " + problem.message),
                          MarkupContext::text) +
            "</failure>\n    </testcase>\n";
    }
    return out + "  </testsuite>\n</testsuites>\n";
}

std::string publish_to_github(
    const RunReport& report, const std::string& summary_markdown, const std::string& results_path,
    std::ostream& out, const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::function<std::pair<int, int>(const std::string&)>& stage_line) {
    std::string warning;
    append_to_github_file(getenv, "GITHUB_STEP_SUMMARY", redact(summary_markdown) + "\n", warning);
    append_to_github_file(
        getenv, "GITHUB_OUTPUT",
        github_output_entry("verdict", to_string(report.verdict)) +
            github_output_entry("results", results_path) +
            github_output_entry("highest-passed-stage", redact(report.highest_passed_stage)),
        warning);
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
                const std::string actual =
                    result.actual ? fmt::format("{:g}", *result.actual) : "no data";
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
                out << "::" << level << " "
                    << annotation_position(report.pipeline_file, result.criterion.line,
                                           result.criterion.column, getenv)
                    << "title=" << escape_command_property(redact(title))
                    << "::" << escape_command_data(redact(message)) << "\n";
            }
            if (stage.verdict != Verdict::pass && stage.verdict != Verdict::skipped &&
                !criterion_failed) {
                auto [line, column] =
                    stage_line ? stage_line(stage.name) : std::pair<int, int>{0, 0};
                out << "::error " << annotation_position(report.pipeline_file, line, column, getenv)
                    << "title=" << escape_command_property(redact("stagegate " + stage.name))
                    << "::" << escape_command_data(redact(stage.reason)) << "\n";
            }
        }
        out.flush();
    }
    return warning;
}

}  // namespace orch::cli
