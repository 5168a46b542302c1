// summarize(): turns the raw counters and histograms of a stage into the flat name -> value
// map that criteria, reports and results.json read. Units are the SPEC's: latency and
// phase times in ms, rates in percent, rps per second. Absent names mean "no data".
#include "metrics/snapshot.hpp"

#include <array>

namespace orch {

namespace {

constexpr std::array<std::string_view, k_phase_count> k_phase_names = {
    "blocked", "connecting", "tls", "sending", "waiting", "receiving"};

struct PercentileName {
    std::string_view name;
    double percentile;
};

constexpr std::array<PercentileName, 6> k_percentiles = {
    {{"p50", 50.0}, {"p75", 75.0}, {"p90", 90.0}, {"p95", 95.0}, {"p99", 99.0}, {"p999", 99.9}}};

constexpr double us_to_ms(double us) {
    return us / 1000.0;
}

void add_latency(Snapshot& snapshot, const std::string& prefix, const HdrHistogram& latency) {
    snapshot.set(prefix + "min", us_to_ms(static_cast<double>(latency.min())));
    snapshot.set(prefix + "avg", us_to_ms(latency.mean()));
    for (const auto& p : k_percentiles) {
        snapshot.set(prefix + std::string(p.name),
                     us_to_ms(static_cast<double>(latency.value_at_percentile(p.percentile))));
    }
    snapshot.set(prefix + "max", us_to_ms(static_cast<double>(latency.max())));
}

/// The request metrics of `stats` under `prefix` ("" for the totals, "send." for one op).
void add_operation(Snapshot& snapshot, const std::string& prefix, const OperationStats& stats,
                   const MetricNames& names, double duration_s) {
    auto requests = static_cast<double>(stats.requests());
    auto failures = static_cast<double>(stats.failures());
    snapshot.set(prefix + "requests", requests);
    snapshot.set(prefix + "rps", duration_s > 0 ? requests / duration_s : 0.0);
    snapshot.set(prefix + "errors", failures);
    for (ErrorKind kind : k_error_kinds) {
        auto count = static_cast<double>(stats.errors(kind));
        if (kind == ErrorKind::status_4xx) {
            count += static_cast<double>(stats.errors(ErrorKind::status_429));
        }
        snapshot.set(prefix + "errors." + std::string(error_kind_name(kind)), count);
    }
    for (std::size_t i = 0; i < names.body_patterns.size(); ++i) {
        snapshot.set(prefix + "errors.body." + names.body_patterns[i],
                     static_cast<double>(stats.body_pattern_hits(i)));
    }
    if (stats.requests() > 0) {
        snapshot.set(prefix + "success_rate", 100.0 * (requests - failures) / requests);
        snapshot.set(prefix + "error_rate", 100.0 * failures / requests);
    }
    if (!stats.latency().empty()) {
        add_latency(snapshot, prefix, stats.latency());
    }
    if (stats.phase_samples() > 0) {
        for (std::size_t i = 0; i < k_phase_count; ++i) {
            snapshot.set(prefix + "timing." + std::string(k_phase_names[i]),
                         us_to_ms(stats.phase_mean_us(i)));
        }
    }
}

bool uncorrected_differs(const HdrHistogram& corrected, const HdrHistogram& uncorrected) {
    if (uncorrected.empty()) {
        return false;
    }
    return corrected.mean() != uncorrected.mean() || corrected.max() != uncorrected.max() ||
           corrected.value_at_percentile(99) != uncorrected.value_at_percentile(99);
}

}  // namespace

std::optional<double> Snapshot::get(std::string_view name) const {
    auto it = m_values.find(name);
    if (it == m_values.end()) {
        return std::nullopt;
    }
    return it->second;
}

Snapshot summarize(const StageMetrics& metrics, const MetricNames& names, double duration_s) {
    Snapshot snapshot;
    add_operation(snapshot, "", metrics.totals(), names, duration_s);
    const OperationStats& totals = metrics.totals();
    if (uncorrected_differs(totals.latency(), totals.latency_uncorrected())) {
        const HdrHistogram& raw = totals.latency_uncorrected();
        snapshot.set("latency_uncorrected.p50",
                     us_to_ms(static_cast<double>(raw.value_at_percentile(50))));
        snapshot.set("latency_uncorrected.p95",
                     us_to_ms(static_cast<double>(raw.value_at_percentile(95))));
        snapshot.set("latency_uncorrected.p99",
                     us_to_ms(static_cast<double>(raw.value_at_percentile(99))));
    }
    snapshot.set("dropped", static_cast<double>(metrics.dropped()));
    snapshot.set("scheduled", static_cast<double>(metrics.scheduled()));
    snapshot.set("iterations", static_cast<double>(metrics.iterations()));

    const auto& operations = metrics.operations();
    for (std::size_t i = 0; i < names.operations.size(); ++i) {
        std::string prefix = names.operations[i] + ".";
        if (i >= operations.size() || operations[i].requests() == 0) {
            snapshot.set(prefix + "requests", 0.0);
            continue;
        }
        add_operation(snapshot, prefix, operations[i], names, duration_s);
    }
    const auto& tags = metrics.tags();
    for (std::size_t t = 0; t < tags.size() && t < names.tags.size(); ++t) {
        for (const auto& v : tags[t]) {
            if (v.stats.requests() > 0) {
                add_operation(snapshot, "tags." + names.tags[t] + "." + v.value + ".", v.stats,
                              names, duration_s);
            }
        }
    }
    return snapshot;
}

const std::vector<std::string>& request_metric_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out = {"requests",   "rps", "success_rate",
                                        "error_rate", "min", "avg"};
        for (const auto& p : k_percentiles) {
            out.emplace_back(p.name);
        }
        out.emplace_back("max");
        out.emplace_back("errors");
        for (ErrorKind kind : k_error_kinds) {
            out.push_back("errors." + std::string(error_kind_name(kind)));
        }
        for (auto phase : k_phase_names) {
            out.push_back("timing." + std::string(phase));
        }
        out.emplace_back("dropped");
        out.emplace_back("scheduled");
        out.emplace_back("iterations");
        return out;
    }();
    return names;
}

}  // namespace orch
