// The one UTF-8 decoder: checking text (the pipeline loader refuses a file that is not
// UTF-8, the criteria parser a criterion) and repairing text that reaches reports (backend
// log lines, response bodies and names may hold invalid UTF-8, which would make the JSON
// writer throw and XML/HTML readers reject the file: invalid bytes become U+FFFD).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

inline constexpr char32_t k_replacement_character = 0xFFFD;

/// Decodes `text`, calling `visit(char32_t)` for each code point. Invalid or truncated
/// sequences, overlong forms and surrogates are each reported as U+FFFD.
template <class Visit>
void for_each_code_point(std::string_view text, Visit&& visit);

/// The byte offset of the first invalid sequence of `text` (as for_each_code_point judges
/// it), or nullopt when all of it is well-formed UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool is_valid_utf8(std::string_view text) {
    return !first_invalid_utf8(text).has_value();
}

/// Appends `code_point` to `out` as UTF-8.
void append_utf8(std::string& out, char32_t code_point);

/// `text` with every invalid sequence replaced by U+FFFD (valid text is returned as is).
std::string valid_utf8(std::string_view text);

/// `text` in double quotes, cut to `limit` bytes at a UTF-8 boundary (and "..." added) so
/// an error message quoting it stays one line.
std::string quoted_line(std::string_view text, std::size_t limit = 60);

// --- Inline implementations ---

namespace utf8_detail {

/// Calls `visit(code_point, valid, offset)` for each sequence of `text`.
template <class Visit>
void decode(std::string_view text, Visit&& visit) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            visit(static_cast<char32_t>(lead), true, i);
            ++i;
            continue;
        }
        std::size_t length = 0;
        char32_t code_point = 0;
        char32_t minimum = 0;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            code_point = lead & 0x1Fu;
            minimum = 0x80;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            code_point = lead & 0x0Fu;
            minimum = 0x800;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            code_point = lead & 0x07u;
            minimum = 0x10000;
        }
        std::size_t consumed = 1;
        bool valid = length != 0;
        while (valid && consumed < length) {
            if (i + consumed >= n) {
                valid = false;
                break;
            }
            const auto next = static_cast<unsigned char>(text[i + consumed]);
            if ((next & 0xC0u) != 0x80u) {
                valid = false;
                break;
            }
            code_point = (code_point << 6) | (next & 0x3Fu);
            ++consumed;
        }
        if (valid && (code_point < minimum || code_point > 0x10FFFF ||
                      (code_point >= 0xD800 && code_point <= 0xDFFF))) {
            valid = false;
        }
        visit(valid ? code_point : k_replacement_character, valid, i);
        i += consumed;
    }
}

}  // namespace utf8_detail

template <class Visit>
void for_each_code_point(std::string_view text, Visit&& visit) {
    utf8_detail::decode(text, [&](char32_t code_point, bool, std::size_t) { visit(code_point); });
}

}  // namespace orch
