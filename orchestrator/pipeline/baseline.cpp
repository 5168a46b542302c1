#include "pipeline/baseline.hpp"

namespace orch {

std::vector<const CriterionSpec*> baseline_criteria(const Pipeline& pipeline) {
    std::vector<const CriterionSpec*> out;
    for (const auto& stage : pipeline.stages) {
        for (const auto& spec : stage.criteria) {
            if (spec.criterion.relative) {
                out.push_back(&spec);
            }
        }
    }
    return out;
}

void apply_baseline(Pipeline& pipeline, const RunReport& baseline) {
    for (auto& stage : pipeline.stages) {
        const StageReport* before = nullptr;
        for (const auto& candidate : baseline.stages) {
            if (candidate.name == stage.name) {
                before = &candidate;
                break;
            }
        }
        for (auto& spec : stage.criteria) {
            Criterion& criterion = spec.criterion;
            if (!criterion.relative) {
                continue;
            }
            std::string quoted_stage = "stage \"" + stage.name + "\"";
            if (before == nullptr) {
                resolve_baseline(criterion, std::nullopt,
                                 quoted_stage + " is not in the baseline run");
            } else if (before->verdict == Verdict::skipped) {
                resolve_baseline(criterion, std::nullopt,
                                 quoted_stage + " did not run in the baseline run");
            } else {
                resolve_baseline(criterion, before->metrics.get(criterion.metric),
                                 quoted_stage + " of the baseline run has no " + criterion.metric);
            }
        }
    }
}

}  // namespace orch
