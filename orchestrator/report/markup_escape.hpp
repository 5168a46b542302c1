// Escaping text for XML (junit.xml) and HTML (report.html). Besides & < > " ', characters
// that XML 1.0 forbids (control characters such as \x01, lone surrogates, U+FFFE/FFFF)
// and invalid UTF-8 become U+FFFD, so a hostile stage name or log line can neither break
// the document nor make a strict parser reject it.
#pragma once

#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

enum class MarkupContext {
    text,       ///< element content: tab and line breaks are kept
    attribute,  ///< attribute value: tab and line breaks become &#9; &#10; &#13;
};

/// `text` escaped for XML 1.0 and HTML in `context`.
std::string escape_markup(std::string_view text, MarkupContext context = MarkupContext::text);

}  // namespace orch
