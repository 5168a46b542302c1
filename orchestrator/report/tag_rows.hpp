// The per-tag-value rows of a stage (scenario `tag_responses`): which TAG/VALUE pairs have
// metrics "tags.TAG.VALUE.*" in the stage, for the reports' "By response tag" tables.
#pragma once

#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

struct TagValueRow {
    std::string tag;
    std::string value;
    std::string prefix;  ///< "tags.TAG.VALUE": the "operation" stage_metric() takes
};

/// Every TAG/VALUE with a "tags.TAG.VALUE.requests" metric, sorted by tag then value
/// ("other" and "none" last in their tag). Empty when the stage has no tagged metrics.
std::vector<TagValueRow> stage_tag_rows(const StageReport& stage);

/// True when some tag of the stage had more distinct values than are kept (value "other").
bool stage_tags_overflowed(const std::vector<TagValueRow>& rows);

}  // namespace orch
