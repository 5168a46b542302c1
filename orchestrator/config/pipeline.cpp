#include "config/pipeline.hpp"

#include <algorithm>
#include <cmath>

namespace orch {

int default_max_vus(const RateSpec& rate) {
    double peak = std::max(rate.from_per_s, rate.to_per_s);
    // Capped where a pipeline's own max_vus is (pipeline_reader's k_max_vus).
    return static_cast<int>(std::clamp(std::ceil(peak), 1.0, 100'000.0));
}

std::vector<std::string> Pipeline::operation_names() const {
    std::vector<std::string> names;
    for (const auto& operation : scenario.operations) {
        for (const auto& step : operation.steps) {
            if (step.metric_index >= names.size()) {
                names.resize(step.metric_index + 1);
            }
            names[step.metric_index] = step.name;
        }
    }
    return names;
}

const char* hook_kind_name(HookKind kind) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (kind) {
        case HookKind::before_run:
            return "before_run";
        case HookKind::after_run:
            return "after_run";
        case HookKind::before:
            return "before";
        case HookKind::after:
            return "after";
        case HookKind::on_fail:
            return "on_fail";
    }
    return "?";
}

bool observable_metric(std::string_view metric) {
    return metric.starts_with("backend.") || metric.starts_with("prom(") ||
           metric.starts_with("prom.");
}

std::vector<std::string> Pipeline::tag_names() const {
    std::vector<std::string> names;
    for (const auto& tag : scenario.tag_responses) {
        names.push_back(tag.name);
    }
    return names;
}

std::vector<std::string> Pipeline::body_pattern_names() const {
    std::vector<std::string> names;
    for (const auto& pattern : body_patterns) {
        names.push_back(pattern.name);
    }
    return names;
}

}  // namespace orch
