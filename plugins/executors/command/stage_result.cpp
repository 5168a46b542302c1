// Parsing and checking mirror schemas/stage-result.schema.json by hand (there is no JSON
// Schema validator in the C++ dependencies), plus the checks a schema cannot express
// (sums, monotone percentiles); tests/schema validates the same files with ajv.
#include "plugins/executors/command/stage_result.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "core/atomic_file.hpp"

namespace orch {

namespace {

using nlohmann::json;

constexpr std::string_view k_schema_id = "stagegate.stage-result/v1";

// Percentile keys in increasing order, with the percentile each one stands for.
constexpr std::array<std::pair<std::string_view, double>, 8> k_percentile_keys = {{
    {"min", 0.0},
    {"p50", 50.0},
    {"p75", 75.0},
    {"p90", 90.0},
    {"p95", 95.0},
    {"p99", 99.0},
    {"p999", 99.9},
    {"max", 100.0},
}};

bool is_no_response_kind(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::connection_refused:
        case ErrorKind::timeout:
        case ErrorKind::connection_reset:
        case ErrorKind::connection_closed:
        case ErrorKind::dns:
        case ErrorKind::tls:
        case ErrorKind::interrupted:
        case ErrorKind::other:
            return true;
        default:
            return false;
    }
}

// Shortest text that reads back the same: 5 -> "5", 0.25 -> "0.25".
std::string number_text(double value) {
    std::array<char, 64> buffer{};
    auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return error == std::errc() ? std::string(buffer.data(), end) : std::string("?");
}

std::string brief(const json& value) {
    std::string text = value.dump();
    if (text.size() > 40) {
        text = text.substr(0, 37) + "...";
    }
    return text;
}

// Collects every problem with its JSON path.
class Checker {
  public:
    void problem(const std::string& path, const std::string& message) {
        m_problems.push_back(path.empty() ? message : path + ": " + message);
    }
    const std::vector<std::string>& problems() const { return m_problems; }

    std::optional<std::uint64_t> count(const json& value, const std::string& path) {
        if (value.is_number_unsigned()) {
            return value.get<std::uint64_t>();
        }
        if (value.is_number()) {
            double number = value.get<double>();
            if (number >= 0 && std::floor(number) == number && number < 1.8e19) {
                return static_cast<std::uint64_t>(number);
            }
        }
        problem(path, "must be a whole number >= 0 (got " + brief(value) + ")");
        return std::nullopt;
    }

    std::optional<double> milliseconds(const json& value, const std::string& path) {
        if (value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= 0) {
            return value.get<double>();
        }
        problem(path, "must be a number >= 0, in milliseconds (got " + brief(value) + ")");
        return std::nullopt;
    }

    bool object(const json& value, const std::string& path) {
        if (!value.is_object()) {
            problem(path, "must be an object (got " + brief(value) + ")");
            return false;
        }
        return true;
    }

    // Unknown keys are errors, as in the pipeline file: a typo must not be ignored.
    void known_keys(const json& object, const std::string& path,
                    std::initializer_list<std::string_view> keys) {
        for (const auto& [key, unused] : object.items()) {
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                problem(join(path, key),
                        fmt::format("unknown key (valid: {})", fmt::join(keys, ", ")));
            }
        }
    }

    static std::string join(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }

  private:
    std::vector<std::string> m_problems;
};

void read_latency(Checker& check, const json& value, const std::string& path,
                  StageResultLatency& latency) {
    if (!check.object(value, path)) {
        return;
    }
    check.known_keys(value, path, {"histogram", "percentiles"});
    const bool has_histogram = value.contains("histogram");
    const bool has_percentiles = value.contains("percentiles");
    if (has_histogram == has_percentiles) {
        check.problem(path, "give either histogram or percentiles");
        return;
    }
    if (has_histogram) {
        const std::string at = path + ".histogram";
        const json& buckets = value["histogram"];
        if (!buckets.is_array() || buckets.empty()) {
            check.problem(at, "must be a non-empty list of [upper_bound_ms, count]");
            return;
        }
        latency.form = StageResultLatency::Form::histogram;
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            const std::string item = at + "[" + std::to_string(i) + "]";
            if (!buckets[i].is_array() || buckets[i].size() != 2) {
                check.problem(item,
                              "must be [upper_bound_ms, count] (got " + brief(buckets[i]) + ")");
                continue;
            }
            auto bound = check.milliseconds(buckets[i][0], item + "[0]");
            auto n = check.count(buckets[i][1], item + "[1]");
            if (!bound || !n) {
                continue;
            }
            if (!latency.histogram.empty() && *bound <= latency.histogram.back().first) {
                check.problem(item + "[0]", "upper bounds must increase (" + brief(buckets[i][0]) +
                                                " after " +
                                                number_text(latency.histogram.back().first) + ")");
            }
            latency.histogram.emplace_back(*bound, *n);
        }
        return;
    }
    const std::string at = path + ".percentiles";
    const json& percentiles = value["percentiles"];
    if (!check.object(percentiles, at)) {
        return;
    }
    check.known_keys(percentiles, at,
                     {"min", "avg", "p50", "p75", "p90", "p95", "p99", "p999", "max"});
    latency.form = StageResultLatency::Form::percentiles;
    if (percentiles.contains("avg")) {
        latency.avg_ms = check.milliseconds(percentiles["avg"], at + ".avg");
    }
    std::string previous_key;
    for (const auto& [key, percentile] : k_percentile_keys) {
        auto it = percentiles.find(std::string(key));
        if (it == percentiles.end()) {
            continue;
        }
        auto ms = check.milliseconds(*it, Checker::join(at, std::string(key)));
        if (!ms) {
            continue;
        }
        if (!latency.percentiles.empty() && *ms < latency.percentiles.back().second) {
            check.problem(Checker::join(at, std::string(key)),
                          "is below " + previous_key + " (" + brief(*it) + " < " +
                              number_text(latency.percentiles.back().second) +
                              "): percentiles cannot decrease");
        }
        latency.percentiles.emplace_back(percentile, *ms);
        previous_key = std::string(key);
    }
    if (latency.percentiles.empty()) {
        check.problem(at, "needs at least one of min, p50, p75, p90, p95, p99, p999, max");
    }
}

