// `stagegate merge`: the parts that `run --segment I/N` wrote, added up into one run and
// judged as one. Counts add, histograms merge bucket for bucket (so percentiles are those
// of one histogram that saw every request), per-second series add by wall-clock second,
// backend figures come from the part that owned the backend, and each stage's criteria are
// evaluated on the merged stage. The result is a RunReport like any run's, so every report
// and the exit code come from the same code as `stagegate run`.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// One part as read from its file.
struct PartFile {
    std::string path;  ///< for messages
    RunReport report;
};

struct MergeOptions {
    /// A missing segment makes the result INCONCLUSIVE instead of INVALID.
    bool allow_missing = false;
    std::string run_id;
    std::string version;
};

/// Merges `parts`. invalid_input naming the file for: a file that is no segment part,
/// parts of different pipelines (hash) or segment counts, a duplicate segment, a missing
/// one (unless allow_missing), parts with different stages (--only/--from).
Result<RunReport> merge_parts(const std::vector<PartFile>& parts, const MergeOptions& options);

}  // namespace orch
