#include "report/report_format.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace orch {

namespace {

std::string fixed(double value, int decimals) {
    return fmt::format("{:.{}f}", value, decimals);
}

// Inserts thousands separators into the integer part of a formatted number.
std::string group_thousands(const std::string& number) {
    std::size_t start = (!number.empty() && number[0] == '-') ? 1 : 0;
    std::size_t end = number.find('.');
    if (end == std::string::npos) {
        end = number.size();
    }
    std::string out = number.substr(0, start);
    for (std::size_t i = start; i < end; ++i) {
        out += number[i];
        std::size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0) {
            out += ',';
        }
    }
    out += number.substr(end);
    return out;
}

}  // namespace

std::string format_count(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    return group_thousands(fixed(std::round(value), 0));
}

std::string format_trimmed(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    std::string text = fixed(value, decimals);
    if (text.find('.') != std::string::npos) {
        while (text.back() == '0') {
            text.pop_back();
        }
        if (text.back() == '.') {
            text.pop_back();
        }
    }
    if (text == "-0") {
        text = "0";
    }
    return group_thousands(text);
}

std::string format_ms(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    if (value == 0) {
        return "0 ms";
    }
    if (std::fabs(value) < 0.95) {
        return format_significant(value) + " ms";  // sub-millisecond: 3 significant digits
    }
    if (std::fabs(value) < 99.95) {
        return fixed(value, 1) + " ms";
    }
    return format_count(value) + " ms";
}

std::string format_significant(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    if (value == 0) {
        return "0";
    }
    // Digits after the point that leave 3 significant ones; none at 100 and above.
    int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
    double rounded =
        std::round(value / std::pow(10.0, magnitude - 2)) * std::pow(10.0, magnitude - 2);
    // Rounding can carry into the next power of ten (999.6 -> 1000).
    if (rounded != 0) {
        magnitude = static_cast<int>(std::floor(std::log10(std::fabs(rounded))));
    }
    int decimals = std::max(0, 2 - magnitude);
    return format_trimmed(rounded, decimals);
}

std::string format_latency(double ms) {
    if (!std::isfinite(ms)) {
        return "n/a";
    }
    double magnitude = std::fabs(ms);
    if (magnitude != 0 && magnitude < 0.9995) {
        return format_significant(ms * 1000.0) + " \u00b5s";
    }
    if (magnitude < 999.5) {
        return format_significant(ms) + " ms";
    }
    return format_significant(ms / 1000.0) + " s";
}

std::string format_short(double value, MetricUnit unit) {
    switch (unit) {
        case MetricUnit::count:
            return format_count(value);
        case MetricUnit::per_second:
            return format_significant(value) + "/s";
        case MetricUnit::percent:
            return format_significant(value) + "%";
        case MetricUnit::milliseconds:
            return format_latency(value);
        case MetricUnit::megabytes:
            return format_significant(value) + " MB";
        case MetricUnit::number:
            return format_significant(value);
    }
    return format_significant(value);
}

std::string format_distance(const CriterionResult& result) {
    const Criterion& c = result.criterion;
    if (!result.actual || !std::isfinite(c.target)) {
        return {};
    }
    double difference = *result.actual - c.target;
    bool above = difference > 0;
    double size = std::fabs(difference);
    std::string amount = c.unit == MetricUnit::percent
                             ? format_significant(size) + " percentage points"
                             : format_short(size, c.unit);
    if (size == 0) {
        return "exactly at the target";
    }
    // "over" a ceiling, "short" of a floor; "above"/"below" for == and != targets.
    bool ceiling = c.op == CompareOp::lt || c.op == CompareOp::le;
    bool floor = c.op == CompareOp::gt || c.op == CompareOp::ge;
    if (ceiling) {
        return amount + (above ? " over" : " under");
    }
    if (floor) {
        return amount + (above ? " above" : " short");
    }
    return amount + (above ? " above" : " below");
}

std::string format_percent(double value) {
    return format_trimmed(value, 2) + "%";
}

std::string format_rate(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    return group_thousands(fixed(value, 1)) + "/s";
}

std::string format_megabytes(double value) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    return group_thousands(fixed(value, 1)) + " MB";
}

