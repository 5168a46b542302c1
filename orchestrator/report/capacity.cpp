// The USL fit by variable projection: for fixed (sigma, kappa) the model is linear in
// lambda, so the best lambda is closed-form and the search is over two parameters only. A
// coarse grid (sigma linear in [0, 1], kappa logarithmic from 1e-8 to 1, plus 0) finds
// the basin; Nelder-Mead over (sigma, log10 kappa) and a golden-section search on the
// kappa = 0 edge refine it. Deterministic, no dependency, a few ms for a handful of stages.
#include "report/capacity.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "report/run_summary.hpp"

namespace orch {

namespace {

using ojson = nlohmann::ordered_json;

constexpr double k_near_peak_share = 0.8;  // fitted X at 80% of the peak or more: near it
constexpr double k_log_kappa_min = -8.0;   // below 1e-8 kappa makes no difference here

double denominator(double n, double sigma, double kappa) {
    return 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0);
}

struct Projected {
    double lambda = 0;
    double sse = 0;
};

// The best lambda for (sigma, kappa) and the sum of squared residuals with it.
Projected project(const std::vector<CapacityPoint>& points, double sigma, double kappa) {
    double xg = 0;
    double gg = 0;
    for (const auto& p : points) {
        double g = p.concurrency / denominator(p.concurrency, sigma, kappa);
        xg += p.throughput * g;
        gg += g * g;
    }
    Projected out;
    out.lambda = gg > 0 ? std::max(xg / gg, 0.0) : 0.0;
    for (const auto& p : points) {
        double g = p.concurrency / denominator(p.concurrency, sigma, kappa);
        double r = p.throughput - out.lambda * g;
        out.sse += r * r;
    }
    return out;
}

struct Candidate {
    double sigma = 0;
    double kappa = 0;
    double sse = 0;
};

double kappa_of(double log_kappa) {
    return log_kappa <= k_log_kappa_min ? 0.0 : std::pow(10.0, log_kappa);
}

Candidate evaluate(const std::vector<CapacityPoint>& points, double sigma, double log_kappa) {
    sigma = std::clamp(sigma, 0.0, 1.0);
    double kappa = kappa_of(log_kappa);
    return {sigma, kappa, project(points, sigma, kappa).sse};
}

// Nelder-Mead over (sigma, log10 kappa) from `start`; parameters are clamped inside
// evaluate(), so the simplex may lean on the bounds.
Candidate nelder_mead(const std::vector<CapacityPoint>& points, Candidate start) {
    using Vertex = std::array<double, 2>;
    double start_log = start.kappa > 0 ? std::log10(start.kappa) : k_log_kappa_min + 0.5;
    std::array<Vertex, 3> v = {Vertex{start.sigma, start_log},
                               Vertex{std::min(start.sigma + 0.05, 1.0), start_log},
                               Vertex{start.sigma, start_log + 0.3}};
    std::array<double, 3> f{};
    auto cost = [&](const Vertex& x) { return evaluate(points, x[0], x[1]).sse; };
    for (std::size_t i = 0; i < 3; ++i) {
        f[i] = cost(v[i]);
    }
    for (int iteration = 0; iteration < 4000; ++iteration) {
        std::array<std::size_t, 3> order = {0, 1, 2};
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return f[a] < f[b]; });
        const Vertex best = v[order[0]];
        const Vertex good = v[order[1]];
        const Vertex worst = v[order[2]];
        double span = std::abs(v[order[2]][0] - best[0]) + std::abs(v[order[2]][1] - best[1]);
        if (span < 1e-12) {
            break;
        }
        Vertex centroid = {(best[0] + good[0]) / 2, (best[1] + good[1]) / 2};
        auto along = [&](double t) {
            return Vertex{centroid[0] + t * (worst[0] - centroid[0]),
                          centroid[1] + t * (worst[1] - centroid[1])};
        };
        Vertex reflected = along(-1.0);
        double fr = cost(reflected);
        if (fr < f[order[0]]) {
            Vertex expanded = along(-2.0);
            double fe = cost(expanded);
            v[order[2]] = fe < fr ? expanded : reflected;
            f[order[2]] = std::min(fe, fr);
        } else if (fr < f[order[1]]) {
            v[order[2]] = reflected;
            f[order[2]] = fr;
        } else {
            Vertex contracted = fr < f[order[2]] ? along(-0.5) : along(0.5);
            double fc = cost(contracted);
            if (fc < std::min(fr, f[order[2]])) {
                v[order[2]] = contracted;
                f[order[2]] = fc;
            } else {
                // Shrink towards the best vertex.
                for (std::size_t i : {order[1], order[2]}) {
                    v[i] = {(v[i][0] + best[0]) / 2, (v[i][1] + best[1]) / 2};
                    f[i] = cost(v[i]);
                }
            }
        }
    }
    std::size_t best = static_cast<std::size_t>(std::min_element(f.begin(), f.end()) - f.begin());
    return evaluate(points, v[best][0], v[best][1]);
}

