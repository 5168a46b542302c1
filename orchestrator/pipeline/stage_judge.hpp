// StageJudge: applies a stage's criteria table while the stage runs and at its end.
// During the stage it keeps the running totals (for `abort: true` criteria, checked every
// interval) and a ring of per-second deltas as long as the longest `over W` window (for
// windowed criteria: the worst window is the actual), so memory stays bounded however long
// the stage runs. At the end every criterion is evaluated once on the final Snapshot.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "config/pipeline.hpp"
#include "criteria/criterion.hpp"
#include "metrics/snapshot.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

class StageJudge {
  public:
    /// `add_backend_metrics` adds the backend.* values known so far to a Snapshot.
    StageJudge(const StageSpec& stage, MetricNames names,
               std::function<void(Snapshot&)> add_backend_metrics);

    /// Feeds one interval (what completed during it, `length_s` long, ending at `elapsed_s`).
    /// Returns the first `abort: true` criterion that is breached by the totals so far.
    /// `totals`: the stage so far (this interval included) as the executor keeps them; then
    /// the judge keeps no copy of its own. Without (null), it adds each delta up itself.
    std::optional<CriterionResult> on_interval(const StageMetrics& delta, double elapsed_s,
                                               double length_s,
                                               const StageMetrics* totals = nullptr);

    /// Evaluates every criterion on `final_snapshot` (windowed ones on their worst window,
    /// or on the whole stage when it was shorter than the window).
    std::vector<CriterionResult> judge(const Snapshot& final_snapshot) const;

    /// The running totals the judge added up (what the executor has reported so far);
    /// empty when the executor passed its own totals to on_interval.
    const StageMetrics& running_totals() const { return m_totals; }
    double elapsed_s() const { return m_elapsed_s; }

  private:
    struct WindowState {
        std::optional<double> worst;
        double worst_at_s = 0;
    };
    const StageSpec& m_stage;
    MetricNames m_names;
    std::function<void(Snapshot&)> m_add_backend_metrics;
    StageMetrics m_totals;
    double m_elapsed_s = 0;
    std::size_t m_longest_window_s = 0;
    std::deque<std::pair<StageMetrics, double>> m_recent;  ///< last seconds: delta, length
    std::vector<WindowState> m_windows;                    ///< per criterion
};

}  // namespace orch
