#include "report/markup_escape.hpp"

#include "core/utf8.hpp"

namespace orch {

namespace {

// XML 1.0: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// DEL and C1 controls are legal XML but invisible trouble in HTML: replaced as well.
bool allowed(char32_t c) {
    if (c == 0x9 || c == 0xA || c == 0xD) {
        return true;
    }
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
        return false;
    }
    if (c >= 0xD800 && c <= 0xDFFF) {
        return false;
    }
    return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF;
}

}  // namespace

std::string escape_markup(std::string_view text, MarkupContext context) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    const bool attribute = context == MarkupContext::attribute;
    for_each_code_point(text, [&](char32_t c) {
        switch (c) {
            case '&':
                out += "&amp;";
                return;
            case '<':
                out += "&lt;";
                return;
            case '>':
                out += "&gt;";
                return;
            case '"':
                out += "&quot;";
                return;
            case '\'':
                out += "&#39;";
                return;
            case '\t':
                out += attribute ? "&#9;" : "\t";
                return;
            case '\n':
                out += attribute ? "&#10;" : "\n";
                return;
            case '\r':
                out += "&#13;";
                return;
            default:
                break;
        }
        append_utf8(out, allowed(c) ? c : k_replacement_character);
    });
    return out;
}

}  // namespace orch
