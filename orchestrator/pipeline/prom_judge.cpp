#include "pipeline/prom_judge.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "http/prometheus_client.hpp"
#include "metrics/snapshot.hpp"

namespace orch {

namespace {

constexpr std::size_t k_labels_named = 3;

std::string whole_seconds_text(double seconds) {
    return fmt::format("{:.0f}s", seconds);
}

/// The error for a query that returned several series, naming the first few.
Error several_series(const Criterion& criterion, const std::vector<PromSeries>& series) {
    std::vector<std::string> named;
    for (std::size_t i = 0; i < series.size() && i < k_labels_named; ++i) {
        named.push_back(series[i].labels);
    }
    const std::string names =
        fmt::format("{}{}", fmt::join(named, ", "), series.size() > k_labels_named ? ", ..." : "");
    return Error{ErrorCode::infrastructure,
                 "criterion \"" + criterion.name + "\": the query returned " +
                     std::to_string(series.size()) + " series (" + names +
                     "); a criterion needs one value: aggregate them, e.g. sum(...) or "
                     "max(...)",
                 {}};
}

/// `value` judged like any other criterion's actual.
CriterionResult judged(const Criterion& criterion, double value) {
    Snapshot snapshot;
    snapshot.set(criterion.metric, value);
    return evaluate(criterion, snapshot);
}

/// The query's answer when it has at most one series; its error (named after `criterion`)
/// when it failed or returned several series.
Result<std::vector<PromSeries>> one_answer(const Criterion& criterion,
                                           Result<std::vector<PromSeries>> series) {
    if (!series) {
        Error error = series.error();
        error.message = "criterion \"" + criterion.name + "\": " + error.message;
        return tl::unexpected(std::move(error));
    }
    if (series->size() > 1) {
        return tl::unexpected(several_series(criterion, *series));
    }
    return series;
}

CriterionResult no_data(const Criterion& criterion, std::string why) {
    CriterionResult result;
    result.criterion = criterion;
    result.pass = false;
    result.note = "no data: " + std::move(why);
    return result;
}

Result<CriterionResult> judge_instant(const PrometheusSpec& prometheus, const Criterion& criterion,
                                      double at_s) {
    auto series = one_answer(criterion, prom_query(prometheus, criterion.promql, at_s));
    if (!series) {
        return tl::unexpected(series.error());
    }
    if (series->empty() || series->front().points.empty()) {
        return no_data(criterion, "the query returned an empty result");
    }
    double value = series->front().points.front().second;
    if (std::isnan(value)) {
        return no_data(criterion, "the query's value is NaN");
    }
    return judged(criterion, value);
}

Result<CriterionResult> judge_range(const PrometheusSpec& prometheus, const Criterion& criterion,
                                    StageWindow window) {
    double step_s = to_seconds(*criterion.window);
    double first_s = window.start_s + step_s;
    auto expected =
        static_cast<std::size_t>(std::floor((window.end_s - first_s) / step_s + 1e-9)) + 1;
    auto series = one_answer(
        criterion, prom_query_range(prometheus, criterion.promql, first_s, window.end_s, step_s));
    if (!series) {
        return tl::unexpected(series.error());
    }
    std::string every = " (one every " + format_duration(*criterion.window) + ")";
    if (series->empty()) {
        return no_data(criterion, "the query returned an empty result at all " +
                                      std::to_string(expected) + " points" + every);
    }
    std::optional<double> worst;
    double worst_at_s = 0;
    std::size_t with_value = 0;
    for (const auto& [t, value] : series->front().points) {
        if (std::isnan(value)) {
            continue;
        }
        ++with_value;
        double worse = worst ? worse_of(criterion.op, criterion.target, *worst, value) : value;
        if (!worst || worse != *worst) {
            worst = worse;
            worst_at_s = t - window.start_s;
        }
    }
    if (!worst) {
        return no_data(criterion,
                       "no value at any of " + std::to_string(expected) + " points" + every);
    }
    CriterionResult result = judged(criterion, *worst);
    if (with_value < expected) {
        result.pass = false;
        result.note = "no data at " + std::to_string(expected - with_value) + " of " +
                      std::to_string(expected) + " points" + every + "; worst point at " +
                      whole_seconds_text(worst_at_s);
        return result;
    }
    result.note = "worst of " + std::to_string(expected) + " points" + every + " at " +
                  whole_seconds_text(worst_at_s) + " into the stage";
    return result;
}

}  // namespace

Result<void> judge_prom_criteria(const std::optional<PrometheusSpec>& prometheus,
                                 const StageSpec& stage, StageWindow window,
                                 std::vector<CriterionResult>& results) {
    for (std::size_t i = 0; i < stage.criteria.size() && i < results.size(); ++i) {
        const Criterion& criterion = stage.criteria[i].criterion;
        if (!criterion.is_prom()) {
            continue;
        }
        if (!prometheus) {
            return fail(ErrorCode::internal,
                        "criterion \"" + criterion.name + "\" has no metrics.prometheus to ask");
        }
        bool windowed = criterion.window &&
                        window.start_s + to_seconds(*criterion.window) <= window.end_s + 1e-6;
        auto result = windowed ? judge_range(*prometheus, criterion, window)
                               : judge_instant(*prometheus, criterion, window.end_s);
        if (!result) {
            return tl::unexpected(result.error());
        }
        if (criterion.window && !windowed && result->note.empty()) {
            result->note = "stage shorter than the window: judged at the stage's end";
        }
        results[i] = std::move(*result);
    }
    return {};
}

}  // namespace orch
