#include "report/metric_tree.hpp"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

namespace orch {

namespace {

using ojson = nlohmann::ordered_json;

ojson finite_or_null(double value) {
    return std::isfinite(value) ? ojson(value) : ojson(nullptr);
}

// A leaf (number or null) that must become a group keeps its value as "total".
void make_group(ojson& node) {
    if (!node.is_object()) {
        ojson group = ojson::object();
        group[std::string(k_group_total_key)] = node;
        node = std::move(group);
    }
}

// Reading order of the first name segment; unknown names sort after, alphabetically.
constexpr std::array<std::string_view, 21> k_metric_order = {"requests",
                                                             "rps",
                                                             "success_rate",
                                                             "error_rate",
                                                             "errors",
                                                             "min",
                                                             "avg",
                                                             "p50",
                                                             "p75",
                                                             "p90",
                                                             "p95",
                                                             "p99",
                                                             "p999",
                                                             "max",
                                                             "timing",
                                                             "iterations",
                                                             "scheduled",
                                                             "dropped",
                                                             "latency_uncorrected",
                                                             "crashes",
                                                             "health_failures"};

Result<void> flatten_into(const nlohmann::json& node, const std::string& prefix,
                          const std::string& name, const std::string& where, int depth,
                          Snapshot& out, std::string_view skip_top_key) {
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string& key = it.key();
        if (depth == 0 && !skip_top_key.empty() && key == skip_top_key) {
            continue;
        }
        // Below the top, "total" is the group's own count ("errors.total" -> "errors").
        std::string full;
        if (depth > 0 && key == k_group_total_key) {
            full = name;
        } else {
            full = name.empty() ? key : name + "." + key;
        }
        const std::string at = where + "." + key;
        const nlohmann::json& value = it.value();
        if (value.is_null()) {
            continue;
        }
        if (value.is_number()) {
            out.set(prefix + full, value.get<double>());
        } else if (value.is_object()) {
            ORCH_TRY(flatten_into(value, prefix, full, at, depth + 1, out, {}));
        } else {
            return fail(ErrorCode::invalid_input,
                        at + ": expected a number, null or an object, got " +
                            std::string(value.type_name()));
        }
    }
    return {};
}

}  // namespace

std::vector<std::string> metric_path(std::string_view name) {
    std::vector<std::string> path;
    while (true) {
        if (!name.empty() && name.front() == '/') {
            path.emplace_back(name);
            break;
        }
        std::size_t dot = name.find('.');
        if (dot == std::string_view::npos) {
            path.emplace_back(name);
            break;
        }
        path.emplace_back(name.substr(0, dot));
        name.remove_prefix(dot + 1);
    }
    return path;
}

void insert_metric(ojson& tree, std::string_view name, double value) {
    std::vector<std::string> path = metric_path(name);
    ojson* node = &tree;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        if (!node->contains(path[i])) {
            (*node)[path[i]] = ojson::object();
        }
        ojson& child = (*node)[path[i]];
        make_group(child);
        node = &child;
    }
    const std::string& leaf = path.back();
    // The error count is always a group ("errors": {"total": N, ...}), so readers find the
    // same shape whether or not the kinds are present.
    if (node->contains(leaf) && (*node)[leaf].is_object()) {
        (*node)[leaf][std::string(k_group_total_key)] = finite_or_null(value);
    } else if (leaf == "errors") {
        ojson group = ojson::object();
        group[std::string(k_group_total_key)] = finite_or_null(value);
        (*node)[leaf] = std::move(group);
    } else {
        (*node)[leaf] = finite_or_null(value);
    }
}

Result<void> flatten_metrics(const nlohmann::json& tree, const std::string& prefix,
                             const std::string& where, Snapshot& out,
                             std::string_view skip_top_key) {
    if (!tree.is_object()) {
        return fail(ErrorCode::invalid_input,
                    where + ": expected an object, got " + std::string(tree.type_name()));
    }
    return flatten_into(tree, prefix, {}, where, 0, out, skip_top_key);
}

std::pair<int, std::string> metric_order_key(std::string_view name) {
    std::string_view first = name.substr(0, name.find('.'));
    for (std::size_t i = 0; i < k_metric_order.size(); ++i) {
        if (k_metric_order[i] == first) {
            return {static_cast<int>(i), std::string(name)};
        }
    }
    return {static_cast<int>(k_metric_order.size()), std::string(name)};
}

}  // namespace orch
