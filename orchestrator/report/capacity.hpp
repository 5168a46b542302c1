// Capacity across stages: the Universal Scalability Law (Gunther) fitted to the stages
// that ran, X(N) = lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1)), where N is concurrency and
// X throughput. sigma is contention (queueing on a shared resource), kappa coherency
// (crosstalk that makes throughput fall past a peak at N* = sqrt((1-sigma)/kappa)). A
// progressive test measures a few points of this curve; the fit answers "how far can it
// go, where is the knee?" and what size the next stage should have. Little's law
// (in flight = throughput x mean latency) is checked per stage beside it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// One measured point: a stage's concurrency and throughput.
struct CapacityPoint {
    std::string stage;  ///< the stage's name
    /// N: the VUs of a closed-model stage (the mean over its seconds with VUs when they
    /// ramped), the measured in flight of an open-model stage.
    double concurrency = 0;
    double throughput = 0;    ///< X: successful requests per second
    double in_flight = 0;     ///< Little's law: requests/s x mean latency (s), all requests
    std::optional<int> vus;   ///< the configured VUs of a closed-model stage
    bool open_model = false;  ///< the stage had an arrival rate
};

/// The fitted curve. Parameters are constrained: 0 <= sigma <= 1, kappa >= 0, lambda > 0.
struct UslFit {
    double lambda = 0;  ///< throughput of one unit of concurrency without contention
    double sigma = 0;   ///< contention
    double kappa = 0;   ///< coherency
    /// Root mean square of the relative residuals (fitted - measured) / measured, over
    /// the points: 0.05 means the curve is off by about 5% at a typical stage.
    double fit_error = 0;
};

/// Where a measured stage sits on the fitted curve.
enum class CurvePosition {
    scaling,    ///< below 80% of the peak throughput: the curve still climbs
    near_peak,  ///< within 80% of the peak, on the rising side
    past_peak,  ///< beyond N*: more concurrency gave less throughput
};

/// The recommended next stage: its concurrency and the throughput the curve predicts there.
struct NextStage {
    int vus = 0;                     ///< for a closed-model pipeline
    double rate_per_s = 0;           ///< for an open-model pipeline (== expected throughput)
    bool open_model = false;         ///< which of the two applies
    double expected_throughput = 0;  ///< X at the recommended concurrency, per second
    std::string reason;              ///< one line, in words
};

/// The capacity analysis of a run. `fit` is empty (and `why_no_fit` says why) when fewer
/// than three stages with distinct concurrency and some throughput ran.
struct CapacityAnalysis {
    std::vector<CapacityPoint> points;  ///< the stages that ran with load, in order
    std::optional<UslFit> fit;
    std::string why_no_fit;
    /// Peak of the curve; empty when kappa is 0 ("no peak within reach": the curve rises
    /// towards lambda/sigma, or linearly when sigma is 0 too).
    std::optional<double> peak_concurrency;
    std::optional<double> peak_throughput;
    std::vector<double> fitted;  ///< X of the curve at each point's concurrency
    std::vector<CurvePosition> positions;
    std::optional<NextStage> next_stage;
};

/// Least-squares USL fit of throughput against concurrency over `points` (absolute
/// residuals, all three parameters). invalid_input when there are fewer than three
/// points, fewer than three distinct concurrencies, or no positive throughput.
Result<UslFit> fit_usl(const std::vector<CapacityPoint>& points);

/// X(N) of `fit`.
double usl_throughput(const UslFit& fit, double concurrency);

/// N* = sqrt((1 - sigma) / kappa); empty when kappa is 0 or sigma is 1 (no peak).
std::optional<double> usl_peak_concurrency(const UslFit& fit);

/// The points of `report`: every stage that ran and measured some requests per second.
std::vector<CapacityPoint> capacity_points(const RunReport& report);

/// The whole analysis of `points` (fit, peak, positions, next stage).
CapacityAnalysis analyse_capacity(std::vector<CapacityPoint> points);

/// analyse_capacity(capacity_points(report)).
CapacityAnalysis analyse_capacity(const RunReport& report);

/// "scaling", "near peak", "past peak".
std::string_view to_string(CurvePosition position);

/// Little's law check of one point of a closed-model stage: in flight / VUs. Empty for
/// the open model (its concurrency *is* the measured in flight).
std::optional<double> littles_law_ratio(const CapacityPoint& point);

/// results.json `capacity` (SPEC: model, sigma, kappa, peak_throughput, peak_concurrency,
/// fit_error, next_stage, plus lambda and the per-stage points); null without a fit.
nlohmann::ordered_json capacity_json(const CapacityAnalysis& analysis);

/// One paragraph in words: the peak (or "no peak within reach"), the fit's error and the
/// next stage; or why there is no fit.
std::string capacity_summary(const CapacityAnalysis& analysis);

}  // namespace orch