void read_measurement(Checker& check, const json& value, const std::string& path, bool named,
                      StageResultOperation& out) {
    if (!check.object(value, path)) {
        return;
    }
    check.known_keys(value, path, {"name", "requests", "errors", "status_counts", "latency_ms"});
    if (named) {
        static const std::regex k_name("[A-Za-z_][A-Za-z0-9_-]*");
        auto it = value.find("name");
        if (it == value.end()) {
            check.problem(path, "missing name");
        } else if (!it->is_string() || !std::regex_match(it->get<std::string>(), k_name)) {
            check.problem(
                path + ".name",
                "must be an operation name like send or get_history (got " + brief(*it) + ")");
        } else {
            out.name = it->get<std::string>();
        }
    }
    if (auto it = value.find("requests"); it == value.end()) {
        check.problem(path, "missing requests");
    } else if (auto n = check.count(*it, path + ".requests")) {
        out.requests = *n;
    }
    if (auto it = value.find("errors"); it != value.end() && check.object(*it, path + ".errors")) {
        for (const auto& [key, count] : it->items()) {
            std::size_t kind = 1;
            while (kind < k_error_kind_count &&
                   error_kind_name(static_cast<ErrorKind>(kind)) != key) {
                ++kind;
            }
            if (kind == k_error_kind_count) {
                std::vector<std::string> valid;
                for (std::size_t k = 1; k < k_error_kind_count; ++k) {
                    valid.emplace_back(error_kind_name(static_cast<ErrorKind>(k)));
                }
                check.problem(path + ".errors." + key, fmt::format("unknown error kind (valid: {})",
                                                                   fmt::join(valid, ", ")));
            } else if (auto n = check.count(count, path + ".errors." + key)) {
                out.errors[kind] = *n;
            }
        }
    }
    if (auto it = value.find("status_counts");
        it != value.end() && check.object(*it, path + ".status_counts")) {
        static const std::regex k_status("[1-5][0-9][0-9]");
        for (const auto& [key, count] : it->items()) {
            const std::string at = path + ".status_counts." + key;
            if (!std::regex_match(key, k_status)) {
                check.problem(at, "is not an HTTP status (100-599)");
            } else if (auto n = check.count(count, at)) {
                out.status_counts.emplace_back(std::stoi(key), *n);
            }
        }
        std::sort(out.status_counts.begin(), out.status_counts.end());
    }
    if (auto it = value.find("latency_ms"); it != value.end()) {
        read_latency(check, *it, path + ".latency_ms", out.latency);
    }

    // What the schema cannot say.
    if (out.error_total() > out.requests) {
        check.problem(path + ".errors", "add up to " + std::to_string(out.error_total()) +
                                            ", more than requests (" +
                                            std::to_string(out.requests) + ")");
        return;
    }
    std::uint64_t statuses = 0;
    for (const auto& [status, n] : out.status_counts) {
        statuses += n;
    }
    if (statuses > out.requests) {
        check.problem(path + ".status_counts", "add up to " + std::to_string(statuses) +
                                                   ", more than requests (" +
                                                   std::to_string(out.requests) + ")");
    }
    const std::uint64_t answered = out.requests - out.unanswered();
    if (answered > 0 && out.latency.form == StageResultLatency::Form::none &&
        !value.contains("latency_ms")) {
        check.problem(path, "missing latency_ms (" + std::to_string(answered) +
                                " request(s) got a response: give their latency as a histogram "
                                "or percentiles)");
    }
    if (out.latency.form == StageResultLatency::Form::histogram && answered > 0) {
        std::uint64_t described = 0;
        for (const auto& [bound, n] : out.latency.histogram) {
            described += n;
        }
        if (described == 0) {
            check.problem(
                path + ".latency_ms.histogram",
                "counts no sample, but " + std::to_string(answered) + " request(s) got a response");
        }
    }
}

