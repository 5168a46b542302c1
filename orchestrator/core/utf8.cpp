#include "core/utf8.hpp"

namespace orch {

void append_utf8(std::string& out, char32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    std::optional<std::size_t> first;
    utf8_detail::decode(text, [&](char32_t, bool valid, std::size_t offset) {
        if (!valid && !first) {
            first = offset;
        }
    });
    return first;
}

std::string quoted_line(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return "\"" + std::string(text) + "\"";
    }
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
        --cut;
    }
    return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for_each_code_point(text, [&](char32_t c) { append_utf8(out, c); });
    return out;
}

}  // namespace orch
