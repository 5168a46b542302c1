// Writing GitHub-flavoured Markdown safely: text from the run (stage and operation names,
// reasons, log lines) is escaped so it renders as the same text, never as markup, and a
// table cell never gains a column from a `|` in a name.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace orch::markdown {

// --- Interface ---

/// `text` as inline Markdown that renders literally: punctuation that could start markup
/// (\ ` * _ [ ] < > | ~ & $, and a leading "# ", "- ", "+ " or "1. ") is escaped, line
/// breaks and control characters become spaces, invalid UTF-8 becomes U+FFFD.
std::string escape(std::string_view text);

/// `text` as a code span, fenced with more backticks than it contains. For a table cell
/// (`in_table`), `|` is written `\|` as GFM tables require.
std::string code(std::string_view text, bool in_table);

/// `lines` as a fenced code block (fence longer than any backtick run in them).
std::string fenced_block(const std::vector<std::string>& lines, std::string_view info = "text");

enum class Align { left, right };

/// A GFM table: cells are inline Markdown (already escaped).
class Table {
  public:
    struct Column {
        std::string title;  ///< plain text; escaped when rendered
        Align align = Align::left;
    };
    explicit Table(std::vector<Column> columns) : m_columns(std::move(columns)) {}

    /// Adds a row; missing cells are empty, extra cells are dropped.
    void add_row(std::vector<std::string> cells);
    bool empty() const { return m_rows.empty(); }
    /// The table, ending with a newline.
    std::string render() const;

  private:
    std::vector<Column> m_columns;
    std::vector<std::vector<std::string>> m_rows;
};

/// The columns of a table of numbers: `names` left-aligned, then `numbers` right-aligned.
std::vector<Table::Column> number_columns(std::initializer_list<std::string_view> names,
                                          std::initializer_list<std::string_view> numbers);

}  // namespace orch::markdown
