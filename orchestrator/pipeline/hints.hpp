// Root-cause hints: plain-words explanations of a stage's failures, each naming the
// evidence it rests on (the seed's lessons: a backend that was not running, a rate
// limiter, an exhausted pool, application errors hidden in 500 bodies, a load script bug).
// And the next-stage recommendation.
#pragma once

#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// Hints for one finished stage, from its metrics and executor extras. `previous` is the
/// stage before it (for "latency rising with load"), or nullptr.
std::vector<std::string> root_cause_hints(const Pipeline& pipeline, const StageReport& stage,
                                          const StageReport* previous);

/// What to do next, stating the projected load, from the stages that ran.
std::string next_stage_recommendation(const RunReport& report);

}  // namespace orch
