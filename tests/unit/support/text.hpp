// Searching a rendered text: whether it contains a part, and how often.
#pragma once

#include <cstddef>
#include <string>

namespace orch::test {

/// True when `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// How often `part` occurs in `text` (overlapping occurrences count).
inline std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace orch::test
