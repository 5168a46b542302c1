#include "plugins/executors/k6/k6_summary.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/atomic_file.hpp"

namespace orch {

namespace {

using nlohmann::json;

// A metric's values: the object itself (summary export) or its `values` (handleSummary).
const json* metric_values(const json& metrics, const char* name) {
    auto it = metrics.find(name);
    if (it == metrics.end() || !it->is_object()) {
        return nullptr;
    }
    if (auto values = it->find("values"); values != it->end() && values->is_object()) {
        return &*values;
    }
    return &*it;
}

std::optional<double> number_at(const json* values, const char* key) {
    if (values == nullptr) {
        return std::nullopt;
    }
    auto it = values->find(key);
    if (it == values->end() || !it->is_number()) {
        return std::nullopt;
    }
    return it->get<double>();
}

std::optional<std::uint64_t> count_at(const json* values, const char* key) {
    auto value = number_at(values, key);
    if (!value || *value < 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(std::llround(*value));
}

std::uint64_t count_field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_number() || it->get<double>() < 0) {
        return 0;
    }
    return static_cast<std::uint64_t>(std::llround(it->get<double>()));
}

void read_thresholds(const json& metrics, std::vector<K6Threshold>& out) {
    for (const auto& [metric, body] : metrics.items()) {
        if (!body.is_object()) {
            continue;
        }
        auto thresholds = body.find("thresholds");
        if (thresholds == body.end() || !thresholds->is_object()) {
            continue;
        }
        for (const auto& [expression, state] : thresholds->items()) {
            K6Threshold threshold{metric, expression, true};
            if (state.is_boolean()) {
                threshold.ok = !state.get<bool>();  // summary export: true means FAILED
            } else if (state.is_object() && state.contains("ok") && state["ok"].is_boolean()) {
                threshold.ok = state["ok"].get<bool>();
            } else {
                continue;
            }
            out.push_back(std::move(threshold));
        }
    }
}

// A group's checks and sub-groups are objects by name (summary export) or arrays.
void read_group(const json& group, std::vector<K6Check>& out) {
    auto each = [](const json& container, auto&& visit) {
        if (container.is_object() || container.is_array()) {
            for (const auto& item : container) {
                if (item.is_object()) {
                    visit(item);
                }
            }
        }
    };
    if (auto checks = group.find("checks"); checks != group.end()) {
        each(*checks, [&](const json& check) {
            std::string name = check.value("path", std::string());
            if (name.rfind("::", 0) == 0) {
                name.erase(0, 2);
            }
            if (name.empty()) {
                name = check.value("name", std::string());
            }
            out.push_back(K6Check{name, count_field(check, "passes"), count_field(check, "fails")});
        });
    }
    if (auto groups = group.find("groups"); groups != group.end()) {
        each(*groups, [&](const json& sub) { read_group(sub, out); });
    }
}

}  // namespace

bool K6Summary::thresholds_ok() const {
    return std::all_of(thresholds.begin(), thresholds.end(),
                       [](const K6Threshold& t) { return t.ok; });
}

Result<K6Summary> parse_k6_summary(std::string_view text, const std::string& label) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(ErrorCode::infrastructure, label + ": not a JSON object (k6 summary)");
    }
    auto metrics_it = doc.find("metrics");
    if (metrics_it == doc.end() || !metrics_it->is_object()) {
        return fail(ErrorCode::infrastructure, label + ": no \"metrics\" object (k6 summary)");
    }
    const json& metrics = *metrics_it;
    K6Summary summary;
    read_thresholds(metrics, summary.thresholds);
    std::sort(summary.thresholds.begin(), summary.thresholds.end(),
              [](const K6Threshold& a, const K6Threshold& b) {
                  return std::tie(a.metric, a.expression) < std::tie(b.metric, b.expression);
              });
    if (auto root = doc.find("root_group"); root != doc.end() && root->is_object()) {
        read_group(*root, summary.checks);
    }
    std::sort(summary.checks.begin(), summary.checks.end(),
              [](const K6Check& a, const K6Check& b) { return a.name < b.name; });

    const json* reqs = metric_values(metrics, "http_reqs");
    summary.http_reqs = count_at(reqs, "count");
    summary.http_reqs_rate = number_at(reqs, "rate");
    summary.failed_requests = count_at(metric_values(metrics, "http_req_failed"), "passes");
    summary.iterations = count_at(metric_values(metrics, "iterations"), "count");
    if (auto state = doc.find("state"); state != doc.end() && state->is_object()) {
        if (auto ms = number_at(&*state, "testRunDurationMs"); ms && *ms > 0) {
            summary.duration_s = *ms / 1000.0;
        }
    }
    if (!summary.duration_s && summary.http_reqs && summary.http_reqs_rate &&
        *summary.http_reqs > 0 && *summary.http_reqs_rate > 0) {
        summary.duration_s = static_cast<double>(*summary.http_reqs) / *summary.http_reqs_rate;
    }
    return summary;
}

// Read, then parse: the same two steps as the other executor's result file reader, each
// naming its own file in the error (executors do not include each other).
Result<K6Summary> read_k6_summary(const std::filesystem::path& path) {
    auto text = read_file(path);
    if (!text) {
        return fail(ErrorCode::infrastructure, path.string() + ": cannot be read (k6 summary)");
    }
    return parse_k6_summary(*text, path.string());
}

nlohmann::json k6_checks_json(const K6Summary& summary) {
    json out = json::array();
    for (const auto& check : summary.checks) {
        out.push_back({{"name", check.name}, {"passes", check.passes}, {"fails", check.fails}});
    }
    return out;
}

nlohmann::json k6_thresholds_json(const K6Summary& summary) {
    json out = json::array();
    for (const auto& threshold : summary.thresholds) {
        out.push_back({{"metric", threshold.metric},
                       {"expression", threshold.expression},
                       {"ok", threshold.ok}});
    }
    return out;
}

}  // namespace orch
