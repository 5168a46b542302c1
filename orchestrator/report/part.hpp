// A part: what one segment (`stagegate run P --segment I/N`) measured, lossless, so that
// `stagegate merge` can add the parts up exactly. results.json carries it as the top-level
// `segment` and, per stage, `part`: counters, errors by kind, the serialized histograms of
// the totals and of each operation (metrics/histogram_codec.hpp), and the per-second series
// keyed by wall-clock (Unix) second, each second with its own latency histogram.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"
#include "core/segment.hpp"
#include "metrics/histogram_codec.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

/// Which share of which pipeline a results.json holds (results.json `segment`).
struct PartInfo {
    Segment segment;
    /// sha256 of the pipeline as run: the file's bytes, every --set and --time-scale.
    std::string pipeline_hash;
    std::string start_at;       ///< --start-at as given; empty without it
    bool owns_backend = false;  ///< this segment launched and watched the backend
};

/// One wall-clock second of a part's stage.
struct PartSecond {
    std::int64_t second = 0;  ///< Unix time, whole seconds
    std::uint64_t requests = 0;
    std::uint64_t failures = 0;
    int vus = 0;
    HistogramRecord latency;  ///< of the responses that completed in this second
    /// Per operation (Pipeline::operation_names order): requests, failures.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> operations;
};

/// What a segment measured in one stage, lossless.
struct StagePart {
    explicit StagePart(StageMetrics metrics_) : metrics(std::move(metrics_)) {}
    StageMetrics metrics;
    std::vector<std::string> body_patterns;  ///< names, in pattern-hit order
    std::vector<PartSecond> seconds;
    /// Seconds this segment started the stage after its planned time (--start-at).
    std::optional<double> late_s;
    /// The stage's verdict came from its criteria (PASS, or FAIL on missed criteria), not
    /// from something the merge cannot recompute (a crash, health, an abort, the generator).
    bool verdict_from_criteria = false;
};

/// results.json `part` of a stage, given the stage's operation names.
nlohmann::ordered_json stage_part_json(const StagePart& part,
                                       const std::vector<std::string>& operations);

/// Reads `part` back; invalid_input naming the value at `where` (and the histogram) that
/// is wrong, missing or corrupt.
Result<StagePart> stage_part_from_json(const nlohmann::json& json,
                                       const std::vector<std::string>& operations,
                                       const std::string& where);

nlohmann::ordered_json part_info_json(const PartInfo& info);
Result<PartInfo> part_info_from_json(const nlohmann::json& json);

}  // namespace orch