// Golden-section search of sigma on the kappa = 0 edge (the curve without a peak).
Candidate golden_sigma(const std::vector<CapacityPoint>& points) {
    const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
    double a = 0;
    double b = 1;
    for (int i = 0; i < 200 && b - a > 1e-12; ++i) {
        double c = b - ratio * (b - a);
        double d = a + ratio * (b - a);
        if (project(points, c, 0).sse < project(points, d, 0).sse) {
            b = d;
        } else {
            a = c;
        }
    }
    double sigma = (a + b) / 2;
    return {sigma, 0.0, project(points, sigma, 0).sse};
}

std::size_t distinct_concurrencies(const std::vector<CapacityPoint>& points) {
    std::set<double> distinct;
    for (const auto& p : points) {
        distinct.insert(std::round(p.concurrency * 1000.0) / 1000.0);
    }
    return distinct.size();
}

std::string trimmed(double value, int decimals) {
    std::string s = fmt::format("{:.{}f}", value, decimals);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') {
            s.pop_back();
        }
        if (!s.empty() && s.back() == '.') {
            s.pop_back();
        }
    }
    return s;
}

// Concurrency where the kappa = 0 curve reaches 90% of its ceiling lambda/sigma.
double levelling_concurrency(const UslFit& fit) {
    return std::max(1.0, 9.0 * (1.0 - fit.sigma) / fit.sigma);
}

NextStage recommend(const CapacityAnalysis& a, const UslFit& fit) {
    double largest = 0;
    for (const auto& p : a.points) {
        largest = std::max(largest, p.concurrency);
    }
    NextStage next;
    next.open_model = a.points.back().open_model;
    double n = 0;
    if (a.peak_concurrency) {
        double peak = *a.peak_concurrency;
        if (largest < peak) {
            n = std::min(peak, 2.0 * largest);
            next.reason = n < peak
                              ? "the curve still climbs towards its peak at N=" + trimmed(peak, 1) +
                                    "; at most double the largest stage, since the fit "
                                    "is less sure beyond the measured points"
                              : "the peak of the curve: beyond it more concurrency "
                                "gives less throughput";
        } else {
            n = peak;
            next.reason = "the largest stage is already past the peak at N=" + trimmed(peak, 1) +
                          "; more concurrency loses throughput, so size the next stage at the "
                          "peak (or remove the contention first)";
        }
    } else if (fit.sigma > 0 && levelling_concurrency(fit) <= largest) {
        n = levelling_concurrency(fit);
        next.reason = "no peak within reach, but throughput levels off at about " +
                      trimmed(fit.lambda / fit.sigma, 1) + "/s; more concurrency adds only latency";
    } else {
        n = 2.0 * largest;
        if (fit.sigma > 0) {
            n = std::min(n, std::max(levelling_concurrency(fit), largest + 1));
        }
        next.reason = "no peak within reach: throughput still grows with concurrency";
    }
    n = std::max(1.0, std::round(n));
    next.vus = static_cast<int>(n);
    next.expected_throughput = usl_throughput(fit, n);
    next.rate_per_s = std::round(next.expected_throughput);
    return next;
}

// A closed-model stage's concurrency: its VUs, or, when the series shows a ramp (seconds
// with fewer active VUs), the mean of the seconds that had any. Seconds with none are the
// stage's end (VUs stopping), not load.
double mean_active_vus(const StageReport& stage) {
    double sum = 0;
    int seconds = 0;
    bool ramped = false;
    for (const auto& point : stage.series) {
        if (point.vus > 0) {
            sum += point.vus;
            ++seconds;
            ramped = ramped || point.vus != stage.vus;
        }
    }
    return ramped && seconds > 0 ? sum / seconds : static_cast<double>(stage.vus);
}

}  // namespace

