#include "plugins/reporters/openmetrics/openmetrics_reporter.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/escape_chars.hpp"
#include "core/utf8.hpp"
#include "report/run_summary.hpp"

namespace orch {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value as the text format writes it: \ " and line feed escaped.
std::string label_value(std::string_view text) {
    return escape_chars(valid_utf8(text), {{'\\', "\\\\"}, {'"', "\\\""}, {'\n', "\\n"}});
}

std::string number(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{:.17g}", value);
}

// One metric family: HELP, TYPE, then its samples in the order added.
class Family {
  public:
    Family(std::string name, std::string type, std::string help)
        : m_name(std::move(name)), m_type(std::move(type)), m_help(std::move(help)) {}

    void add(const Labels& labels, double value) {
        std::string line = m_name;
        if (!labels.empty()) {
            std::vector<std::string> pairs;
            for (const auto& [key, text] : labels) {
                pairs.push_back(key + "=\"" + label_value(text) + "\"");
            }
            line += fmt::format("{{{}}}", fmt::join(pairs, ","));
        }
        m_samples += line + " " + number(value) + "\n";
    }

    std::string text() const {
        if (m_samples.empty()) {
            return {};
        }
        return "# HELP " + m_name + " " + m_help + "\n# TYPE " + m_name + " " + m_type + "\n" +
               m_samples;
    }

  private:
    std::string m_name, m_type, m_help, m_samples;
};

Labels with(Labels labels, std::string name, std::string value) {
    labels.emplace_back(std::move(name), std::move(value));
    return labels;
}

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class OpenMetricsReporter final : public Reporter {
  public:
    std::string_view format() const override { return "openmetrics"; }
    std::string_view summary() const override {
        return "Prometheus text for a textfile collector or a Pushgateway";
    }
    std::string_view file_name() const override { return "metrics.prom"; }

    std::string render(const RunReport& report) const override {
        Family info("stagegate_run_info", "gauge",
                    "The run: pipeline, run id, stagegate version and verdict (always 1).");
        Family exit_code(
            "stagegate_run_exit_code", "gauge",
            "The run's exit code (0 PASS, 1 FAIL, 2 INVALID, 3 ERROR, 4 INCONCLUSIVE).");
        Family verdict(
            "stagegate_stage_verdict", "gauge",
            "1 for the stage's verdict (PASS, FAIL, ERROR, INCONCLUSIVE, SKIPPED, ...).");
        Family passed("stagegate_stage_passed", "gauge", "1 when the stage passed, else 0.");
        Family duration("stagegate_stage_duration_seconds", "gauge",
                        "Measured duration of the stage's load.");
        Family requests("stagegate_requests_total", "counter",
                        "Requests sent in the stage (operation=\"all\": every operation).");
        Family errors("stagegate_errors_total", "counter",
                      "Failed requests in the stage by kind (status_5xx, timeout, "
                      "connection_refused, body.PATTERN, ...).");
        // Quantiles only: the snapshot has no exact latency sum (its mean covers the
        // responses, not the requests), and an estimated _sum would mislead a rate().
        Family latency("stagegate_latency_seconds", "summary",
                       "Request latency quantiles over the stage.");
        Family criteria("stagegate_criterion_passed", "gauge",
                        "1 when the criterion was met in the stage, else 0.");

        info.add({{"pipeline", report.pipeline_name},
                  {"run_id", report.run_id},
                  {"version", report.version},
                  {"verdict", std::string(to_string(report.verdict))}},
                 1);
        exit_code.add({}, report.exit_code);
        for (const auto& stage : report.stages) {
            Labels at{{"stage", stage.name}};
            verdict.add(with(at, "verdict", std::string(to_string(stage.verdict))), 1);
            passed.add(at, stage.verdict == Verdict::pass ? 1 : 0);
            if (!stage_ran(stage)) {
                continue;
            }
            duration.add(at, stage.duration_s);
            std::vector<std::pair<std::string, std::string>> scopes{{"all", ""}};
            for (const auto& operation : stage.operations) {
                scopes.emplace_back(operation, operation + ".");
            }
            for (const auto& [operation, prefix] : scopes) {
                Labels labels = with(at, "operation", operation);
                const auto& values = stage.metrics.values();
                if (auto it = values.find(prefix + "requests"); it != values.end()) {
                    requests.add(labels, it->second);
                }
                std::string error_prefix = prefix + "errors.";
                for (auto it = values.lower_bound(error_prefix);
                     it != values.end() &&
                     it->first.compare(0, error_prefix.size(), error_prefix) == 0;
                     ++it) {
                    errors.add(with(labels, "kind", it->first.substr(error_prefix.size())),
                               it->second);
                }
                for (const auto& [quantile, name] :
                     {std::pair{"0.5", "p50"}, {"0.9", "p90"}, {"0.95", "p95"}, {"0.99", "p99"}}) {
                    if (auto it = values.find(prefix + name); it != values.end()) {
                        latency.add(with(labels, "quantile", quantile), it->second / 1000.0);
                    }
                }
            }
            for (const auto& result : stage.criteria) {
                criteria.add(
                    {{"stage", stage.name},
                     {"criterion", result.criterion.name.empty() ? result.criterion.expr
                                                                 : result.criterion.name},
                     {"severity", result.criterion.severity == Severity::warn ? "warn" : "fail"}},
                    result.pass ? 1 : 0);
            }
        }
        std::string out;
        for (const Family* family : {&info, &exit_code, &verdict, &passed, &duration, &requests,
                                     &errors, &latency, &criteria}) {
            out += family->text();
        }
        return out + "# EOF\n";
    }
};

}  // namespace

std::unique_ptr<Reporter> make_openmetrics_reporter() {
    return std::make_unique<OpenMetricsReporter>();
}

}  // namespace orch
