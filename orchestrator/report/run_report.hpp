// RunReport: the results model every output is rendered from (report.md, report.html,
// junit.xml, results.json, the console table), and what `stagegate report` reads back
// from results.json. to_json/from_json define results.json (`stagegate.results/v1`).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/exit_code.hpp"
#include "core/json_box.hpp"
#include "core/result.hpp"
#include "criteria/criterion.hpp"
#include "metrics/snapshot.hpp"
#include "report/part.hpp"

namespace orch {

// --- Interface ---

/// One operation's part of a SeriesPoint.
struct OperationPoint {
    double rps = 0;                       ///< mean requests per second over the point
    double errors = 0;                    ///< failed requests in the point (a count)
    std::optional<double> p50, p95, p99;  ///< ms; the worst second's value in a merged point
};

/// One second of a stage, for charts (results.json `series`). Past
/// k_series_point_limit points, adjacent seconds are merged (BoundedSeries) and the point
/// covers StageReport::series_bucket_s seconds: rps is then the mean, errors the sum,
/// quantiles, rss_mb and vus the maximum of the merged seconds.
struct SeriesPoint {
    double t_s = 0;  ///< seconds since the stage started, at the end of the point
    double rps = 0;
    double errors = 0;                    ///< failed requests in the point (a count)
    std::optional<double> p50, p95, p99;  ///< ms, over this second
    /// ms, over this second, of the responses that succeeded / that failed (4xx, 429, 5xx,
    /// expect); nullopt when there were none. Failures without a response (timeouts,
    /// refused, reset...) have no latency: they count in `errors` only.
    std::optional<double> succeeded_p50, succeeded_p95, succeeded_p99;
    std::optional<double> failed_p50, failed_p95, failed_p99;
    std::optional<double> rss_mb;
    int vus = 0;
    /// Per operation (those that sent a request in the point), by name.
    std::map<std::string, OperationPoint, std::less<>> operations;
};

/// A health answer at a moment (before/after a stage).
struct HealthSample {
    std::string at;  ///< ISO-8601
    int status = 0;  ///< HTTP status, 0 when no answer
    JsonBox body;    ///< parsed JSON, or null
    std::optional<double> uptime_s;
    std::optional<double> rss_mb;
};

struct StageReport {
    std::string name;
    Verdict verdict = Verdict::skipped;
    std::string reason;  ///< one line: why this verdict
    std::string started_at;
    double duration_s = 0;
    // load as configured
    int vus = 0;
    std::string rate;  ///< "200/s" or "50/s..500/s", empty for closed model
    int max_vus = 0;
    double planned_duration_s = 0;
    /// Operation mix asked for: percent of requests per operation, from the scenario's
    /// weights (a flow's steps each get the flow's weight). Empty when not known.
    std::map<std::string, double, std::less<>> mix;
    double think_time_s = 0;  ///< configured pause between a VU's iterations
    /// Metrics; names as Snapshot (request metrics plus backend.*).
    Snapshot metrics;
    std::vector<std::string> operations;  ///< operation names present in metrics
    std::vector<CriterionResult> criteria;
    std::vector<SeriesPoint> series;
    double series_bucket_s = 1;  ///< seconds one full series point covers
    /// Cooldown waited right before this stage, seconds (0 for the first stage).
    double cooldown_s = 0;
    std::optional<HealthSample> health_before;
    std::optional<HealthSample> health_after;
    std::vector<std::string> hints;     ///< root-cause hints, each naming its evidence
    JsonBox extra = JsonBox::object();  ///< executor extras
    /// `traffic: 10%` of the stage (results.json `traffic`, percent), when it has one.
    std::optional<double> traffic_percent;
    bool observe = false;  ///< an observe stage: no synthetic load (results.json `observe`)
    /// A segment's lossless measurement of the stage (results.json `part`, report/part.hpp):
    /// set by `run --segment`, read back for `stagegate merge`; null otherwise.
    std::shared_ptr<const StagePart> part;
};

/// One hook that ran (results.json `hooks[]`).
struct HookRecord {
    std::string stage;              ///< empty for a run-level hook (null in results.json)
    std::string kind;               ///< before_run, after_run, before, after, on_fail
    std::vector<std::string> argv;  ///< redacted
    std::optional<int> exit_code;   ///< nullopt when it did not exit by itself
    double duration_s = 0;
    bool timed_out = false;
    std::string error;  ///< why there is no exit code (timed out, signal, cannot start)
    bool succeeded() const { return exit_code && *exit_code == 0; }
};

struct RunReport {
    Verdict verdict = Verdict::pass;
    int exit_code = 0;
    std::string reason;  ///< run-level reason (e.g. "backend never became healthy: ...")
    std::string pipeline_name;
    std::string pipeline_file;
    std::string pipeline_sha256;
    std::string run_id;
    std::string started_at;
    std::string finished_at;
    std::string version;
    std::string executor;
    std::string base_url;
    std::vector<StageReport> stages;
    std::string highest_passed_stage;           ///< empty when none passed
    std::vector<std::string> backend_log_tail;  ///< last lines of backend.log (redacted)
    std::string recommendation;                 ///< next-stage recommendation, in words
    /// Run-level warnings every report shows (e.g. "TLS verification is off"); results.json
    /// carries `warnings` only when there is one.
    std::vector<std::string> warnings;
    std::vector<HookRecord> hooks;  ///< in the order they ran
    /// `run --segment I/N`: which share of which pipeline this is (results.json `segment`).
    std::optional<PartInfo> part_info;
};

/// results.json (schema `stagegate.results/v1`): metrics nested at the dots as SPEC says.
nlohmann::json to_json(const RunReport& report);

/// The same document with its keys in reading order ("schema" and "verdict" first), for
/// writing results.json; to_json is this with nlohmann::json's sorted keys.
nlohmann::ordered_json to_ordered_json(const RunReport& report);

/// The `schema` value of results.json.
inline constexpr std::string_view k_results_schema_id = "stagegate.results/v1";

/// Reads results.json back; invalid_input naming the problem for a file of another shape.
Result<RunReport> run_report_from_json(const nlohmann::json& json);

}  // namespace orch
