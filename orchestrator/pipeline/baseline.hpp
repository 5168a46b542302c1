// Baseline criteria (`send.p95 < baseline + 10%`): their targets come from an earlier run's
// results.json (`stagegate run --baseline RESULTS.json`). They are resolved once, before
// anything starts, so the judge, abort checks and windows see plain targets.
#pragma once

#include <vector>

#include "config/pipeline.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// Every criterion of every stage whose value is relative to a baseline run, in stage
/// order (a `defaults.criteria` entry appears once per stage, as it is judged).
std::vector<const CriterionSpec*> baseline_criteria(const Pipeline& pipeline);

/// Resolves every baseline criterion of `pipeline` against `baseline`: the baseline value is
/// the same metric in the baseline run's stage of the same name. A stage that is missing or
/// did not run there, or a metric it has no value for, leaves the criterion without baseline
/// data (it then fails with "no baseline data", naming the stage).
void apply_baseline(Pipeline& pipeline, const RunReport& baseline);

}  // namespace orch