std::optional<std::uint64_t> optional_count(Checker& check, const json& doc, const char* key) {
    auto it = doc.find(key);
    if (it == doc.end()) {
        return std::nullopt;
    }
    return check.count(*it, key);
}

}  // namespace

std::uint64_t StageResultOperation::error_total() const {
    std::uint64_t total = 0;
    for (std::size_t kind = 1; kind < errors.size(); ++kind) {
        // Requests the generator could not send are not among `requests`.
        if (static_cast<ErrorKind>(kind) != ErrorKind::generator) {
            total += errors[kind];
        }
    }
    return total;
}

std::uint64_t StageResultOperation::unanswered() const {
    std::uint64_t total = 0;
    for (std::size_t kind = 1; kind < errors.size(); ++kind) {
        if (is_no_response_kind(static_cast<ErrorKind>(kind))) {
            total += errors[kind];
        }
    }
    return total;
}

Result<StageResult> parse_stage_result(std::string_view text, const std::string& label) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return fail(ErrorCode::infrastructure,
                    label + ": not valid JSON (a stage result is one JSON object, " +
                        std::string(k_schema_id) + ")");
    }
    Checker check;
    StageResult result;
    if (check.object(doc, "(top level)")) {
        check.known_keys(doc, "",
                         {"schema", "duration_s", "operations", "totals", "iterations", "scheduled",
                          "dropped", "tool"});
        auto schema = doc.find("schema");
        if (schema == doc.end()) {
            check.problem("schema", "missing (must be \"" + std::string(k_schema_id) + "\")");
        } else if (!schema->is_string() || schema->get<std::string>() != k_schema_id) {
            check.problem("schema", "must be \"" + std::string(k_schema_id) + "\" (got " +
                                        brief(*schema) + ")");
        }
        if (auto it = doc.find("duration_s"); it == doc.end()) {
            check.problem("duration_s", "missing (seconds the load ran)");
        } else if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
            check.problem("duration_s",
                          "must be a number of seconds >= 0 (got " + brief(*it) + ")");
        } else {
            result.duration_s = it->get<double>();
        }
        const bool has_operations = doc.contains("operations");
        const bool has_totals = doc.contains("totals");
        if (has_operations == has_totals) {
            check.problem("", has_operations ? "give operations or totals, not both"
                                             : "missing operations (or totals)");
        } else if (has_operations) {
            const json& operations = doc["operations"];
            if (!operations.is_array()) {
                check.problem("operations", "must be a list (got " + brief(operations) + ")");
            } else {
                std::set<std::string> names;
                for (std::size_t i = 0; i < operations.size(); ++i) {
                    const std::string path = "operations[" + std::to_string(i) + "]";
                    StageResultOperation operation;
                    read_measurement(check, operations[i], path, true, operation);
                    if (!operation.name.empty() && !names.insert(operation.name).second) {
                        check.problem(path + ".name",
                                      "duplicate operation \"" + operation.name + "\"");
                    }
                    result.operations.push_back(std::move(operation));
                }
            }
        } else {
            result.per_operation = false;
            StageResultOperation totals;
            read_measurement(check, doc["totals"], "totals", false, totals);
            result.operations.push_back(std::move(totals));
        }
        result.iterations = optional_count(check, doc, "iterations");
        result.scheduled = optional_count(check, doc, "scheduled");
        result.dropped = optional_count(check, doc, "dropped");
        if (auto it = doc.find("tool"); it != doc.end() && check.object(*it, "tool")) {
            result.tool = *it;
        }
    }
    if (!check.problems().empty()) {
        std::string context;
        for (const auto& problem : check.problems()) {
            context += label + ": " + problem + "\n";
        }
        std::string message = label + ": " + check.problems().front();
        if (check.problems().size() > 1) {
            message += " (and " + std::to_string(check.problems().size() - 1) + " more problem(s))";
        }
        return fail(ErrorCode::infrastructure, std::move(message), std::move(context));
    }
    return result;
}

// Read, then parse: the same two steps as the other executor's result file reader, each
// naming its own file in the error (executors do not include each other).
Result<StageResult> read_stage_result(const std::filesystem::path& path) {
    auto text = read_file(path);
    if (!text) {
        return fail(ErrorCode::infrastructure, path.string() + ": cannot be read (stage result)");
    }
    return parse_stage_result(*text, path.string());
}

}  // namespace orch