double usl_throughput(const UslFit& fit, double concurrency) {
    return fit.lambda * concurrency / denominator(concurrency, fit.sigma, fit.kappa);
}

std::optional<double> usl_peak_concurrency(const UslFit& fit) {
    if (fit.kappa <= 0 || fit.sigma >= 1) {
        return std::nullopt;
    }
    return std::sqrt((1.0 - fit.sigma) / fit.kappa);
}

Result<UslFit> fit_usl(const std::vector<CapacityPoint>& points) {
    if (points.size() < 3) {
        return fail(ErrorCode::invalid_input,
                    std::to_string(points.size()) + (points.size() == 1 ? " stage" : " stages") +
                        " with load ran; a capacity fit needs three or more");
    }
    if (distinct_concurrencies(points) < 3) {
        return fail(ErrorCode::invalid_input,
                    "the stages ran at fewer than three different concurrencies; a capacity "
                    "fit needs three");
    }
    bool any_throughput = std::any_of(points.begin(), points.end(),
                                      [](const CapacityPoint& p) { return p.throughput > 0; });
    if (!any_throughput) {
        return fail(ErrorCode::invalid_input, "no stage completed a successful request");
    }

    Candidate best = golden_sigma(points);
    Candidate grid_best = best;
    for (int s = 0; s <= 100; ++s) {
        for (int k = 0; k <= 80; ++k) {
            Candidate c = evaluate(points, s / 100.0, k_log_kappa_min + k * 0.1);
            if (c.sse < grid_best.sse) {
                grid_best = c;
            }
        }
    }
    for (const Candidate& start : {grid_best, best}) {
        Candidate refined = nelder_mead(points, start);
        if (refined.sse < best.sse) {
            best = refined;
        }
    }
    if (grid_best.sse < best.sse) {
        best = grid_best;
    }

    UslFit fit;
    fit.sigma = best.sigma;
    fit.kappa = best.kappa;
    fit.lambda = project(points, best.sigma, best.kappa).lambda;
    double sum = 0;
    std::size_t counted = 0;
    for (const auto& p : points) {
        if (p.throughput > 0) {
            double r = (usl_throughput(fit, p.concurrency) - p.throughput) / p.throughput;
            sum += r * r;
            ++counted;
        }
    }
    fit.fit_error = counted > 0 ? std::sqrt(sum / static_cast<double>(counted)) : 0.0;
    return fit;
}

std::vector<CapacityPoint> capacity_points(const RunReport& report) {
    std::vector<CapacityPoint> points;
    for (const auto& stage : report.stages) {
        if (!stage_ran(stage)) {
            continue;
        }
        auto rps = stage.metrics.get("rps");
        auto avg = stage.metrics.get("avg");
        if (!rps || *rps <= 0 || !avg) {
            continue;  // no load (an observe stage) or nothing measured
        }
        CapacityPoint p;
        p.stage = stage.name;
        // Goodput: fast failures must not look like capacity.
        double success = stage.metrics.get("success_rate").value_or(100.0) / 100.0;
        p.throughput = *rps * success;
        p.in_flight = *rps * *avg / 1000.0;
        p.open_model = !stage.rate.empty();
        if (p.open_model) {
            p.concurrency = p.in_flight;
        } else {
            p.vus = stage.vus;
            p.concurrency = mean_active_vus(stage);
        }
        if (p.concurrency > 0) {
            points.push_back(std::move(p));
        }
    }
    return points;
}

CapacityAnalysis analyse_capacity(std::vector<CapacityPoint> points) {
    CapacityAnalysis a;
    a.points = std::move(points);
    auto fit = fit_usl(a.points);
    if (!fit) {
        a.why_no_fit = fit.error().message;
        return a;
    }
    a.fit = *fit;
    a.peak_concurrency = usl_peak_concurrency(*fit);
    if (a.peak_concurrency) {
        a.peak_throughput = usl_throughput(*fit, *a.peak_concurrency);
    }
    double ceiling = a.peak_throughput.value_or(fit->sigma > 0 ? fit->lambda / fit->sigma : 0.0);
    for (const auto& p : a.points) {
        double x = usl_throughput(*fit, p.concurrency);
        a.fitted.push_back(x);
        if (a.peak_concurrency && p.concurrency > *a.peak_concurrency * 1.0001) {
            a.positions.push_back(CurvePosition::past_peak);
        } else if (ceiling > 0 && x >= k_near_peak_share * ceiling) {
            a.positions.push_back(CurvePosition::near_peak);
        } else {
            a.positions.push_back(CurvePosition::scaling);
        }
    }
    a.next_stage = recommend(a, *fit);
    return a;
}

