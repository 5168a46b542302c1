// Evaluation of a parsed criterion against a Snapshot: comparison, margin, "no data".
// Windowed criteria are evaluated the same way by the caller, on a Snapshot that holds
// the worst window's value (see worse_of).
#include "criteria/criterion.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdio>

namespace orch {

namespace {

/// Equal within a relative 1e-9, so `avg == 0.3` holds for 0.30000000000000004.
bool nearly_equal(double a, double b) {
    return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace

std::string_view to_string(CompareOp op) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (op) {
        case CompareOp::lt:
            return "<";
        case CompareOp::le:
            return "<=";
        case CompareOp::gt:
            return ">";
        case CompareOp::ge:
            return ">=";
        case CompareOp::eq:
            return "==";
        case CompareOp::ne:
            return "!=";
    }
    return "?";
}

std::string_view unit_label(MetricUnit unit) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (unit) {
        case MetricUnit::count:
            return "";
        case MetricUnit::per_second:
            return "/s";
        case MetricUnit::percent:
            return "%";
        case MetricUnit::milliseconds:
            return "ms";
        case MetricUnit::megabytes:
            return "MB";
        case MetricUnit::number:
            return "";
    }
    return "";
}

double BaselineFormula::apply(double baseline) const {
    std::optional<double> picked;
    for (const auto& term : terms) {
        double value = baseline;
        switch (term.kind) {
            case BaselineTerm::Kind::same:
                break;
            case BaselineTerm::Kind::percent:
                value = baseline * (1.0 + term.amount / 100.0);
                break;
            case BaselineTerm::Kind::offset:
                value = baseline + term.amount;
                break;
            case BaselineTerm::Kind::factor:
                value = baseline * term.amount;
                break;
            case BaselineTerm::Kind::constant:
                value = term.amount;
                break;
        }
        if (!picked) {
            picked = value;
        } else if (pick == Pick::max) {
            picked = std::max(*picked, value);
        } else if (pick == Pick::min) {
            picked = std::min(*picked, value);
        }
    }
    return picked.value_or(baseline);
}

void resolve_baseline(Criterion& criterion, std::optional<double> baseline, std::string why) {
    if (!criterion.relative) {
        return;
    }
    if (baseline && std::isfinite(*baseline)) {
        double target = criterion.relative->apply(*baseline);
        if (std::isfinite(target)) {
            criterion.baseline = *baseline;
            criterion.target = target;
            criterion.baseline_missing.clear();
            return;
        }
        // A baseline of 1e300 times a factor: a target no results.json can hold.
        why = fmt::format("the target computed from the baseline value {:g} is out of range",
                          *baseline);
    }
    criterion.baseline.reset();
    criterion.target = std::nan("");
    criterion.baseline_missing = std::move(why);
}

bool compare(CompareOp op, double actual, double target) {
    if (std::isnan(actual) || std::isnan(target)) {
        return false;
    }
    switch (op) {
        case CompareOp::lt:
            return actual < target;
        case CompareOp::le:
            return actual <= target;
        case CompareOp::gt:
            return actual > target;
        case CompareOp::ge:
            return actual >= target;
        case CompareOp::eq:
            return nearly_equal(actual, target);
        case CompareOp::ne:
            return !nearly_equal(actual, target);
    }
    return false;
}

double worse_of(CompareOp op, double target, double a, double b) {
    switch (op) {
        case CompareOp::lt:
        case CompareOp::le:
            return std::max(a, b);
        case CompareOp::gt:
        case CompareOp::ge:
            return std::min(a, b);
        case CompareOp::eq:
            return std::fabs(a - target) >= std::fabs(b - target) ? a : b;
        case CompareOp::ne:
            // For != the breach is being equal to the target: the closer value is worse.
            return std::fabs(a - target) <= std::fabs(b - target) ? a : b;
    }
    return a;
}

CriterionResult evaluate(const Criterion& criterion, const Snapshot& snapshot) {
    CriterionResult result;
    result.criterion = criterion;
    result.actual = snapshot.get(criterion.metric);
    if (criterion.lacks_baseline()) {
        // Like "no data": a budget relative to nothing cannot be met.
        result.pass = false;
        result.note = "no baseline data";
        if (!criterion.baseline_missing.empty()) {
            result.note += ": " + criterion.baseline_missing;
        }
        return result;
    }
    if (!result.actual) {
        result.pass = false;
        result.note = "no data";
        return result;
    }
    double actual = *result.actual;
    double target = criterion.target;
    result.pass = compare(criterion.op, actual, target);
    if (actual != 0 && target != 0 && std::isfinite(actual)) {
        switch (criterion.op) {
            case CompareOp::lt:
            case CompareOp::le:
                result.margin = target / actual;
                break;
            case CompareOp::gt:
            case CompareOp::ge:
                result.margin = actual / target;
                break;
            case CompareOp::eq:
            case CompareOp::ne:
                break;
        }
    }
    return result;
}

}  // namespace orch
