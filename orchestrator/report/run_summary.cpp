#include "report/run_summary.hpp"

#include <algorithm>
#include <array>

#include "metrics/stage_metrics.hpp"

namespace orch {

namespace {

constexpr std::array<std::string_view, 6> k_phases = {"blocked", "connecting", "tls",
                                                      "sending", "waiting",    "receiving"};

std::string metric_name(std::string_view operation, std::string_view name) {
    if (operation.empty()) {
        return std::string(name);
    }
    return std::string(operation) + "." + std::string(name);
}

// True when `value` is a non-zero count under `errors.KIND` of the totals or an operation.
bool any_nonzero(const StageReport& stage, std::string_view name) {
    auto nonzero = [&](std::string_view operation) {
        auto v = stage.metrics.get(metric_name(operation, name));
        return v && *v != 0;
    };
    if (nonzero({})) {
        return true;
    }
    return std::any_of(stage.operations.begin(), stage.operations.end(), nonzero);
}

bool any_present(const StageReport& stage, std::string_view name) {
    if (stage.metrics.get(name)) {
        return true;
    }
    return std::any_of(stage.operations.begin(), stage.operations.end(),
                       [&](const std::string& op) {
                           return stage.metrics.get(metric_name(op, name)).has_value();
                       });
}

}  // namespace

RunTotals run_totals(const RunReport& report) {
    RunTotals totals;
    double succeeded = 0;
    for (const auto& stage : report.stages) {
        ++totals.stages;
        if (!stage_ran(stage)) {
            continue;
        }
        ++totals.stages_run;
        if (stage.verdict == Verdict::pass) {
            ++totals.stages_passed;
        }
        totals.load_duration_s += stage.duration_s;
        double requests = stage.metrics.get("requests").value_or(0);
        if (requests <= 0) {
            continue;
        }
        totals.requests += requests;
        double failed = 0;
        if (auto rate = stage.metrics.get("success_rate")) {
            failed = requests * (100 - *rate) / 100;
        } else {
            failed = stage.metrics.get("errors").value_or(0);
        }
        totals.failed_requests += failed;
        succeeded += requests - failed;
    }
    if (totals.requests > 0) {
        totals.success_rate = 100 * succeeded / totals.requests;
    }
    return totals;
}

bool stage_has_no_gate(const StageReport& stage) {
    if (!stage_ran(stage)) {
        return false;
    }
    return std::none_of(stage.criteria.begin(), stage.criteria.end(), [](const auto& result) {
        return result.criterion.severity == Severity::fail;
    });
}

bool stage_ran(const StageReport& stage) {
    return stage.verdict != Verdict::skipped;
}

std::optional<double> stage_metric(const StageReport& stage, std::string_view operation,
                                   std::string_view name) {
    return stage.metrics.get(metric_name(operation, name));
}

std::vector<std::string> error_kinds_seen(const StageReport& stage) {
    std::vector<std::string> kinds;
    for (ErrorKind kind : k_error_kinds) {
        std::string name(error_kind_name(kind));
        if (any_nonzero(stage, "errors." + name)) {
            kinds.push_back(std::move(name));
        }
    }
    // Body patterns: every "errors.body.NAME" (of the totals or an operation), once each.
    std::vector<std::string> patterns;
    constexpr std::string_view k_body = "errors.body.";
    for (const auto& [name, value] : stage.metrics.values()) {
        std::size_t at = name.find(k_body);
        if (at == std::string::npos || value == 0) {
            continue;
        }
        bool totals = at == 0;
        bool operation = !totals && name[at - 1] == '.' &&
                         std::find(stage.operations.begin(), stage.operations.end(),
                                   name.substr(0, at - 1)) != stage.operations.end();
        if (!totals && !operation) {
            continue;
        }
        std::string kind = name.substr(at + std::string_view("errors.").size());
        if (std::find(patterns.begin(), patterns.end(), kind) == patterns.end()) {
            patterns.push_back(kind);
        }
    }
    std::sort(patterns.begin(), patterns.end());
    kinds.insert(kinds.end(), patterns.begin(), patterns.end());
    return kinds;
}

std::vector<std::string> timing_phases_seen(const StageReport& stage) {
    std::vector<std::string> phases;
    for (std::string_view phase : k_phases) {
        if (any_present(stage, "timing." + std::string(phase))) {
            phases.emplace_back(phase);
        }
    }
    return phases;
}

}  // namespace orch
