#include "config/interpolate.hpp"

#include "core/redact.hpp"

namespace orch {

namespace {

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

}  // namespace

Result<std::string> interpolate(std::string_view text, const EnvLookup& lookup) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        if (text.substr(i, 3) == "$${") {
            out += "${";
            i += 3;
            continue;
        }
        if (text.substr(i, 2) != "${") {
            out += text[i++];
            continue;
        }
        std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            return fail(ErrorCode::invalid_input,
                        "unclosed \"${\" (write ${NAME} or ${NAME:-default}, or $${ for a "
                        "literal ${)");
        }
        std::string_view inside = text.substr(i + 2, close - i - 2);
        std::size_t name_end = 0;
        while (name_end < inside.size() && is_name_char(inside[name_end])) {
            ++name_end;
        }
        std::string name(inside.substr(0, name_end));
        std::string_view rest = inside.substr(name_end);
        if (name.empty() || !is_name_start(name[0])) {
            return fail(ErrorCode::invalid_input,
                        "\"${" + std::string(inside) +
                            "}\" is not a variable (write ${NAME} or ${NAME:-default})");
        }
        std::optional<std::string> fallback;
        if (rest.substr(0, 2) == ":-") {
            fallback = std::string(rest.substr(2));
        } else if (!rest.empty()) {
            return fail(ErrorCode::invalid_input, "\"${" + std::string(inside) +
                                                      "}\" is not a variable (write ${" + name +
                                                      "} or ${" + name + ":-default})");
        }
        std::optional<std::string> value = lookup ? lookup(name) : std::nullopt;
        if (value && !value->empty()) {
            if (is_secret_variable_name(name)) {
                register_secret(*value);
            }
            out += *value;
        } else if (fallback) {
            out += *fallback;
        } else if (value) {
            out += *value;  // set but empty, no default: empty, as the shell does
        } else {
            return fail(
                ErrorCode::invalid_input,
                "${" + name + "} is not set (set it, or give a default: ${" + name + ":-value})");
        }
        i = close + 1;
    }
    return out;
}

bool has_interpolation(std::string_view text) {
    for (std::size_t i = text.find("${"); i != std::string_view::npos; i = text.find("${", i + 1)) {
        if (i == 0 || text[i - 1] != '$') {
            return true;
        }
    }
    return false;
}

}  // namespace orch
