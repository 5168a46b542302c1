// UTF-8 repair for text that reaches reports: backend log lines, response bodies and names
// may hold invalid UTF-8, which would make the JSON writer throw and XML/HTML readers
// reject the file. Invalid bytes become U+FFFD, so the rest of the text survives.
#pragma once

#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

inline constexpr char32_t k_replacement_character = 0xFFFD;

/// Decodes `text`, calling `visit(char32_t)` for each code point. Invalid or truncated
/// sequences, overlong forms and surrogates are each reported as U+FFFD.
template <class Visit>
void for_each_code_point(std::string_view text, Visit&& visit);

/// Appends `code_point` to `out` as UTF-8.
void append_utf8(std::string& out, char32_t code_point);

/// `text` with every invalid sequence replaced by U+FFFD (valid text is returned as is).
std::string valid_utf8(std::string_view text);

// --- Inline implementations ---

template <class Visit>
void for_each_code_point(std::string_view text, Visit&& visit) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            visit(static_cast<char32_t>(lead));
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
        visit(valid ? code_point : k_replacement_character);
        i += consumed;
    }
}

}  // namespace orch
