// Evaluation of a parsed criterion against a Snapshot: comparison, margin, "no data".
// Windowed criteria are evaluated the same way by the caller, on a Snapshot that holds
// the worst window's value (see worse_of).
#include "criteria/criterion.hpp"

#include <algorithm>
#include <cmath>

namespace orch {

namespace {

/// Equal within a relative 1e-9, so `avg == 0.3` holds for 0.30000000000000004.
bool nearly_equal(double a, double b) {
    return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace

std::string_view to_string(CompareOp op) {
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
