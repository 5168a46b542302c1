#include "core/units.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace orch {

namespace {

struct UnitInfo {
    std::string_view name;
    double micros;
};

constexpr UnitInfo k_units[] = {{"h", 3600e6}, {"m", 60e6}, {"s", 1e6}, {"ms", 1e3}, {"us", 1.0}};

int unit_index(std::string_view unit) {
    for (int i = 0; i < 5; ++i) {
        if (k_units[i].name == unit) {
            return i;
        }
    }
    return -1;
}

std::string trim(std::string_view text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) {
        ++b;
    }
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) {
        --e;
    }
    return std::string(text.substr(b, e - b));
}

tl::unexpected<Error> not_a_duration(std::string_view text, std::string_view hint) {
    std::string message = "\"" + std::string(text) + "\" is not a duration";
    if (!hint.empty()) {
        message += " (try " + std::string(hint) + ")";
    } else {
        message += " (use a number with a unit: 250ms, 30s, 2m, 1h30m)";
    }
    return fail(ErrorCode::invalid_input, message);
}

}  // namespace

Result<Duration> parse_duration(std::string_view raw) {
    std::string text = trim(raw);
    if (text.empty()) {
        return not_a_duration(raw, "");
    }
    // Hints for the common mistakes: a bare number, "2 min", "30sec".
    std::string squeezed;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            squeezed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    double total = 0;
    int last_unit = -1;
    std::size_t i = 0;
    bool bare_number_only = true;
    std::string first_number;
    while (i < text.size()) {
        std::size_t start = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
            ++i;
        }
        std::string number = text.substr(start, i - start);
        if (number.empty() || std::count(number.begin(), number.end(), '.') > 1) {
            return not_a_duration(raw, "");
        }
        if (first_number.empty()) {
            first_number = number;
        }
        std::size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
            ++i;
        }
        std::string unit = text.substr(unit_start, i - unit_start);
        if (unit.empty()) {
            if (i < text.size() || !bare_number_only || last_unit >= 0) {
                // "2 min" and friends.
                std::string hint;
                std::string rest = trim(std::string_view(text).substr(i));
                std::string lower;
                for (char c : rest) {
                    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                if (lower.rfind("min", 0) == 0) {
                    hint = number + "m";
                } else if (lower.rfind("sec", 0) == 0 || lower == "s") {
                    hint = number + "s";
                } else if (lower.rfind("ms", 0) == 0 || lower.rfind("milli", 0) == 0) {
                    hint = number + "ms";
                } else if (lower.rfind("h", 0) == 0) {
                    hint = number + "h";
                }
                return not_a_duration(raw, hint);
            }
            return not_a_duration(raw, number + "s");
        }
        bare_number_only = false;
        int idx = unit_index(unit);
        if (idx < 0) {
            std::string lower;
            for (char c : unit) {
                lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            std::string hint;
            if (lower.rfind("min", 0) == 0) {
                hint = number + "m";
            } else if (lower.rfind("sec", 0) == 0 || lower == "S") {
                hint = number + "s";
            } else if (lower.rfind("hour", 0) == 0 || lower == "hr" || lower == "hrs") {
                hint = number + "h";
            } else if (lower == "msec" || lower.rfind("milli", 0) == 0) {
                hint = number + "ms";
            } else if (unit_index(lower) >= 0) {
                hint = number + lower;
            }
            return not_a_duration(raw, hint);
        }
        if (last_unit >= idx) {
            return fail(ErrorCode::invalid_input,
                        "\"" + std::string(raw) +
                            "\" is not a duration (units go from largest to smallest, e.g. 1h30m)");
        }
        last_unit = idx;
        char* end = nullptr;
        double value = std::strtod(number.c_str(), &end);  // never throws, unlike std::stod
        if (end == number.c_str() || *end != '\0') {
            return not_a_duration(raw, "");
        }
        total += value * k_units[idx].micros;
    }
    if (!std::isfinite(total) || total > 3.1536e13 /* a year */) {
        return fail(ErrorCode::invalid_input,
                    "\"" + std::string(raw) + "\" is too long a duration (at most 8760h)");
    }
    return Duration(static_cast<std::int64_t>(std::llround(total)));
}

std::string format_duration(Duration duration) {
    std::int64_t us = duration.count();
    if (us == 0) {
        return "0s";
    }
    std::string out;
    if (us < 0) {
        out = "-";
        us = -us;
    }
    if (us % 1000 != 0) {
        if (us < 1000) {
            return out + std::to_string(us) + "us";
        }
        return out + fmt::format("{:.3g}ms", static_cast<double>(us) / 1000.0);
    }
    std::int64_t ms = us / 1000;
    if (ms < 1000) {
        return out + std::to_string(ms) + "ms";
    }
    if (ms % 1000 != 0) {
        return out + fmt::format("{:g}s", static_cast<double>(ms) / 1000.0);
    }
    std::int64_t s = ms / 1000;
    std::int64_t h = s / 3600;
    std::int64_t m = (s % 3600) / 60;
    std::int64_t sec = s % 60;
    if (h > 0) {
        out += std::to_string(h) + "h";
    }
    if (m > 0) {
        out += std::to_string(m) + "m";
    }
    if (sec > 0) {
        out += std::to_string(sec) + "s";
    }
    return out;
}

Result<std::uint64_t> parse_size(std::string_view text) {
    const std::string shown(text);
    std::size_t i = 0;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) {
        ++i;
    }
    const std::string number(text.substr(0, i));
    std::string unit(text.substr(i));
    for (char& c : unit) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    double value = 0;
    bool numeric = !number.empty() && number.front() != '.' &&
                   std::count(number.begin(), number.end(), '.') <= 1;
    if (numeric) {
        char* end = nullptr;
        value = std::strtod(number.c_str(), &end);
        numeric = end != nullptr && *end == '\0';
    }
    if (!numeric) {
        return fail(ErrorCode::invalid_input,
                    "\"" + shown + "\" is not a size (write a number and a unit: 64MiB, 10MB)");
    }
    double scale = 0;
    if (unit == "B") {
        scale = 1;
    } else if (unit == "KB" || unit == "KIB") {
        scale = 1024.0;
    } else if (unit == "MB" || unit == "MIB") {
        scale = 1024.0 * 1024.0;
    } else if (unit == "GB" || unit == "GIB") {
        scale = 1024.0 * 1024.0 * 1024.0;
    }
    if (scale == 0) {
        return fail(ErrorCode::invalid_input,
                    "\"" + shown + "\" is not a size (" +
                        (unit.empty() ? "a bare number has no unit: try " + number + "MiB"
                                      : "unit " + std::string(text.substr(i)) +
                                            " is not one of B, KB, KiB, MB, MiB, GB, GiB") +
                        ")");
    }
    double bytes = value * scale;
    if (bytes > 1e18) {
        return fail(ErrorCode::invalid_input, "\"" + shown + "\" is too large");
    }
    return static_cast<std::uint64_t>(bytes);
}

}  // namespace orch