std::string format_value(double value, MetricUnit unit) {
    switch (unit) {
        case MetricUnit::count:
            return format_count(value);
        case MetricUnit::per_second:
            return format_rate(value);
        case MetricUnit::percent:
            return format_percent(value);
        case MetricUnit::milliseconds:
            return format_ms(value);
        case MetricUnit::megabytes:
            return format_megabytes(value);
        case MetricUnit::number:
            // A fraction (a prom("...") ratio such as 0.0123) keeps 3 significant digits.
            return std::fabs(value) < 1 ? format_significant(value) : format_trimmed(value, 3);
    }
    return format_trimmed(value, 3);
}

std::string format_optional(const std::optional<double>& value, MetricUnit unit,
                            std::string_view missing) {
    return value ? format_value(*value, unit) : std::string(missing);
}

std::string format_seconds(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        return "n/a";
    }
    if (seconds < 60) {
        return format_trimmed(seconds, 1) + "s";
    }
    auto total = static_cast<long long>(std::llround(seconds));
    long long hours = total / 3600;
    long long minutes = (total % 3600) / 60;
    long long rest = total % 60;
    std::string out;
    if (hours > 0) {
        out += std::to_string(hours) + "h ";
    }
    out += std::to_string(minutes) + "m";
    if (rest > 0) {
        out += " " + std::to_string(rest) + "s";
    }
    return out;
}

std::string format_target(const Criterion& criterion) {
    if (!std::isfinite(criterion.target)) {
        return "no baseline";  // a baseline criterion the baseline run had no value for
    }
    std::string value;
    // Targets read as written: "< 250 ms", not "< 250.0 ms".
    switch (criterion.unit) {
        case MetricUnit::milliseconds:
            value = format_trimmed(criterion.target, 3) + " ms";
            break;
        case MetricUnit::per_second:
            value = format_trimmed(criterion.target, 3) + "/s";
            break;
        case MetricUnit::megabytes:
            value = format_trimmed(criterion.target, 3) + " MB";
            break;
        default:
            value = format_value(criterion.target, criterion.unit);
            break;
    }
    return std::string(to_string(criterion.op)) + " " + value;
}

std::string format_actual(const CriterionResult& result) {
    if (!result.actual) {
        return "no data";
    }
    return format_value(*result.actual, result.criterion.unit);
}

std::string format_margin(const std::optional<double>& margin) {
    if (!margin || !std::isfinite(*margin) || *margin <= 0) {
        return "\u2014";
    }
    double m = *margin;
    if (std::fabs(m - 1.0) < 0.005) {
        return "at target";
    }
    // Near 1 the second decimal matters ("1.01x", not "1x"); far from it, none does.
    auto decimals = [](double factor) { return factor >= 10 ? 0 : (factor >= 1.095 ? 1 : 2); };
    if (m > 1) {
        return format_trimmed(m, decimals(m)) + "x better";
    }
    double worse = 1 / m;
    return format_trimmed(worse, decimals(worse)) + "x worse";
}

std::string_view criterion_status(const CriterionResult& result) {
    if (!result.actual) {
        return "NO DATA";
    }
    if (result.pass) {
        return "PASS";
    }
    return result.criterion.severity == Severity::warn ? "WARN" : "FAIL";
}

std::string format_load(const StageReport& stage) {
    std::string load;
    if (stage.observe) {
        load = "observe (no load)";
    } else if (!stage.rate.empty()) {
        load = stage.rate;
        if (stage.max_vus > 0) {
            load += " (max " + std::to_string(stage.max_vus) + " VUs)";
        }
    } else {
        load = std::to_string(stage.vus) + (stage.vus == 1 ? " VU" : " VUs");
    }
    if (stage.planned_duration_s > 0) {
        load += " for " + format_seconds(stage.planned_duration_s);
    }
    if (stage.traffic_percent) {
        load += fmt::format(", traffic {:g}%", *stage.traffic_percent);
    }
    return load;
}

std::string format_hook(const HookRecord& hook) {
    std::string text = hook.stage.empty() ? "run " : "stage " + hook.stage + " ";
    text += hook.kind + " [";
    for (std::size_t i = 0; i < hook.argv.size(); ++i) {
        text += (i > 0 ? " " : "") + hook.argv[i];
    }
    text += "]: ";
    text += hook.exit_code ? "exit " + std::to_string(*hook.exit_code) : hook.error;
    return text + " in " + format_seconds(hook.duration_s);
}

}  // namespace orch
