#include "pipeline/stage_judge.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstdio>

namespace orch {

StageJudge::StageJudge(const StageSpec& stage, MetricNames names,
                       std::function<void(Snapshot&)> add_backend_metrics)
    : m_stage(stage),
      m_names(std::move(names)),
      m_add_backend_metrics(std::move(add_backend_metrics)),
      m_totals(m_names.operations.size(), m_names.body_patterns.size()),
      m_windows(stage.criteria.size()) {
    for (const auto& spec : stage.criteria) {
        if (spec.criterion.window) {
            auto seconds = static_cast<std::size_t>(std::ceil(to_seconds(*spec.criterion.window)));
            m_longest_window_s = std::max(m_longest_window_s, seconds);
        }
    }
}

std::optional<CriterionResult> StageJudge::on_interval(const StageMetrics& delta, double elapsed_s,
                                                       double length_s,
                                                       const StageMetrics* totals) {
    if (totals == nullptr) {
        m_totals.merge(delta);
        totals = &m_totals;
    }
    m_elapsed_s = elapsed_s;

    if (m_longest_window_s > 0) {
        m_recent.emplace_back(delta, length_s);
        while (m_recent.size() > m_longest_window_s) {
            m_recent.pop_front();
        }
        for (std::size_t i = 0; i < m_stage.criteria.size(); ++i) {
            const Criterion& c = m_stage.criteria[i].criterion;
            if (!c.window || c.lacks_baseline()) {
                continue;  // without a baseline value there is no worst window to track
            }
            auto window_s = static_cast<std::size_t>(std::ceil(to_seconds(*c.window)));
            if (m_recent.size() < window_s) {
                continue;  // the first full window is not complete yet
            }
            StageMetrics merged(m_names.operations.size(), m_names.body_patterns.size());
            double seconds = 0;
            for (std::size_t k = m_recent.size() - window_s; k < m_recent.size(); ++k) {
                merged.merge(m_recent[k].first);
                seconds += m_recent[k].second;
            }
            Snapshot snap = summarize(merged, m_names, seconds);
            m_add_backend_metrics(snap);
            auto value = snap.get(c.metric);
            if (!value) {
                continue;
            }
            WindowState& state = m_windows[i];
            double worse = state.worst ? worse_of(c.op, c.target, *state.worst, *value) : *value;
            if (!state.worst || worse != *state.worst) {
                state.worst = worse;
                state.worst_at_s = elapsed_s;
            }
        }
    }

    for (const auto& spec : m_stage.criteria) {
        if (!spec.criterion.abort || spec.criterion.lacks_baseline()) {
            continue;  // without a baseline value there is no target to breach yet
        }
        Snapshot snap = summarize(*totals, m_names, std::max(elapsed_s, 1e-3));
        m_add_backend_metrics(snap);
        auto value = snap.get(spec.criterion.metric);
        if (value && !compare(spec.criterion.op, *value, spec.criterion.target)) {
            CriterionResult result = evaluate(spec.criterion, snap);
            result.note = fmt::format("aborted the stage at {:.1f}s", elapsed_s);
            return result;
        }
    }
    return std::nullopt;
}

std::vector<CriterionResult> StageJudge::judge(const Snapshot& final_snapshot) const {
    std::vector<CriterionResult> results;
    for (std::size_t i = 0; i < m_stage.criteria.size(); ++i) {
        const Criterion& c = m_stage.criteria[i].criterion;
        if (c.window && m_windows[i].worst) {
            // The worst full window is the actual; the totals cannot dilute a bad window.
            Snapshot window_snapshot;
            window_snapshot.set(c.metric, *m_windows[i].worst);
            CriterionResult result = evaluate(c, window_snapshot);
            result.note = fmt::format("worst {} window ended at {:.0f}s",
                                      format_duration(*c.window), m_windows[i].worst_at_s);
            results.push_back(std::move(result));
            continue;
        }
        CriterionResult result = evaluate(c, final_snapshot);
        if (c.window && result.actual && !c.lacks_baseline()) {
            result.note = "stage shorter than the window: judged on the whole stage";
        }
        results.push_back(std::move(result));
    }
    return results;
}

}  // namespace orch
