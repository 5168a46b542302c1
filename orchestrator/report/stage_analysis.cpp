#include "report/stage_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"

namespace orch {

namespace {

/// Memory growth over a stage worth a person's attention, percent of the RSS at its start.
constexpr double k_memory_growth_seen_percent = 20;
/// p95 this many times the previous stage's: latency rises faster than the load.
constexpr double k_latency_rise_seen = 3;
/// Measured in-flight requests below this share of what the load should keep in flight:
/// the generator, not the server, limited throughput.
constexpr double k_in_flight_short = 0.5;
/// Generator CPU above this percent of its threads: it may be the bottleneck.
constexpr double k_generator_cpu_busy = 80;

double metric_or(const StageReport& stage, std::string_view name, double fallback = 0) {
    return stage.metrics.get(name).value_or(fallback);
}

bool ceiling(const Criterion& c) {
    return c.op == CompareOp::lt || c.op == CompareOp::le;
}

std::string count_of(double value, double requests) {
    return format_count(value) + " of " + format_count(requests) + " requests";
}

std::optional<double> extra_number(const StageReport& stage, const char* key) {
    if (!stage.extra->is_object()) {
        return std::nullopt;
    }
    auto it = stage.extra->find(key);
    if (it == stage.extra->end() || !it->is_number()) {
        return std::nullopt;
    }
    return it->get<double>();
}

// The last number of a rate text: "200/s" -> 200, "50/s..500/s" -> 500.
std::optional<double> last_rate(const std::string& rate) {
    if (rate.empty()) {
        return std::nullopt;
    }
    std::size_t at = rate.rfind("..");
    std::string last = at == std::string::npos ? rate : rate.substr(at + 2);
    char* end = nullptr;
    double value = std::strtod(last.c_str(), &end);
    if (end == last.c_str() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// `text` on one line and at most `max_chars` code points, with "…" when cut.
std::string one_line(std::string_view text, std::size_t max_chars) {
    std::string out;
    std::size_t count = 0;
    bool cut = false;
    for_each_code_point(text, [&](char32_t c) {
        if (count >= max_chars) {
            cut = true;
            return;
        }
        append_utf8(out, c < 0x20 || c == 0x7f ? U' ' : c);
        ++count;
    });
    if (cut) {
        out += "\u2026";
    }
    return out;
}

}  // namespace

std::vector<FailedCriterion> failed_criteria(const RunReport& report) {
    std::vector<FailedCriterion> failed;
    for (const auto& stage : report.stages) {
        if (!stage_ran(stage)) {
            continue;
        }
        for (const auto& result : stage.criteria) {
            if (!result.pass && result.criterion.severity == Severity::fail) {
                failed.push_back({&stage, &result});
            }
        }
    }
    return failed;
}

std::string spoken_metric(const Criterion& criterion) {
    // "send.p95" -> "send p95", "backend.memory_growth" -> "backend memory growth";
    // error kinds keep their names ("errors.status_5xx" -> "errors status_5xx").
    std::string text = criterion.metric;
    bool error_kind = text.find("errors.") != std::string::npos;
    for (char& c : text) {
        if (c == '.' || (c == '_' && !error_kind)) {
            c = ' ';
        }
    }
    return text;
}

std::optional<int> peak_vus(const StageReport& stage) {
    std::optional<int> peak;
    for (const auto& point : stage.series) {
        if (point.vus > 0) {
            peak = std::max(peak.value_or(0), point.vus);
        }
    }
    return peak;
}

std::optional<double> planned_rate(const StageReport& stage) {
    return last_rate(stage.rate);
}

std::string stage_summary(const StageReport& stage) {
    if (!stage_ran(stage)) {
        return stage.name + " did not run: " + (stage.reason.empty() ? "skipped" : stage.reason) +
               ". Planned load: " + format_load(stage) + ".";
    }
    int met = 0;
    int fail_criteria = 0;
    std::vector<const CriterionResult*> missed;
    const CriterionResult* tightest = nullptr;
    double tightest_share = -1;
    for (const auto& r : stage.criteria) {
        met += r.pass ? 1 : 0;
        if (r.criterion.severity == Severity::fail) {
            ++fail_criteria;
        }
        if (!r.pass && r.criterion.severity == Severity::fail) {
            missed.push_back(&r);
        }
        if (r.pass && r.actual && ceiling(r.criterion) && r.criterion.target > 0 &&
            std::isfinite(r.criterion.target)) {
            // Latency limits first: they are what a person reads the sentence for.
            double share = *r.actual / r.criterion.target +
                           (r.criterion.unit == MetricUnit::milliseconds ? 1000.0 : 0.0);
            if (share > tightest_share) {
                tightest_share = share;
                tightest = &r;
            }
        }
    }
    std::string text =
        stage.name + " " +
        (stage.verdict == Verdict::pass ? std::string("passed")
                                        : std::string(to_string(stage.verdict)) + ":");
    std::size_t total = stage.criteria.size();
    if (stage.verdict == Verdict::pass) {
        text += " " + std::to_string(met) + "/" + std::to_string(total) + " criteria";
    } else {
        text += " " + std::to_string(met) + " of " + std::to_string(total) + " criteria met";
    }
    for (const auto* r : missed) {
        text += "; " + spoken_metric(r->criterion) + " ";
        if (!r->actual) {
            text += "had no data";
            continue;
        }
        text += format_short(*r->actual, r->criterion.unit) + " (target " +
                format_target(r->criterion) + ", " + format_distance(*r) + ")";
    }
    if (tightest != nullptr) {
        text += "; " + spoken_metric(tightest->criterion) + " " +
                format_short(*tightest->actual, tightest->criterion.unit) + " is " +
                format_significant(*tightest->actual / tightest->criterion.target * 100) +
                "% of its " + format_short(tightest->criterion.target, tightest->criterion.unit) +
                " limit";
    }
    text += ".";
    double requests = metric_or(stage, "requests");
    if (requests > 0) {
        text += " " + format_count(requests) + " requests at " +
                format_short(metric_or(stage, "rps"), MetricUnit::per_second);
        double errors = metric_or(stage, "errors");
        if (errors > 0) {
            text += ", " + format_count(errors) + " failed (" +
                    format_significant(errors * 100 / requests) + "%:";
            std::vector<std::string> kinds;
            for (const auto& kind : error_kinds_seen(stage)) {
                if (auto n = stage.metrics.get("errors." + kind); n && *n > 0) {
                    kinds.push_back(kind + " " + format_count(*n));
                }
            }
            text += (kinds.empty() ? "" : " ") + fmt::format("{})", fmt::join(kinds, ", "));
        } else {
            text += ", none failed";
        }
        text += ".";
    }
    auto start = stage.metrics.get("backend.rss_start");
    auto end = stage.metrics.get("backend.rss_end");
    if (start && end) {
        double change = *end - *start;
        text += std::string(" The backend's RSS ") + (change >= 0 ? "grew " : "fell ") +
                format_short(std::fabs(change), MetricUnit::megabytes) + " (" +
                format_short(*start, MetricUnit::megabytes) + " to " +
                format_short(*end, MetricUnit::megabytes) + ").";
    }
    if (double crashes = metric_or(stage, "backend.crashes"); crashes > 0) {
        text += " The backend crashed.";
    }
    return text;
}

std::vector<CauseCheck> cause_checklist(const StageReport& stage, const StageReport* previous) {
    std::vector<CauseCheck> checks;
    double requests = metric_or(stage, "requests");
    auto counted = [&](std::string cause, const std::string& metric) {
        double n = metric_or(stage, metric);
        checks.push_back({std::move(cause), n > 0, metric + " = " + count_of(n, requests)});
    };
    counted("Backend not reachable (connection refused)", "errors.connection_refused");
    counted("Connections reset by the backend", "errors.connection_reset");
    counted("Requests timed out (backend saturated or blocked)", "errors.timeout");
    counted("Rate limiting (429 Too Many Requests)", "errors.status_429");
    counted("Server errors (5xx)", "errors.status_5xx");
    {
        // 4xx other than 429: the load script's requests, per operation.
        std::vector<std::string> evidence;
        bool seen = false;
        double total =
            metric_or(stage, "errors.status_4xx") - metric_or(stage, "errors.status_429");
        for (const auto& op : stage.operations) {
            double n = metric_or(stage, op + ".errors.status_4xx") -
                       metric_or(stage, op + ".errors.status_429");
            if (n > 0) {
                evidence.push_back(op + " " + format_count(n));
            }
        }
        seen = total > 0;
        checks.push_back(
            {"Client errors (4xx): wrong requests in the load script", seen,
             "errors.status_4xx without 429 = " + count_of(std::max(total, 0.0), requests) +
                 (evidence.empty() ? "" : fmt::format(" ({})", fmt::join(evidence, ", ")))});
    }
    {
        std::vector<std::string> evidence;
        bool seen = false;
        for (const auto& kind : error_kinds_seen(stage)) {
            if (kind.rfind("body.", 0) == 0) {
                double n = metric_or(stage, "errors." + kind);
                seen = seen || n > 0;
                evidence.push_back("errors." + kind + " = " + format_count(n));
            }
        }
        checks.push_back({"Application errors in response bodies (body patterns)", seen,
                          evidence.empty() ? "no body pattern matched"
                                           : fmt::format("{}", fmt::join(evidence, ", "))});
    }
    {
        double crashes = metric_or(stage, "backend.crashes");
        checks.push_back({"Backend crashed", crashes > 0,
                          stage.metrics.get("backend.crashes")
                              ? "backend.crashes = " + format_count(crashes)
                              : std::string("backend not supervised (attach mode)")});
    }
    {
        double failures = metric_or(stage, "backend.health_failures");
        checks.push_back({"Health checks failed during the stage", failures > 0,
                          "backend.health_failures = " + format_count(failures)});
    }
    {
        auto growth = stage.metrics.get("backend.memory_growth");
        std::string evidence = growth ? "backend.memory_growth = " + format_percent(*growth)
                                      : std::string("no RSS measured");
        auto start = stage.metrics.get("backend.rss_start");
        auto end = stage.metrics.get("backend.rss_end");
        if (start && end) {
            evidence += " (" + format_megabytes(*start) + " to " + format_megabytes(*end) + ")";
        }
        evidence += "; seen above " + format_trimmed(k_memory_growth_seen_percent, 0) + "%";
        checks.push_back({"Memory growing during the stage (leak or unbounded cache)",
                          growth && *growth > k_memory_growth_seen_percent, evidence});
    }
    {
        auto p95 = stage.metrics.get("p95");
        double before = previous != nullptr ? previous->metrics.get("p95").value_or(0) : 0;
        CauseCheck check{"Latency rising faster than the load (saturation, pool exhaustion)", false,
                         "no previous stage to compare with"};
        if (p95 && before > 0) {
            double rise = *p95 / before;
            check.seen = rise > k_latency_rise_seen;
            check.evidence = "p95 " + format_latency(*p95) + " against " + format_latency(before) +
                             " in " + previous->name + " (" + format_significant(rise) +
                             "x; seen above " + format_trimmed(k_latency_rise_seen, 0) + "x)";
        } else if (!p95) {
            check.evidence = "no latency measured";
        }
        checks.push_back(std::move(check));
    }
    {
        // Little's law: in flight = rate x mean latency. A closed model with think time t
        // keeps VUs x latency / (latency + t) requests in flight; an open one at most max_vus.
        CauseCheck check{"Load generator, not the server, limited throughput", false, ""};
        auto rps = stage.metrics.get("rps");
        auto avg = stage.metrics.get("avg");
        auto cpu = extra_number(stage, "generator_cpu_percent");
        auto dropped = extra_number(stage, "dropped");
        std::vector<std::string> evidence;
        if (rps && avg) {
            double in_flight = *rps * *avg / 1000.0;
            std::string line = "in flight " + format_significant(in_flight) + " (" +
                               format_short(*rps, MetricUnit::per_second) + " \u00d7 " +
                               format_latency(*avg) + ")";
            if (stage.rate.empty() && stage.vus > 0) {
                double expected = stage.vus * *avg / (*avg + stage.think_time_s * 1000.0);
                line += " of " + format_significant(expected) + " the " +
                        std::to_string(stage.vus) + " VUs should keep";
                check.seen = check.seen || in_flight < k_in_flight_short * expected;
            } else if (stage.max_vus > 0) {
                line += " of at most " + std::to_string(stage.max_vus);
                check.seen = check.seen || in_flight >= 0.9 * stage.max_vus;
            }
            evidence.push_back(line);
        }
        if (cpu) {
            evidence.push_back("generator CPU " + format_percent(*cpu));
            check.seen = check.seen || *cpu > k_generator_cpu_busy;
        }
        if (dropped && *dropped > 0) {
            evidence.push_back(format_count(*dropped) + " scheduled requests dropped");
            check.seen = true;
        }
        if (stage.verdict == Verdict::inconclusive) {
            check.seen = true;
        }
        for (const auto& e : evidence) {
            check.evidence += (check.evidence.empty() ? "" : "; ") + e;
        }
        if (check.evidence.empty()) {
            check.evidence = "no rate or latency measured";
        }
        checks.push_back(std::move(check));
    }
    return checks;
}

std::vector<FailureGroup> failure_groups(const StageReport& stage, std::size_t per_group,
                                         std::size_t max_chars) {
    std::vector<FailureGroup> groups;
    if (!stage.extra->is_object()) {
        return groups;
    }
    auto it = stage.extra->find("failure_samples");
    if (it == stage.extra->end() || !it->is_array()) {
        return groups;
    }
    for (const auto& sample : *it) {
        if (!sample.is_object()) {
            continue;
        }
        auto text = [&](const char* key) {
            auto v = sample.find(key);
            return v != sample.end() && v->is_string() ? v->get<std::string>() : std::string();
        };
        FailureGroup key{text("operation"), text("error"), 0, 0, {}};
        if (auto s = sample.find("status"); s != sample.end() && s->is_number_integer()) {
            key.status = s->get<int>();
        }
        auto group = std::find_if(groups.begin(), groups.end(), [&](const FailureGroup& g) {
            return g.operation == key.operation && g.error == key.error && g.status == key.status;
        });
        if (group == groups.end()) {
            groups.push_back(key);
            group = groups.end() - 1;
        }
        ++group->samples;
        std::string body = text("body");
        if (body.empty()) {
            body = text("message");
        }
        if (!body.empty() && group->bodies.size() < per_group) {
            group->bodies.push_back(one_line(body, max_chars));
        }
    }
    return groups;
}

std::optional<NextStageOutlook> next_stage_outlook(const RunReport& report, std::size_t index) {
    if (index + 1 >= report.stages.size()) {
        return std::nullopt;
    }
    const StageReport& stage = report.stages[index];
    const StageReport& next = report.stages[index + 1];
    NextStageOutlook outlook;
    outlook.load = format_load(next);
    for (const auto& r : next.criteria) {
        outlook.criteria.push_back(r.criterion.expr);
    }
    if (stage.verdict != Verdict::pass) {
        outlook.verdict = "not worth running yet";
        outlook.reasoning =
            "\"" + stage.name + "\" did not pass (" + std::string(to_string(stage.verdict)) +
            "): fix what failed here first; \"" + next.name + "\" asks for more load.";
        return outlook;
    }
    double rps = metric_or(stage, "rps");
    std::optional<double> next_rps = planned_rate(next);
    std::string basis = next_rps ? "its arrival rate" : "";
    if (!next_rps && next.rate.empty() && stage.rate.empty() && stage.vus > 0 && next.vus > 0) {
        next_rps = rps * next.vus / stage.vus;
        basis = "this stage's " + format_short(rps / stage.vus, MetricUnit::per_second) +
                " per VU \u00d7 " + std::to_string(next.vus) + " VUs";
    }
    // The tightest ceiling criterion that passed: how many times its limit exceeds the value.
    const CriterionResult* tightest = nullptr;
    double headroom = 0;
    for (const auto& r : stage.criteria) {
        if (r.pass && r.actual && *r.actual > 0 && ceiling(r.criterion) &&
            std::isfinite(r.criterion.target) && r.criterion.unit == MetricUnit::milliseconds) {
            double h = r.criterion.target / *r.actual;
            if (tightest == nullptr || h < headroom) {
                tightest = &r;
                headroom = h;
            }
        }
    }
    if (!next_rps || rps <= 0) {
        outlook.verdict = "unknown";
        outlook.reasoning = "the next stage's request rate cannot be estimated from this one.";
        return outlook;
    }
    double factor = *next_rps / rps;
    outlook.reasoning = "\"" + next.name + "\" asks for about " +
                        format_short(*next_rps, MetricUnit::per_second) + " (" + basis + "), " +
                        format_significant(factor) + "x the " +
                        format_short(rps, MetricUnit::per_second) + " measured here";
    if (tightest == nullptr) {
        outlook.verdict = factor <= 1 ? "likely to pass" : "unknown";
        outlook.reasoning += "; no passing latency limit to measure headroom against.";
        return outlook;
    }
    outlook.reasoning += "; the tightest latency limit, " + tightest->criterion.expr + " at " +
                         format_short(*tightest->actual, tightest->criterion.unit) + ", has " +
                         format_significant(headroom) + "x headroom";
    if (headroom >= factor) {
        outlook.verdict = "likely to pass";
        outlook.reasoning +=
            ", more than the load grows (a linear estimate: latency often "
            "grows faster near saturation).";
    } else {
        outlook.verdict = "at risk";
        outlook.reasoning += ", less than the load grows: expect " +
                             spoken_metric(tightest->criterion) + " to miss its limit.";
    }
    return outlook;
}

}  // namespace orch