CapacityAnalysis analyse_capacity(const RunReport& report) {
    return analyse_capacity(capacity_points(report));
}

std::string_view to_string(CurvePosition position) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (position) {
        case CurvePosition::scaling:
            return "scaling";
        case CurvePosition::near_peak:
            return "near peak";
        case CurvePosition::past_peak:
            return "past peak";
    }
    return "scaling";
}

std::optional<double> littles_law_ratio(const CapacityPoint& point) {
    if (point.open_model || !point.vus || *point.vus <= 0) {
        return std::nullopt;
    }
    return point.in_flight / *point.vus;
}

nlohmann::ordered_json capacity_json(const CapacityAnalysis& a) {
    if (!a.fit) {
        return nullptr;
    }
    auto number = [](std::optional<double> v) {
        return v && std::isfinite(*v) ? ojson(*v) : ojson(nullptr);
    };
    ojson j = ojson::object();
    j["model"] = "usl";
    j["sigma"] = a.fit->sigma;
    j["kappa"] = a.fit->kappa;
    j["lambda"] = a.fit->lambda;
    j["peak_throughput"] = number(a.peak_throughput);
    j["peak_concurrency"] = number(a.peak_concurrency);
    j["fit_error"] = a.fit->fit_error;
    ojson next = ojson::object();
    if (a.next_stage) {
        next["vus"] = a.next_stage->open_model ? ojson(nullptr) : ojson(a.next_stage->vus);
        next["rate"] = a.next_stage->open_model ? ojson(trimmed(a.next_stage->rate_per_s, 0) + "/s")
                                                : ojson(nullptr);
        next["expected_throughput"] = a.next_stage->expected_throughput;
        next["reason"] = a.next_stage->reason;
    }
    j["next_stage"] = std::move(next);
    ojson stages = ojson::array();
    for (std::size_t i = 0; i < a.points.size(); ++i) {
        const CapacityPoint& p = a.points[i];
        ojson s = ojson::object();
        s["name"] = p.stage;
        s["concurrency"] = p.concurrency;
        s["throughput"] = p.throughput;
        s["fitted_throughput"] = a.fitted[i];
        s["position"] = std::string(to_string(a.positions[i]));
        s["in_flight"] = p.in_flight;
        s["littles_law_ratio"] = number(littles_law_ratio(p));
        stages.push_back(std::move(s));
    }
    j["stages"] = std::move(stages);
    return j;
}

std::string capacity_summary(const CapacityAnalysis& a) {
    if (!a.fit) {
        return "No capacity fit: " + a.why_no_fit + ".";
    }
    std::string out;
    if (a.peak_concurrency && a.peak_throughput) {
        out = "Estimated peak: " + trimmed(*a.peak_throughput, 1) +
              " requests/s at a concurrency of " + trimmed(*a.peak_concurrency, 1) + ".";
    } else if (a.fit->sigma > 0) {
        out = "No peak within reach (kappa = 0): throughput approaches " +
              trimmed(a.fit->lambda / a.fit->sigma, 1) + " requests/s.";
    } else {
        out =
            "No peak within reach (kappa = 0, sigma = 0): throughput grows linearly with "
            "concurrency.";
    }
    out += " USL fit: sigma " + trimmed(a.fit->sigma, 4) + ", kappa " + trimmed(a.fit->kappa, 6) +
           ", lambda " + trimmed(a.fit->lambda, 2) + "/s, error " +
           trimmed(a.fit->fit_error * 100.0, 1) + "% (RMS relative).";
    if (a.next_stage) {
        out += " Next stage: " +
               (a.next_stage->open_model ? trimmed(a.next_stage->rate_per_s, 0) + "/s"
                                         : std::to_string(a.next_stage->vus) + " VUs") +
               " (expected " + trimmed(a.next_stage->expected_throughput, 1) +
               " requests/s): " + a.next_stage->reason + ".";
    }
    return out;
}

}  // namespace orch
