#include "report/redacted_report.hpp"

#include <nlohmann/json.hpp>

#include "core/redact.hpp"

namespace orch {

namespace {

void redact_in_place(std::string& text) {
    text = redact(text);
}

void redact_in_place(std::vector<std::string>& texts) {
    for (auto& t : texts) {
        redact_in_place(t);
    }
}

nlohmann::json redacted_json(const nlohmann::json& value) {
    if (value.is_string()) {
        return redact(value.get_ref<const std::string&>());
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : value) {
            out.push_back(redacted_json(item));
        }
        return out;
    }
    if (value.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = value.begin(); it != value.end(); ++it) {
            out[redact(it.key())] = redacted_json(it.value());
        }
        return out;
    }
    return value;
}

void redact_in_place(std::optional<HealthSample>& sample) {
    if (sample) {
        redact_in_place(sample->at);
        sample->body = redacted_json(*sample->body);
    }
}

Snapshot redacted_snapshot(const Snapshot& snapshot) {
    Snapshot out;
    for (const auto& [name, value] : snapshot.values()) {
        out.set(redact(name), value);
    }
    return out;
}

}  // namespace

RunReport redacted_report(const RunReport& report) {
    RunReport r = report;
    for (std::string* text : {&r.reason, &r.pipeline_name, &r.pipeline_file, &r.pipeline_sha256,
                              &r.run_id, &r.started_at, &r.finished_at, &r.version, &r.executor,
                              &r.base_url, &r.highest_passed_stage, &r.recommendation}) {
        redact_in_place(*text);
    }
    redact_in_place(r.backend_log_tail);
    redact_in_place(r.warnings);
    for (auto& stage : r.stages) {
        redact_in_place(stage.name);
        redact_in_place(stage.reason);
        redact_in_place(stage.started_at);
        redact_in_place(stage.rate);
        redact_in_place(stage.operations);
        redact_in_place(stage.hints);
        stage.metrics = redacted_snapshot(stage.metrics);
        for (auto& c : stage.criteria) {
            redact_in_place(c.criterion.expr);
            redact_in_place(c.criterion.name);
            redact_in_place(c.criterion.metric);
            redact_in_place(c.note);
        }
        redact_in_place(stage.health_before);
        redact_in_place(stage.health_after);
        stage.extra = redacted_json(*stage.extra);
    }
    return r;
}

}  // namespace orch
