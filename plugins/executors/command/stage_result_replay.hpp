// Rebuilds StageMetrics from a stage result: the counts a tool reported become one
// RequestSample per request, so every stagegate metric and criterion works on a command
// executor's stage as on the builtin engine's. Pure.
//
// What is exact and what is not:
// - requests, errors by kind, status classes (from `status_counts` where given; else 200,
//   400, 429 and 500 stand in) are exact;
// - latency: the N requests that got a response (requests minus the no-response error
//   kinds) get N synthesized latencies in ascending order.
//   * percentiles: each given percentile P with value V puts the sample of nearest rank
//     ceil(P% * N) exactly at V (min at rank 1, max at rank N); the samples between two
//     given ranks are spread linearly between their values. So the given percentiles come
//     back exactly (within the histogram's 1%), and any other percentile is an
//     approximation inside its band; the mean follows from the synthesized samples (a
//     reported avg is not reproduced).
//   * histogram: rank r of N takes the upper bound of the bucket holding rank
//     ceil(r * H / N) of the histogram's H samples (H == N: each bucket's samples sit at
//     its upper bound), so percentiles are over-estimated by at most one bucket width.
// - phases (timing.*) are not reported: no sample has phases.
#pragma once

#include <string>
#include <vector>

#include "metrics/stage_metrics.hpp"
#include "plugins/executors/command/stage_result.hpp"

namespace orch {

// --- Interface ---

/// RequestSample::operation of a request the pipeline has no operation for: counted in
/// the totals only (StageMetrics::record ignores an out-of-range index).
inline constexpr std::uint32_t k_command_totals_only = 0xFFFFFFFFU;

/// Records `result` into `into`: each operation under the index of its name in
/// `operation_names` (Pipeline::operation_names()); `totals` and operations the pipeline
/// does not name go to the totals only. Also counts iterations, scheduled and dropped.
/// Returns the operation names that matched no pipeline operation.
std::vector<std::string> replay_stage_result(const StageResult& result,
                                             const std::vector<std::string>& operation_names,
                                             StageMetrics& into);

/// The `count` ascending latencies (microseconds) that `latency` stands for (see above),
/// one at a time: memory does not grow with `count`.
class LatencySynthesis {
  public:
    LatencySynthesis(const StageResultLatency& latency, std::uint64_t count);

    /// False when `latency` has no form (or describes no sample) or count is 0.
    bool has_values() const { return m_has_values; }
    /// The latency of the next rank (1, 2, ... count); past count, the last value again.
    std::int64_t next();

  private:
    std::int64_t from_percentiles(std::uint64_t rank);
    std::int64_t from_histogram(std::uint64_t rank);

    const StageResultLatency& m_latency;
    std::uint64_t m_count;
    std::uint64_t m_rank = 0;
    bool m_has_values = false;
    std::vector<std::pair<std::uint64_t, std::int64_t>> m_anchors;  ///< (rank, us)
    std::size_t m_next_anchor = 0;
    std::uint64_t m_described = 0;  ///< histogram samples
    std::size_t m_bucket = 0;
    std::uint64_t m_below = 0;  ///< histogram samples before m_bucket
};

/// All of LatencySynthesis's values at once (tests).
std::vector<std::int64_t> synthesize_latencies_us(const StageResultLatency& latency,
                                                  std::uint64_t count);

}  // namespace orch
