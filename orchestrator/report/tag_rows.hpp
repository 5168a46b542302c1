// The per-tag-value rows of a stage (scenario `tag_responses`): which TAG/VALUE pairs have
// metrics "tags.TAG.VALUE.*" in the stage, for the reports' "By response tag" tables.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

struct TagValueRow {
    std::string tag;
    std::string value;
    std::string prefix;  ///< "tags.TAG.VALUE": the "operation" stage_metric() takes
};

/// The measured columns of the "By response tag" tables, after Tag and Value: each
/// reporter writes the same columns, each cell stage_metric(stage, row.prefix, metric).
struct TagColumn {
    std::string_view heading;
    std::string_view metric;
    MetricUnit unit;
};
inline constexpr std::array<TagColumn, 5> k_tag_columns = {{
    {"Requests", "requests", MetricUnit::count},
    {"Errors", "errors", MetricUnit::count},
    {"Error rate", "error_rate", MetricUnit::percent},
    {"p95", "p95", MetricUnit::milliseconds},
    {"p99", "p99", MetricUnit::milliseconds},
}};

/// Every TAG/VALUE with a "tags.TAG.VALUE.requests" metric, sorted by tag then value
/// ("other" and "none" last in their tag). Empty when the stage has no tagged metrics.
std::vector<TagValueRow> stage_tag_rows(const StageReport& stage);

/// True when some tag of the stage had more distinct values than are kept (value "other").
bool stage_tags_overflowed(const std::vector<TagValueRow>& rows);

}  // namespace orch
