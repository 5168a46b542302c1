#include "core/escape_chars.hpp"

namespace orch {

std::string escape_chars(std::string_view text, std::initializer_list<CharEscape> escapes) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const CharEscape* found = nullptr;
        for (const CharEscape& escape : escapes) {
            if (escape.c == c) {
                found = &escape;
                break;
            }
        }
        if (found != nullptr) {
            out += found->replacement;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace orch
