#include "core/redact.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace orch {

namespace {

std::shared_mutex& secrets_mutex() {
    static std::shared_mutex m;
    return m;
}

std::vector<std::string>& secrets() {
    static std::vector<std::string> s;
    return s;
}

}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < 3) {
        return;
    }
    std::unique_lock lock(secrets_mutex());
    auto& s = secrets();
    if (std::find(s.begin(), s.end(), secret) == s.end()) {
        s.emplace_back(secret);
        // Longest first, so a secret that contains another is replaced whole.
        std::sort(s.begin(), s.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    }
}

namespace {

std::string upper_case(std::string_view name) {
    std::string upper;
    upper.reserve(name.size());
    for (char c : name) {
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return upper;
}

bool contains_any(const std::string& upper, std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(), [&](std::string_view word) {
        return upper.find(word) != std::string::npos;
    });
}

}  // namespace

bool is_secret_variable_name(std::string_view name) {
    return contains_any(upper_case(name),
                        {"TOKEN", "SECRET", "PASSWORD", "PASS", "KEY", "AUTH", "CREDENTIAL"});
}

bool is_secret_header_name(std::string_view name) {
    std::string upper = upper_case(name);
    if (upper == "COOKIE" || upper == "SET-COOKIE") {
        return true;
    }
    // AUTH covers Authorization and Proxy-Authorization.
    return contains_any(upper,
                        {"TOKEN", "SECRET", "KEY", "AUTH", "PASSWORD", "SESSION", "CREDENTIAL"});
}

bool contains_secret(std::string_view text) {
    std::shared_lock lock(secrets_mutex());
    const auto& s = secrets();
    return std::any_of(s.begin(), s.end(), [&](const std::string& secret) {
        return text.find(secret) != std::string_view::npos;
    });
}

std::string redact(std::string_view text) {
    std::shared_lock lock(secrets_mutex());
    std::string out(text);
    for (const auto& secret : secrets()) {
        std::size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), k_redacted);
            pos += k_redacted.size();
        }
    }
    return out;
}

void clear_secrets_for_testing() {
    std::unique_lock lock(secrets_mutex());
    secrets().clear();
}

}  // namespace orch
