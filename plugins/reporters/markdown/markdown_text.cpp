#include "plugins/reporters/markdown/markdown_text.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace orch::markdown {

namespace {

constexpr std::string_view k_escaped = "\\`*_[]<>|~&$";

// Longest run of backticks in `text`.
std::size_t longest_backtick_run(std::string_view text) {
    std::size_t longest = 0;
    std::size_t run = 0;
    for (char c : text) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

// Text with line breaks and control characters as spaces, and valid UTF-8.
std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for_each_code_point(text, [&](char32_t c) {
        if (c < 0x20 || c == 0x7F) {
            out += ' ';
        } else {
            append_utf8(out, c);
        }
    });
    return out;
}

}  // namespace

std::string escape(std::string_view text) {
    std::string line = one_line(text);
    // Leading spaces could make an indented code block; Markdown drops them anyway.
    line.erase(0, line.find_first_not_of(' ') == std::string::npos ? line.size()
                                                                   : line.find_first_not_of(' '));
    std::string out;
    out.reserve(line.size() + 8);
    // Block markers only matter at the start of the text and only when followed by a
    // space or the end: "# x" (heading), "- x" / "+ x" (list), "1. x" / "1) x" (ordered
    // list), "---". "1.5 ms", "-3" and "#1" stay as they are.
    auto ends_marker = [&](std::size_t at) { return at >= line.size() || line[at] == ' '; };
    std::size_t start = 0;
    std::size_t hashes = line.find_first_not_of('#');
    if (hashes == std::string::npos) {
        hashes = line.size();
    }
    std::size_t digits = line.find_first_not_of("0123456789");
    if (digits == std::string::npos) {
        digits = line.size();
    }
    if (hashes >= 1 && hashes <= 6 && ends_marker(hashes)) {
        out += '\\';
    } else if (!line.empty() && (line[0] == '-' || line[0] == '+') &&
               (ends_marker(1) || line.find_first_not_of("- ") == std::string::npos)) {
        // A list item, or a line of dashes (a thematic break or setext underline).
        out += '\\';
    } else if (digits >= 1 && digits <= 9 && digits < line.size() &&
               (line[digits] == '.' || line[digits] == ')') && ends_marker(digits + 1)) {
        out += line.substr(0, digits);
        out += '\\';
        out += line[digits];
        start = digits + 1;
    }
    for (std::size_t i = start; i < line.size(); ++i) {
        char c = line[i];
        if (k_escaped.find(c) != std::string_view::npos) {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::string code(std::string_view text, bool in_table) {
    std::string body = one_line(text);
    if (in_table) {
        std::string piped;
        for (char c : body) {
            if (c == '|') {
                piped += '\\';
            }
            piped += c;
        }
        body = std::move(piped);
    }
    std::string fence(longest_backtick_run(body) + 1, '`');
    // A space on each side keeps a leading/trailing backtick out of the fence.
    bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
    if (body.empty()) {
        body = " ";
    }
    return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string fenced_block(const std::vector<std::string>& lines, std::string_view info) {
    std::size_t longest = 0;
    std::vector<std::string> clean;
    clean.reserve(lines.size());
    for (const auto& line : lines) {
        std::string out;
        for_each_code_point(line, [&](char32_t c) {
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                append_utf8(out, k_replacement_character);
            } else {
                append_utf8(out, c);
            }
        });
        longest = std::max(longest, longest_backtick_run(out));
        clean.push_back(std::move(out));
    }
    std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::string block = fence + std::string(info) + "\n";
    for (const auto& line : clean) {
        block += line + "\n";
    }
    block += fence + "\n";
    return block;
}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(m_columns.size());
    m_rows.push_back(std::move(cells));
}

std::string Table::render() const {
    auto cell = [](const std::string& text) {
        // An empty cell still needs content between the pipes to read well in raw form.
        return text.empty() ? std::string(" ") : " " + text + " ";
    };
    std::string out = "|";
    for (const auto& column : m_columns) {
        out += cell(escape(column.title)) + "|";
    }
    out += "\n|";
    for (const auto& column : m_columns) {
        out += column.align == Align::right ? "---:|" : ":---|";
    }
    out += "\n";
    for (const auto& row : m_rows) {
        out += "|";
        for (const auto& text : row) {
            out += cell(text) + "|";
        }
        out += "\n";
    }
    return out;
}

std::vector<Table::Column> number_columns(std::initializer_list<std::string_view> names,
                                          std::initializer_list<std::string_view> numbers) {
    std::vector<Table::Column> columns;
    for (auto name : names) {
        columns.push_back({std::string(name), Align::left});
    }
    for (auto number : numbers) {
        columns.push_back({std::string(number), Align::right});
    }
    return columns;
}

}  // namespace orch::markdown
