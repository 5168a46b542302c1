#include "serve/rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

namespace orch::serve {

namespace {

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// Key segments that lead to a program stagegate would start (or to its arguments: k6's
/// extra_args could add an output that sends the results off the machine).
constexpr std::array<std::string_view, 8> k_forbidden_segments{
    "backend", "hooks", "executor", "command", "script", "binary", "env", "extra_args"};

}  // namespace

std::optional<std::string> pipeline_name_problem(std::string_view name) {
    if (name.empty()) {
        return std::string("the pipeline name is empty");
    }
    if (name.size() > 100) {
        return std::string("the pipeline name is longer than 100 characters");
    }
    if (std::isalnum(static_cast<unsigned char>(name.front())) == 0) {
        return std::string("a pipeline name starts with a letter or a digit");
    }
    if (!std::all_of(name.begin(), name.end(), name_char) ||
        name.find("..") != std::string_view::npos) {
        return std::string(
            "a pipeline name is a plain file name without .yaml: letters, digits, '.', '_', "
            "'-' (no '/', no '..')");
    }
    return std::nullopt;
}

bool plain_run_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
    });
}

Result<std::vector<std::string>> set_overrides(const nlohmann::json& set) {
    std::vector<std::string> overrides;
    if (set.is_null()) {
        return overrides;
    }
    if (!set.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "\"set\" is an object of KEY.PATH: value, e.g. {\"stages.smoke.vus\": 2}");
    }
    for (const auto& [key, value] : set.items()) {
        bool key_ok =
            !key.empty() && key.size() <= 200 && std::all_of(key.begin(), key.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
                       c == '.' || c == '[' || c == ']' || c == '*';
            });
        if (!key_ok) {
            return fail(ErrorCode::invalid_input,
                        "set key \"" + key +
                            "\" is not a KEY.PATH (letters, digits, '_', '-', '.', [N], [*])");
        }
        std::string_view rest(key);
        while (!rest.empty()) {
            std::size_t dot = rest.find('.');
            std::string_view segment = rest.substr(0, dot);
            segment = segment.substr(0, segment.find('['));
            if (std::find(k_forbidden_segments.begin(), k_forbidden_segments.end(),
                          lower(segment)) != k_forbidden_segments.end()) {
                return fail(ErrorCode::invalid_input,
                            "set key \"" + key + "\" touches \"" + std::string(segment) +
                                "\": backend, hooks, executor, command, script, binary, env and "
                                "extra_args start programs or give them arguments, and can "
                                "only be changed in the pipeline file");
            }
            rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
        }
        std::string text;
        if (value.is_string()) {
            text = value.get<std::string>();
            bool plain = text.find_first_of("\n\r") == std::string::npos &&
                         (text.empty() || std::string_view("{[&*!|>%@`'\"#").find(text.front()) ==
                                              std::string_view::npos);
            if (!plain) {
                return fail(ErrorCode::invalid_input,
                            "set value of \"" + key +
                                "\" is not a plain scalar (no leading { [ & * ! | > % @ ` ' \" "
                                "#, no line breaks)");
            }
        } else if (value.is_number() || value.is_boolean()) {
            text = value.dump();
        } else {
            return fail(ErrorCode::invalid_input,
                        "set value of \"" + key + "\" must be a string, a number or a boolean");
        }
        overrides.push_back(key + "=" + text);
    }
    return overrides;
}

bool tokens_equal(std::string_view given, std::string_view expected) {
    // Walk the expected token's length whatever `given` holds; the length difference is
    // folded in last, so a wrong length costs as much as a wrong byte.
    unsigned char diff = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    return (diff | static_cast<unsigned char>(given.size() != expected.size())) == 0 &&
           !expected.empty();
}

std::string_view verdict_for_exit(int exit_code) {
    switch (exit_code) {
        case 0:
            return "PASS";
        case 1:
            return "FAIL";
        case 4:
            return "INCONCLUSIVE";
        default:
            return "ERROR";
    }
}

std::optional<FlaggerHook> flagger_hook_from_string(std::string_view word) {
    for (FlaggerHook hook :
         {FlaggerHook::pre_rollout, FlaggerHook::rollout, FlaggerHook::confirm_promotion,
          FlaggerHook::rollback, FlaggerHook::post_rollout, FlaggerHook::event}) {
        if (to_string(hook) == word) {
            return hook;
        }
    }
    return std::nullopt;
}

std::string_view to_string(FlaggerHook hook) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (hook) {
        case FlaggerHook::pre_rollout:
            return "pre-rollout";
        case FlaggerHook::rollout:
            return "rollout";
        case FlaggerHook::confirm_promotion:
            return "confirm-promotion";
        case FlaggerHook::rollback:
            return "rollback";
        case FlaggerHook::post_rollout:
            return "post-rollout";
        case FlaggerHook::event:
            return "event";
    }
    return "rollout";
}

FlaggerAnswer flagger_answer(FlaggerHook hook, RunState state) {
    const bool failed = state == RunState::failed;
    const bool passed = state == RunState::passed;
    const bool undecided = state == RunState::queued || state == RunState::running;
    switch (hook) {
        case FlaggerHook::pre_rollout:
        case FlaggerHook::post_rollout:
        case FlaggerHook::event:
            return {200, "recorded"};
        case FlaggerHook::rollout:
            if (passed || undecided) {
                return {200, passed ? "the run passed" : "the run is still going"};
            }
            if (failed) {
                return {422, "the run did not pass: failed check"};
            }
            return {409, "no run for this checksum: send pre-rollout first"};
        case FlaggerHook::confirm_promotion:
            if (passed) {
                return {200, "the run passed: promote"};
            }
            if (failed) {
                return {422, "the run did not pass: do not promote"};
            }
            return {409, undecided ? "the run is still going: wait"
                                   : "no run for this checksum: send pre-rollout first"};
        case FlaggerHook::rollback:
            if (failed) {
                return {200, "the run did not pass: roll back"};
            }
            return {409, passed      ? "the run passed: no rollback"
                         : undecided ? "the run is still going: no rollback"
                                     : "no run for this checksum: no rollback"};
    }
    return {409, "unknown hook"};
}

Result<ListenAddress> parse_listen(std::string_view text) {
    ListenAddress address;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail(ErrorCode::invalid_input, "--listen " + std::string(text) +
                                                      ": expected [IPV6]:PORT, e.g. [::1]:8686");
        }
        address.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos || colon == 0 || text.find(':') != colon) {
            return fail(ErrorCode::invalid_input, "--listen " + std::string(text) +
                                                      ": expected ADDR:PORT, e.g. 127.0.0.1:8686");
        }
        address.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        return fail(ErrorCode::invalid_input,
                    "--listen " + std::string(text) + ": the port is a number from 0 to 65535");
    }
    address.port = std::stoi(std::string(port_text));
    if (address.port > 65535 || address.host.empty()) {
        return fail(ErrorCode::invalid_input,
                    "--listen " + std::string(text) + ": the port is a number from 0 to 65535");
    }
    return address;
}

bool is_loopback(std::string_view host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace orch::serve
