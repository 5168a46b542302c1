#include "plugins/reporters/gitlab/gitlab_reporter.hpp"

#include <nlohmann/json.hpp>

#include "report/run_summary.hpp"

namespace orch {

namespace {

using json = nlohmann::ordered_json;

// k6's trend: avg min med max p(90) p(95), the keys present only when measured.
json trend(const Snapshot& metrics, const std::string& prefix) {
    json out = json::object();
    for (const auto& [key, name] : {std::pair{"avg", "avg"},
                                    {"min", "min"},
                                    {"med", "p50"},
                                    {"max", "max"},
                                    {"p(90)", "p90"},
                                    {"p(95)", "p95"}}) {
        if (auto value = metrics.get(prefix + name)) {
            out[key] = *value;
        }
    }
    return out;
}

// k6's counter: count and rate (per second).
json counter(const Snapshot& metrics, const std::string& prefix) {
    json out = json::object();
    out["count"] = metrics.get(prefix + "requests").value_or(0);
    out["rate"] = metrics.get(prefix + "rps").value_or(0);
    return out;
}

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class GitlabReporter final : public Reporter {
  public:
    std::string_view format() const override { return "gitlab-load-performance"; }
    std::string_view summary() const override {
        return "k6 summary-export JSON for GitLab's load performance view";
    }
    std::string_view file_name() const override { return "load-performance.json"; }

    std::string render(const RunReport& report) const override {
        json metrics = json::object();
        const StageReport* last = nullptr;
        int passes = 0;
        int fails = 0;
        for (const auto& stage : report.stages) {
            if (!stage_ran(stage)) {
                continue;
            }
            last = &stage;
            metrics["http_reqs{stage:" + stage.name + "}"] = counter(stage.metrics, "");
            if (json t = trend(stage.metrics, ""); !t.empty()) {
                metrics["http_req_duration{stage:" + stage.name + "}"] = std::move(t);
            }
            for (const auto& result : stage.criteria) {
                (result.pass ? passes : fails) += 1;
            }
        }
        if (last != nullptr) {
            const Snapshot& m = last->metrics;
            metrics["http_reqs"] = counter(m, "");
            if (json t = trend(m, ""); !t.empty()) {
                metrics["http_req_duration"] = std::move(t);
            }
            if (auto waiting = m.get("timing.waiting")) {
                metrics["http_req_waiting"] = json{{"avg", *waiting}};
            }
            double requests = m.get("requests").value_or(0);
            double failed = m.get("errors").value_or(0);
            metrics["http_req_failed"] = json{{"passes", failed},
                                              {"fails", requests - failed},
                                              {"value", requests > 0 ? failed / requests : 0.0}};
            if (auto iterations = m.get("iterations"); iterations && last->duration_s > 0) {
                metrics["iterations"] =
                    json{{"count", *iterations}, {"rate", *iterations / last->duration_s}};
            }
            int vus = last->vus > 0 ? last->vus : last->max_vus;
            metrics["vus"] = json{{"value", vus}, {"min", vus}, {"max", vus}};
            for (const auto& operation : last->operations) {
                if (json t = trend(m, operation + "."); !t.empty()) {
                    metrics["http_req_duration{operation:" + operation + "}"] = std::move(t);
                }
                metrics["http_reqs{operation:" + operation + "}"] = counter(m, operation + ".");
            }
        }
        int total = passes + fails;
        metrics["checks"] = json{{"passes", passes},
                                 {"fails", fails},
                                 {"value", total > 0 ? static_cast<double>(passes) / total : 0.0}};
        json root = json::object();
        root["root_group"] = json{{"name", ""},
                                  {"path", ""},
                                  // k6's id of the root group: the MD5 of its empty path.
                                  {"id", "d41d8cd98f00b204e9800998ecf8427e"},
                                  {"groups", json::object()},
                                  {"checks", json::object()}};
        root["metrics"] = std::move(metrics);
        return root.dump(4) + "\n";
    }
};

}  // namespace

std::unique_ptr<Reporter> make_gitlab_reporter() {
    return std::make_unique<GitlabReporter>();
}

}  // namespace orch
