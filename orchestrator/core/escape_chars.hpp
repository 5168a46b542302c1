// The one loop behind the small escapers that replace single characters by fixed text: roff
// (man page), JSON pointer tokens, OpenMetrics label values, GitHub workflow commands. Each
// escaper keeps its own table next to its rules.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

struct CharEscape {
    char c;
    std::string_view replacement;
};

/// `text` with every character that `escapes` lists written as its replacement.
std::string escape_chars(std::string_view text, std::initializer_list<CharEscape> escapes);

}  // namespace orch
