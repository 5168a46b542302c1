#include "config/template.hpp"

#include <algorithm>

#include "core/did_you_mean.hpp"
#include "core/units.hpp"

namespace orch {

namespace {

void add_literal(Template& templ, std::string_view text) {
    if (text.empty()) {
        return;
    }
    if (!templ.segments.empty() && templ.segments.back().var < 0) {
        templ.segments.back().literal += text;
        return;
    }
    templ.segments.push_back(Template::Segment{std::string(text), -1, Template::Escaping::none});
}

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace

Result<Template> compile_template(std::string_view text,
                                  const std::vector<std::string>& variable_names,
                                  Template::Escaping escaping) {
    Template templ;
    templ.source = std::string(text);
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            add_literal(templ, text.substr(pos));
            break;
        }
        add_literal(templ, text.substr(pos, open - pos));
        std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            return fail(ErrorCode::invalid_input,
                        "unclosed \"{{\" at character " + std::to_string(open + 1) + " of \"" +
                            std::string(text) + "\" (a slot is {{name}})");
        }
        std::string_view name = trim_spaces(text.substr(open + 2, close - open - 2));
        if (name.empty()) {
            return fail(ErrorCode::invalid_input, "empty slot \"{{}}\" in \"" + std::string(text) +
                                                      "\" (a slot is {{name}})");
        }
        auto found = std::find(variable_names.begin(), variable_names.end(), name);
        if (found == variable_names.end()) {
            return fail(
                ErrorCode::invalid_input,
                "unknown variable \"{{" + std::string(name) + "}}\"" +
                    did_you_mean(name, variable_names, "known: " + join_names(variable_names)));
        }
        templ.segments.push_back(
            Template::Segment{{}, static_cast<int>(found - variable_names.begin()), escaping});
        pos = close + 2;
    }
    return templ;
}

void append_json_escaped(std::string_view value, std::string& out) {
    static constexpr char k_hex[] = "0123456789abcdef";
    for (char c : value) {
        auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20) {
                    out += "\\u00";
                    out += k_hex[byte >> 4];
                    out += k_hex[byte & 0xf];
                } else {
                    out += c;
                }
        }
    }
}

void append_url_escaped(std::string_view value, std::string& out) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    for (char c : value) {
        auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += k_hex[byte >> 4];
            out += k_hex[byte & 0xf];
        }
    }
}

void append_filled(const Template& templ, std::span<const std::string> values, std::string& out) {
    for (const auto& segment : templ.segments) {
        if (segment.var < 0) {
            out += segment.literal;
            continue;
        }
        auto index = static_cast<std::size_t>(segment.var);
        if (index >= values.size()) {
            continue;
        }
        switch (segment.escaping) {
            case Template::Escaping::none:
                out += values[index];
                break;
            case Template::Escaping::json:
                append_json_escaped(values[index], out);
                break;
            case Template::Escaping::url:
                append_url_escaped(values[index], out);
                break;
        }
    }
}

}  // namespace orch
