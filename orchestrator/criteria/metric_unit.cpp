// Metric name resolution for criteria: `[OPERATION.]NAME` is checked against the request
// metric names, the pipeline's operations and body patterns, and the backend.* names, and
// mapped to the unit its values are kept in. Every rejection carries a did-you-mean or
// the list of valid choices.
#include "criteria/criterion.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/did_you_mean.hpp"
#include "core/utf8.hpp"

namespace orch {

namespace {

constexpr std::string_view k_backend_prefix = "backend.";
constexpr std::string_view k_health_prefix = "backend.health.";
constexpr std::string_view k_body_prefix = "errors.body.";

struct NamedUnit {
    std::string_view name;
    MetricUnit unit;
};

constexpr std::array<NamedUnit, 6> k_backend_metrics = {{
    {"backend.crashes", MetricUnit::count},
    {"backend.health_failures", MetricUnit::count},
    {"backend.rss_start", MetricUnit::megabytes},
    {"backend.rss_end", MetricUnit::megabytes},
    {"backend.rss_peak", MetricUnit::megabytes},
    {"backend.memory_growth", MetricUnit::percent},
}};

/// Stage-level counters: they exist only as totals, never per operation.
constexpr std::array<std::string_view, 3> k_totals_only = {"dropped", "scheduled", "iterations"};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

/// The unit of an un-prefixed request metric name, or nullopt when it is not one.
std::optional<MetricUnit> request_metric_unit(std::string_view name) {
    const auto& names = request_metric_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        return std::nullopt;
    }
    if (name == "rps") {
        return MetricUnit::per_second;
    }
    if (name == "success_rate" || name == "error_rate") {
        return MetricUnit::percent;
    }
    if (name == "requests" || name == "errors" || starts_with(name, "errors.") ||
        std::find(k_totals_only.begin(), k_totals_only.end(), name) != k_totals_only.end()) {
        return MetricUnit::count;
    }
    return MetricUnit::milliseconds;  // min avg pNN max timing.*
}

/// " (did you mean "X"?)" or " (CHOICES)", for the end of an error message. Status classes
/// are written with their prefix: errors.5xx -> errors.status_5xx.
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view choices) {
    if (starts_with(word, "errors.")) {
        std::string status = "errors.status_" + std::string(word.substr(7));
        if (std::find(candidates.begin(), candidates.end(), status) != candidates.end()) {
            return " (did you mean " + quoted_line(status) + "?)";
        }
    }
    return did_you_mean(word, candidates, choices);
}

std::vector<std::string> backend_names() {
    std::vector<std::string> names;
    for (const auto& m : k_backend_metrics) {
        names.emplace_back(m.name);
    }
    names.emplace_back("backend.health./json/pointer");
    return names;
}

