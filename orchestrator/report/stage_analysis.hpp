// What a stage's numbers mean, in words every human-facing output shares (report.md,
// report.html, the console): the summary sentence, the expected-versus-actual load, the
// root-cause checklist with its evidence, the failure samples and the outlook for the next
// stage. Derived from the RunReport only; plain text (each output escapes it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// A fail-severity criterion a stage that ran did not meet (also one without data).
struct FailedCriterion {
    const StageReport* stage = nullptr;
    const CriterionResult* result = nullptr;
};

/// Every missed fail criterion of the stages that ran, in stage and criterion order.
std::vector<FailedCriterion> failed_criteria(const RunReport& report);

/// The metric a criterion reads, as a person says it: "send.p95" -> "send p95".
std::string spoken_metric(const Criterion& criterion);

/// One paragraph generated from the stage's data: criteria met, the failed ones with their
/// distance, the tightest passing one as a share of its limit, requests and failures, the
/// backend's memory. "smoke passed 8/8 criteria; send p95 23.7 ms is 9% of its 250 ms
/// limit; ...". For a stage that did not run, why.
std::string stage_summary(const StageReport& stage);

/// The highest number of VUs the series recorded, if any.
std::optional<int> peak_vus(const StageReport& stage);

/// The request rate a stage asks for at its end (open model), or nullopt (closed model).
std::optional<double> planned_rate(const StageReport& stage);

/// One row of the root-cause checklist: a known cause, whether the stage shows it, and the
/// numbers either way.
struct CauseCheck {
    std::string cause;  ///< "Backend not reachable (connection refused)"
    bool seen = false;
    std::string evidence;  ///< "errors.connection_refused = 0 of 6,015 requests"
};

/// The checklist, always complete (every known cause, seen or not). `previous` is the
/// stage that ran before, for the latency-rise check (nullptr for the first).
std::vector<CauseCheck> cause_checklist(const StageReport& stage, const StageReport* previous);

/// Failure samples from the executor (extra.failure_samples), grouped by operation, error
/// kind and status, at most `per_group` bodies each, every body truncated to `max_chars`
/// code points (with "…") and on one line.
struct FailureGroup {
    std::string operation;
    std::string error;                ///< error kind ("status_5xx", "timeout", ...)
    int status = 0;                   ///< HTTP status, 0 for transport errors
    int samples = 0;                  ///< samples the executor kept for this group
    std::vector<std::string> bodies;  ///< also transport messages when there is no body
};
std::vector<FailureGroup> failure_groups(const StageReport& stage, std::size_t per_group = 3,
                                         std::size_t max_chars = 200);

/// What the next stage asks and whether this stage's headroom suggests it will pass.
struct NextStageOutlook {
    std::string load;                   ///< format_load of the next stage
    std::vector<std::string> criteria;  ///< its criteria, as written
    std::string verdict;                ///< "likely to pass", "at risk", "not worth running yet"
    std::string reasoning;              ///< the numbers behind the verdict
};
/// nullopt when `stage` is the last one.
std::optional<NextStageOutlook> next_stage_outlook(const RunReport& report, std::size_t index);

}  // namespace orch
