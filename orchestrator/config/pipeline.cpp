#include "config/pipeline.hpp"

namespace orch {

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

std::vector<std::string> Pipeline::body_pattern_names() const {
    std::vector<std::string> names;
    names.reserve(body_patterns.size());
    for (const auto& pattern : body_patterns) {
        names.push_back(pattern.name);
    }
    return names;
}

}  // namespace orch
