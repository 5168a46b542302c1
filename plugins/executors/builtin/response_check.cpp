#include "plugins/executors/builtin/response_check.hpp"

#include <algorithm>
#include <cctype>

namespace orch::builtin {

namespace {

bool json_matches(const nlohmann::json& actual, const nlohmann::json& expected) {
    if (actual == expected) {
        return true;
    }
    // A YAML scalar may arrive as a string ("200", "true"): compare its text with the
    // actual value's JSON form.
    return expected.is_string() && !actual.is_string() &&
           actual.dump() == expected.get_ref<const std::string&>();
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace

ErrorKind status_error(const std::vector<int>& allowed, int status) noexcept {
    bool ok = allowed.empty() ? (status >= 200 && status < 400)
                              : std::find(allowed.begin(), allowed.end(), status) != allowed.end();
    if (ok) {
        return ErrorKind::none;
    }
    return error_kind_for_status(status);
}

ErrorKind judge_response(const CompiledRequest& request, int status, std::string_view body,
                         std::string_view raw_headers, const nlohmann::json* body_json) {
    ErrorKind kind = status_error(request.allowed_status, status);
    if (kind != ErrorKind::none) {
        return kind;
    }
    if (!request.expect_json.empty()) {
        if (body_json == nullptr || body_json->is_discarded()) {
            return ErrorKind::expect;
        }
        try {
            for (const auto& [pointer, expected] : request.expect_json) {
                if (!body_json->contains(pointer) ||
                    !json_matches(body_json->at(pointer), expected)) {
                    return ErrorKind::expect;
                }
            }
        } catch (const nlohmann::json::exception&) {
            return ErrorKind::expect;
        }
    }
    for (const auto& [name, expected] : request.expect_headers) {
        std::string_view value;
        if (!find_header(raw_headers, name, value) || value != expected) {
            return ErrorKind::expect;
        }
    }
    if (!request.body_contains.empty() && body.find(request.body_contains) == body.npos) {
        return ErrorKind::expect;
    }
    if (request.body_regex && !std::regex_search(body.begin(), body.end(), *request.body_regex)) {
        return ErrorKind::expect;
    }
    return ErrorKind::none;
}

std::uint64_t match_body_patterns(const std::vector<std::regex>& patterns, std::string_view body) {
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < patterns.size() && i < 64; ++i) {
        if (std::regex_search(body.begin(), body.end(), patterns[i])) {
            mask |= std::uint64_t{1} << i;
        }
    }
    return mask;
}

void capture_value(const nlohmann::json& body_json, const nlohmann::json::json_pointer& pointer,
                   std::string& out) {
    out.clear();
    if (body_json.is_discarded()) {
        return;
    }
    try {
        if (!body_json.contains(pointer)) {
            return;
        }
        const nlohmann::json& value = body_json.at(pointer);
        if (value.is_string()) {
            out = value.get_ref<const std::string&>();
        } else if (!value.is_null()) {
            out = value.dump();
        }
    } catch (const nlohmann::json::exception&) {
        out.clear();
    }
}

bool find_header(std::string_view raw_headers, std::string_view lower_name,
                 std::string_view& value) noexcept {
    std::size_t pos = 0;
    while (pos < raw_headers.size()) {
        std::size_t end = raw_headers.find('\n', pos);
        if (end == raw_headers.npos) {
            end = raw_headers.size();
        }
        std::string_view line = raw_headers.substr(pos, end - pos);
        pos = end + 1;
        std::size_t colon = line.find(':');
        if (colon == line.npos || colon != lower_name.size()) {
            continue;
        }
        bool same =
            std::equal(lower_name.begin(), lower_name.end(), line.begin(), [](char a, char b) {
                return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
            });
        if (same) {
            value = trim(line.substr(colon + 1));
            return true;
        }
    }
    return false;
}

}  // namespace orch::builtin