/// An RFC 6901 pointer: "/" then segments in which "~" is followed by 0 or 1.
bool valid_json_pointer(std::string_view pointer) {
    if (pointer.empty() || pointer.front() != '/') {
        return false;
    }
    for (std::size_t i = 0; i < pointer.size(); ++i) {
        if (pointer[i] == '~' &&
            (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
            return false;
        }
    }
    return true;
}

Result<MetricUnit> backend_metric_unit(std::string_view metric) {
    for (const auto& m : k_backend_metrics) {
        if (m.name == metric) {
            return m.unit;
        }
    }
    if (starts_with(metric, k_health_prefix) || metric == "backend.health") {
        std::string_view pointer = metric.substr(std::min(metric.size(), k_health_prefix.size()));
        if (valid_json_pointer(pointer)) {
            return MetricUnit::number;
        }
        return fail(ErrorCode::invalid_input,
                    quoted_line(metric) + " needs a JSON pointer after \"backend.health.\" (e.g. " +
                        "backend.health./database/errors; write ~0 for ~ and ~1 for /)");
    }
    return fail(
        ErrorCode::invalid_input,
        "unknown metric " + quoted_line(metric) +
            suggestion(metric, backend_names(), "backend metrics: " + join_names(backend_names())));
}

Result<MetricUnit> body_pattern_unit(std::string_view name, std::string_view metric,
                                     const MetricCatalog& catalog) {
    std::string_view pattern = name.substr(k_body_prefix.size());
    const auto& patterns = catalog.body_patterns;
    if (std::find(patterns.begin(), patterns.end(), pattern) != patterns.end()) {
        return MetricUnit::count;
    }
    std::string choices = patterns.empty() ? "the pipeline defines no body_patterns"
                                           : "body_patterns: " + join_names(patterns);
    return fail(ErrorCode::invalid_input, "unknown body pattern " + quoted_line(pattern) + " in " +
                                              quoted_line(metric) +
                                              suggestion(pattern, patterns, choices));
}

/// Every name a criterion may use without a prefix, for did-you-mean.
std::vector<std::string> plain_names(const MetricCatalog& catalog) {
    std::vector<std::string> names = request_metric_names();
    for (const auto& pattern : catalog.body_patterns) {
        names.push_back(std::string(k_body_prefix) + pattern);
    }
    return names;
}

constexpr std::string_view k_metric_choices =
    "metrics: requests, rps, success_rate, error_rate, min, avg, p50, p75, p90, p95, p99, "
    "p999, max, errors, errors.KIND, errors.body.PATTERN, timing.PHASE, backend.*";

/// NAME after an operation prefix (`metric` is the whole name, for messages).
Result<MetricUnit> operation_metric_unit(std::string_view name, std::string_view metric,
                                         const MetricCatalog& catalog) {
    if (starts_with(name, k_backend_prefix)) {
        return fail(ErrorCode::invalid_input,
                    quoted_line(metric) + ": backend metrics take no operation prefix (write " +
                        quoted_line(name) + ")");
    }
    if (std::find(k_totals_only.begin(), k_totals_only.end(), name) != k_totals_only.end()) {
        return fail(ErrorCode::invalid_input, quoted_line(metric) + ": " + std::string(name) +
                                                  " is counted for the whole stage only (write " +
                                                  quoted_line(name) + ")");
    }
    if (auto unit = request_metric_unit(name)) {
        return *unit;
    }
    if (starts_with(name, k_body_prefix)) {
        return body_pattern_unit(name, metric, catalog);
    }
    return fail(ErrorCode::invalid_input,
                "unknown metric " + quoted_line(name) + " in " + quoted_line(metric) +
                    suggestion(name, plain_names(catalog), k_metric_choices));
}

}  // namespace

Result<MetricUnit> metric_unit(std::string_view metric, const MetricCatalog& catalog) {
    if (starts_with(metric, k_backend_prefix) || metric == "backend") {
        return backend_metric_unit(metric);
    }
    if (auto unit = request_metric_unit(metric)) {
        return *unit;
    }
    if (starts_with(metric, k_body_prefix)) {
        return body_pattern_unit(metric, metric, catalog);
    }
    // The longest operation that prefixes the name (operation names may contain dots).
    std::string_view operation;
    for (const auto& op : catalog.operations) {
        if (op.size() > operation.size() && metric.size() > op.size() && starts_with(metric, op) &&
            metric[op.size()] == '.') {
            operation = op;
        }
    }
    if (!operation.empty()) {
        return operation_metric_unit(metric.substr(operation.size() + 1), metric, catalog);
    }
    if (std::find(catalog.operations.begin(), catalog.operations.end(), metric) !=
        catalog.operations.end()) {
        return fail(ErrorCode::invalid_input,
                    quoted_line(metric) + " is an operation: name one of its metrics, e.g. " +
                        std::string(metric) + ".p95 or " + std::string(metric) + ".error_rate");
    }
    std::size_t dot = metric.find('.');
    std::string_view head = metric.substr(0, dot);
    if (dot != std::string_view::npos && head != "errors" && head != "timing") {
        std::string choices = catalog.operations.empty()
                                  ? "the pipeline defines no operations"
                                  : "operations: " + join_names(catalog.operations);
        return fail(ErrorCode::invalid_input, "unknown operation " + quoted_line(head) + " in " +
                                                  quoted_line(metric) +
                                                  suggestion(head, catalog.operations, choices));
    }
    return fail(ErrorCode::invalid_input,
                "unknown metric " + quoted_line(metric) +
                    suggestion(metric, plain_names(catalog), k_metric_choices));
}

}  // namespace orch
