// The reader of k6's end-of-test summary: checks, thresholds and the few totals stagegate
// cross-checks against the per-request output. Pure (text in, struct out). It reads both
// shapes k6 writes (tests/fixtures/k6/README.md):
// - `--summary-export FILE`: metrics are flat value objects, `thresholds` is
//   {"<expr>": FAILED} (true means the threshold failed), checks are an object by name;
// - the `data` a script's handleSummary() gets (e.g. JSON.stringify(data)): metrics have
//   `values`, `thresholds` is {"<expr>": {"ok": bool}}, checks are an array.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// One k6 check: `name` is its path without the leading "::" ("send status ok", or
/// "group::check" inside a group).
struct K6Check {
    std::string name;
    std::uint64_t passes = 0;
    std::uint64_t fails = 0;
};

/// One k6 threshold expression on one metric (or tagged sub-metric).
struct K6Threshold {
    std::string metric;      ///< "http_req_duration{operation:send}"
    std::string expression;  ///< "p(95)<250"
    bool ok = true;
};

struct K6Summary {
    std::vector<K6Check> checks;                   ///< sorted by name
    std::vector<K6Threshold> thresholds;           ///< sorted by metric, then expression
    std::optional<std::uint64_t> http_reqs;        ///< http_reqs.count
    std::optional<double> http_reqs_rate;          ///< http_reqs.rate, per second
    std::optional<std::uint64_t> failed_requests;  ///< http_req_failed.passes
    std::optional<std::uint64_t> iterations;       ///< iterations.count
    /// The test run's length: handleSummary's state.testRunDurationMs, else
    /// http_reqs.count / http_reqs.rate (k6 computes the rate over the run's length).
    std::optional<double> duration_s;

    bool thresholds_ok() const;
};

/// Parses summary text of either shape. Errors (not JSON, no `metrics` object) are
/// infrastructure errors naming `label`.
Result<K6Summary> parse_k6_summary(std::string_view text, const std::string& label);

/// Reads and parses the file at `path`.
Result<K6Summary> read_k6_summary(const std::filesystem::path& path);

/// {"checks": [{"name", "passes", "fails"}], "thresholds": [{"metric", "expression", "ok"}]}
/// for StageRun::extra["k6"].
nlohmann::json k6_checks_json(const K6Summary& summary);
nlohmann::json k6_thresholds_json(const K6Summary& summary);

}  // namespace orch
