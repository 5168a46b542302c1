// results.json: writing a RunReport as `stagegate.results/v1` and reading it back. Flat
// metric names are nested with metric_tree.hpp: "backend.*" under the stage's `backend`,
// "OP.*" (OP in StageReport::operations) under metrics.operations.OP, the rest under
// `metrics`. Absent values are null; NaN and infinities are written as null too.
#include "report/run_report.hpp"
#include "report/run_summary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "core/utf8.hpp"
#include "report/capacity.hpp"
#include "report/metric_tree.hpp"

namespace orch {

namespace {

using ojson = nlohmann::ordered_json;

// --- Writing ---

ojson number_or_null(double value) {
    return std::isfinite(value) ? ojson(value) : ojson(nullptr);
}

ojson optional_number(const std::optional<double>& value) {
    return value ? number_or_null(*value) : ojson(nullptr);
}

ojson text(std::string_view value) {
    return ojson(valid_utf8(value));
}

ojson text_or_null(std::string_view value) {
    return value.empty() ? ojson(nullptr) : text(value);
}

ojson positive_or_null(int value) {
    return value > 0 ? ojson(value) : ojson(nullptr);
}

ojson text_array(const std::vector<std::string>& values) {
    ojson array = ojson::array();
    for (const auto& v : values) {
        array.push_back(text(v));
    }
    return array;
}

std::string_view severity_name(Severity severity) {
    return severity == Severity::warn ? "warn" : "fail";
}

ojson criterion_json(const CriterionResult& result) {
    const Criterion& c = result.criterion;
    ojson j = ojson::object();
    j["expr"] = text(c.expr);
    j["name"] = text(c.name.empty() ? c.expr : c.name);
    j["metric"] = text(c.metric);
    j["op"] = std::string(to_string(c.op));
    j["severity"] = std::string(severity_name(c.severity));
    j["target"] = number_or_null(c.target);
    j["actual"] = optional_number(result.actual);
    j["unit"] = std::string(unit_label(c.unit));
    j["pass"] = result.pass;
    j["margin"] = optional_number(result.margin);
    j["window_s"] = c.window ? ojson(to_seconds(*c.window)) : ojson(nullptr);
    j["abort"] = c.abort;
    j["note"] = text(result.note);
    if (c.relative) {
        // Only baseline criteria carry the key; null: the baseline run had no value.
        j["baseline"] = optional_number(c.baseline);
    }
    if (c.line > 0) {
        j["line"] = c.line;
        j["column"] = c.column;
    }
    return j;
}

ojson health_json(const std::optional<HealthSample>& sample) {
    if (!sample) {
        return nullptr;
    }
    ojson j = ojson::object();
    j["at"] = text_or_null(sample->at);
    j["status"] = sample->status;
    j["body"] = ojson(*sample->body);
    j["uptime_s"] = optional_number(sample->uptime_s);
    j["rss_mb"] = optional_number(sample->rss_mb);
    return j;
}

/// The traffic part a series point and its per-operation points share.
template <typename Point>
void put_traffic(ojson& j, const Point& p) {
    j["rps"] = number_or_null(p.rps);
    j["errors"] = number_or_null(p.errors);
    j["p50"] = optional_number(p.p50);
    j["p95"] = optional_number(p.p95);
    j["p99"] = optional_number(p.p99);
}

// A series point's optional per-outcome percentiles: results.json key and field, for the
// writer (series_json) and the reader (stage_from) alike.
constexpr std::array<std::pair<std::string_view, std::optional<double> SeriesPoint::*>, 6>
    k_outcome_percentiles = {{
        {"succeeded_p50", &SeriesPoint::succeeded_p50},
        {"succeeded_p95", &SeriesPoint::succeeded_p95},
        {"succeeded_p99", &SeriesPoint::succeeded_p99},
        {"failed_p50", &SeriesPoint::failed_p50},
        {"failed_p95", &SeriesPoint::failed_p95},
        {"failed_p99", &SeriesPoint::failed_p99},
    }};

ojson series_json(const std::vector<SeriesPoint>& series) {
    ojson array = ojson::array();
    for (const auto& p : series) {
        ojson j = ojson::object();
        j["t"] = number_or_null(p.t_s);
        put_traffic(j, p);
        // Optional (absent when the second had no such response, and in files written
        // before they existed).
        for (const auto& [key, field] : k_outcome_percentiles) {
            if (p.*field) {
                j[std::string(key)] = optional_number(p.*field);
            }
        }
        j["rss_mb"] = optional_number(p.rss_mb);
        j["vus"] = p.vus;
        if (!p.operations.empty()) {
            ojson operations = ojson::object();
            for (const auto& [name, op] : p.operations) {
                ojson o = ojson::object();
                put_traffic(o, op);
                operations[valid_utf8(name)] = std::move(o);
            }
            j["operations"] = std::move(operations);
        }
        array.push_back(std::move(j));
    }
    return array;
}

// The operation a metric belongs to: the longest listed name that prefixes it ("OP.").
const std::string* operation_of(std::string_view metric, const std::vector<std::string>& ops) {
    const std::string* best = nullptr;
    for (const auto& op : ops) {
        if (metric.size() > op.size() + 1 && metric.compare(0, op.size(), op) == 0 &&
            metric[op.size()] == '.' && (best == nullptr || op.size() > best->size())) {
            best = &op;
        }
    }
    return best;
}

struct NestedMetrics {
    ojson metrics = ojson::object();
    ojson backend = ojson::object();
};

NestedMetrics nest_metrics(const StageReport& stage) {
    constexpr std::string_view k_backend_prefix = "backend.";
    // (where, order key, name inside its tree, value): sorted so each tree reads in order.
    struct Entry {
        int tree = 0;  // 0 metrics, 1 backend, 2 + i operation i
        std::pair<int, std::string> order;
        std::string name;
        double value = 0;
    };
    std::vector<Entry> entries;
    for (const auto& [name, value] : stage.metrics.values()) {
        Entry e;
        e.value = value;
        std::string_view n(name);
        if (n.size() > k_backend_prefix.size() &&
            n.substr(0, k_backend_prefix.size()) == k_backend_prefix) {
            e.tree = 1;
            e.name = std::string(n.substr(k_backend_prefix.size()));
        } else if (const std::string* op = operation_of(n, stage.operations)) {
            e.tree = 2 + static_cast<int>(op - stage.operations.data());
            e.name = std::string(n.substr(op->size() + 1));
        } else {
            e.name = name;
        }
        e.order = metric_order_key(e.name);
        entries.push_back(std::move(e));
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.tree, a.order) < std::tie(b.tree, b.order);
    });

    NestedMetrics nested;
    std::vector<ojson> operations(stage.operations.size(), ojson::object());
    for (const auto& e : entries) {
        if (e.tree == 0) {
            insert_metric(nested.metrics, e.name, e.value);
        } else if (e.tree == 1) {
            insert_metric(nested.backend, e.name, e.value);
        } else {
            insert_metric(operations[static_cast<std::size_t>(e.tree - 2)], e.name, e.value);
        }
    }
    ojson by_operation = ojson::object();
    for (std::size_t i = 0; i < stage.operations.size(); ++i) {
        by_operation[valid_utf8(stage.operations[i])] = std::move(operations[i]);
    }
    nested.metrics["operations"] = std::move(by_operation);
    return nested;
}

ojson stage_json(const StageReport& stage) {
    ojson j = ojson::object();
    j["name"] = text(stage.name);
    j["verdict"] = std::string(to_string(stage.verdict));
    j["reason"] = text(stage.reason);
    if (stage_has_no_gate(stage)) {
        j["no_gate"] = true;
    }
    j["started_at"] = text_or_null(stage.started_at);
    j["duration_s"] = number_or_null(stage.duration_s);
    ojson load = ojson::object();
    load["vus"] = positive_or_null(stage.vus);
    load["rate"] = text_or_null(stage.rate);
    load["max_vus"] = positive_or_null(stage.max_vus);
    load["duration_s"] = number_or_null(stage.planned_duration_s);
    if (!stage.mix.empty()) {
        ojson mix = ojson::object();
        for (const auto& op : stage.operations) {
            if (auto it = stage.mix.find(op); it != stage.mix.end()) {
                mix[op] = it->second;
            }
        }
        for (const auto& [op, percent] : stage.mix) {
            if (!mix.contains(op)) {
                mix[op] = percent;
            }
        }
        load["mix"] = std::move(mix);
    }
    if (stage.think_time_s > 0) {
        load["think_time_s"] = stage.think_time_s;
    }
    j["load"] = std::move(load);
    j["operations"] = text_array(stage.operations);
    NestedMetrics nested = nest_metrics(stage);
    j["metrics"] = std::move(nested.metrics);
    j["backend"] = std::move(nested.backend);
    ojson criteria = ojson::array();
    for (const auto& c : stage.criteria) {
        criteria.push_back(criterion_json(c));
    }
    j["criteria"] = std::move(criteria);
    j["series"] = series_json(stage.series);
    // Written only when they say something, so v1 files of earlier versions round-trip.
    if (stage.series_bucket_s != 1) {
        j["series_bucket_s"] = number_or_null(stage.series_bucket_s);
    }
    if (stage.cooldown_s > 0) {
        j["cooldown_s"] = number_or_null(stage.cooldown_s);
    }
    j["health_before"] = health_json(stage.health_before);
    j["health_after"] = health_json(stage.health_after);
    j["hints"] = text_array(stage.hints);
    j["extra"] = stage.extra->is_object() ? ojson(*stage.extra) : ojson::object();
    if (stage.traffic_percent) {
        j["traffic"] = number_or_null(*stage.traffic_percent);
    }
    if (stage.observe) {
        j["observe"] = true;
    }
    if (stage.part) {
        j["part"] = stage_part_json(*stage.part, stage.operations);
    }
    return j;
}

ojson hook_json(const HookRecord& hook) {
    ojson j = ojson::object();
    j["stage"] = text_or_null(hook.stage);
    j["kind"] = text(hook.kind);
    j["argv"] = text_array(hook.argv);
    j["exit_code"] = hook.exit_code ? ojson(*hook.exit_code) : ojson(nullptr);
    j["duration_s"] = number_or_null(hook.duration_s);
    if (hook.timed_out) {
        j["timed_out"] = true;
    }
    if (!hook.error.empty()) {
        j["error"] = text(hook.error);
    }
    return j;
}

// --- Reading ---

enum class Need { required, optional };

// Reads the fields of one JSON object; the first problem is kept as the error, with the
// path of the offending value ("stages[1].criteria[0].target: expected a number").
class Fields {
  public:
    Fields(const nlohmann::json& json, std::string where, std::optional<Error>& error)
        : m_json(json), m_where(std::move(where)), m_error(error) {
        if (!m_json.is_object()) {
            problem(m_where + ": expected an object, got " + std::string(m_json.type_name()));
        }
    }

    std::string at(std::string_view key) const { return m_where + "." + std::string(key); }

    /// The value of `key`, or nullptr when it is absent or null (a problem when required).
    const nlohmann::json* get(std::string_view key, Need need) {
        if (!m_json.is_object()) {
            return nullptr;
        }
        auto it = m_json.find(key);
        if (it == m_json.end() || it->is_null()) {
            if (need == Need::required) {
                problem(m_where + ": missing \"" + std::string(key) + "\"");
            }
            return nullptr;
        }
        return &*it;
    }

    std::string text(std::string_view key, Need need = Need::optional) {
        const auto* v = typed(key, need, "a string", [](const auto& j) { return j.is_string(); });
        return v != nullptr ? v->get<std::string>() : std::string();
    }

    std::optional<double> number(std::string_view key, Need need = Need::optional) {
        const auto* v = typed(key, need, "a number", [](const auto& j) { return j.is_number(); });
        return v != nullptr ? std::optional(v->get<double>()) : std::nullopt;
    }

    int integer(std::string_view key, Need need = Need::optional) {
        const auto* v =
            typed(key, need, "an integer", [](const auto& j) { return j.is_number_integer(); });
        return v != nullptr ? v->get<int>() : 0;
    }

    bool boolean(std::string_view key, Need need = Need::optional) {
        const auto* v =
            typed(key, need, "true or false", [](const auto& j) { return j.is_boolean(); });
        return v != nullptr && v->get<bool>();
    }

    const nlohmann::json* object(std::string_view key, Need need = Need::optional) {
        return typed(key, need, "an object", [](const auto& j) { return j.is_object(); });
    }

    const nlohmann::json* array(std::string_view key, Need need = Need::optional) {
        return typed(key, need, "an array", [](const auto& j) { return j.is_array(); });
    }

    std::vector<std::string> texts(std::string_view key) {
        std::vector<std::string> out;
        const nlohmann::json* v = array(key);
        if (v == nullptr) {
            return out;
        }
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& item = (*v)[i];
            if (!item.is_string()) {
                problem(at(key) + "[" + std::to_string(i) + "]: expected a string, got " +
                        std::string(item.type_name()));
                return out;
            }
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    void problem(std::string message) {
        if (!m_error) {
            m_error = Error{ErrorCode::invalid_input, std::move(message), {}};
        }
    }

  private:
    /// The value of `key` when present and `is_kind`; nullptr when absent or null (a problem
    /// when required) and when of another kind (a problem naming the `expected` kind).
    template <class IsKind>
    const nlohmann::json* typed(std::string_view key, Need need, std::string_view expected,
                                IsKind is_kind) {
        const nlohmann::json* v = get(key, need);
        if (v != nullptr && !is_kind(*v)) {
            wrong(key, expected, *v);
            return nullptr;
        }
        return v;
    }

    void wrong(std::string_view key, std::string_view expected, const nlohmann::json& got) {
        problem(at(key) + ": expected " + std::string(expected) + ", got " +
                std::string(got.type_name()));
    }

    const nlohmann::json& m_json;
    std::string m_where;
    std::optional<Error>& m_error;
};

std::optional<CompareOp> compare_op_from(std::string_view text) {
    for (CompareOp op : {CompareOp::lt, CompareOp::le, CompareOp::gt, CompareOp::ge, CompareOp::eq,
                         CompareOp::ne}) {
        if (to_string(op) == text) {
            return op;
        }
    }
    return std::nullopt;
}

// "" is both count and plain number: a health pointer's value is the plain number.
std::optional<MetricUnit> metric_unit_from(std::string_view label, std::string_view metric) {
    if (label.empty()) {
        bool plain = metric.find("health./") != std::string_view::npos ||
                     metric.rfind("prom(", 0) == 0;  // a prom("...") criterion's value
        return plain ? MetricUnit::number : MetricUnit::count;
    }
    for (MetricUnit unit : {MetricUnit::per_second, MetricUnit::percent, MetricUnit::milliseconds,
                            MetricUnit::megabytes}) {
        if (unit_label(unit) == label) {
            return unit;
        }
    }
    return std::nullopt;
}

// Files written before "metric"/"op" were stored: both come from the expression's words.
std::pair<std::string, std::string> metric_and_op_of(std::string_view expr) {
    std::size_t first_end = expr.find(' ');
    if (first_end == std::string_view::npos) {
        return {std::string(expr), {}};
    }
    std::string_view rest = expr.substr(first_end + 1);
    return {std::string(expr.substr(0, first_end)), std::string(rest.substr(0, rest.find(' ')))};
}

CriterionResult criterion_from(const nlohmann::json& json, const std::string& where,
                               std::optional<Error>& error) {
    Fields f(json, where, error);
    CriterionResult r;
    Criterion& c = r.criterion;
    c.expr = f.text("expr", Need::required);
    c.name = f.text("name");
    if (c.name.empty()) {
        c.name = c.expr;
    }
    auto [metric, op] = metric_and_op_of(c.expr);
    c.metric = f.get("metric", Need::optional) ? f.text("metric") : metric;
    std::string op_text = f.get("op", Need::optional) ? f.text("op") : op;
    if (auto parsed = compare_op_from(op_text)) {
        c.op = *parsed;
    } else {
        f.problem(f.at("op") + ": \"" + op_text + "\" is not one of < <= > >= == !=");
    }
    std::string severity = f.text("severity");
    if (severity == "warn") {
        c.severity = Severity::warn;
    } else if (severity.empty() || severity == "fail") {
        c.severity = Severity::fail;
    } else {
        f.problem(f.at("severity") + ": \"" + severity + "\" is not fail or warn");
    }
    if (json.is_object() && json.contains("baseline")) {
        // A baseline criterion: its target was computed (null when there was no baseline).
        c.relative = BaselineFormula{};
        c.baseline = f.number("baseline");
        c.target = f.number("target").value_or(std::nan(""));
    } else {
        c.target = f.number("target", Need::required).value_or(0);
    }
    std::string unit = f.text("unit");
    if (auto parsed = metric_unit_from(unit, c.metric)) {
        c.unit = *parsed;
    } else {
        f.problem(f.at("unit") + ": unknown unit \"" + unit + "\"");
    }
    r.actual = f.number("actual");
    r.pass = f.boolean("pass", Need::required);
    r.margin = f.number("margin");
    if (auto window = f.number("window_s")) {
        c.window = Duration(std::llround(*window * 1e6));
    }
    c.abort = f.boolean("abort");
    r.note = f.text("note");
    c.line = f.integer("line");
    c.column = f.integer("column");
    return r;
}

std::optional<HealthSample> health_from(Fields& parent, std::string_view key,
                                        std::optional<Error>& error) {
    const nlohmann::json* json = parent.object(key);
    if (json == nullptr) {
        return std::nullopt;
    }
    Fields f(*json, parent.at(key), error);
    HealthSample h;
    h.at = f.text("at");
    h.status = f.integer("status");
    if (auto it = json->find("body"); it != json->end()) {
        h.body = *it;
    }
    h.uptime_s = f.number("uptime_s");
    h.rss_mb = f.number("rss_mb");
    return h;
}

/// Reads what put_traffic wrote.
template <typename Point>
void get_traffic(Fields& f, Point& p) {
    p.rps = f.number("rps").value_or(0);
    p.errors = f.number("errors").value_or(0);
    p.p50 = f.number("p50");
    p.p95 = f.number("p95");
    p.p99 = f.number("p99");
}

StageReport stage_from(const nlohmann::json& json, const std::string& where,
                       std::optional<Error>& error) {
    Fields f(json, where, error);
    StageReport s;
    s.name = f.text("name", Need::required);
    std::string verdict = f.text("verdict", Need::required);
    if (auto v = verdict_from_string(verdict)) {
        s.verdict = *v;
    } else if (!verdict.empty()) {
        f.problem(f.at("verdict") + ": unknown verdict \"" + verdict + "\"");
    }
    s.reason = f.text("reason");
    s.started_at = f.text("started_at");
    s.duration_s = f.number("duration_s").value_or(0);
    if (const nlohmann::json* load = f.object("load")) {
        Fields l(*load, f.at("load"), error);
        s.vus = l.integer("vus");
        s.rate = l.text("rate");
        s.max_vus = l.integer("max_vus");
        s.planned_duration_s = l.number("duration_s").value_or(0);
        s.think_time_s = l.number("think_time_s").value_or(0);
        if (const nlohmann::json* mix = l.object("mix")) {
            for (auto it = mix->begin(); it != mix->end(); ++it) {
                if (it.value().is_number()) {
                    s.mix[it.key()] = it.value().get<double>();
                } else {
                    l.problem(l.at("mix") + "." + it.key() + ": expected a number");
                }
            }
        }
    }
    const nlohmann::json* metrics = f.object("metrics");
    const nlohmann::json* operations = nullptr;
    if (metrics != nullptr) {
        Fields m(*metrics, f.at("metrics"), error);
        operations = m.object("operations");
    }
    if (f.array("operations") != nullptr) {
        s.operations = f.texts("operations");
    } else if (operations != nullptr) {
        for (auto it = operations->begin(); it != operations->end(); ++it) {
            s.operations.push_back(it.key());
        }
    }
    auto keep = [&](Result<void> result) {
        if (!result && !error) {
            error = result.error();
        }
    };
    if (metrics != nullptr) {
        keep(flatten_metrics(*metrics, "", f.at("metrics"), s.metrics, "operations"));
    }
    if (operations != nullptr) {
        for (auto it = operations->begin(); it != operations->end(); ++it) {
            keep(flatten_metrics(it.value(), it.key() + ".",
                                 f.at("metrics") + ".operations." + it.key(), s.metrics));
        }
    }
    if (const nlohmann::json* backend = f.object("backend")) {
        keep(flatten_metrics(*backend, "backend.", f.at("backend"), s.metrics));
    }
    if (const nlohmann::json* criteria = f.array("criteria")) {
        for (std::size_t i = 0; i < criteria->size(); ++i) {
            s.criteria.push_back(criterion_from(
                (*criteria)[i], f.at("criteria") + "[" + std::to_string(i) + "]", error));
        }
    }
    if (const nlohmann::json* series = f.array("series")) {
        for (std::size_t i = 0; i < series->size(); ++i) {
            Fields p((*series)[i], f.at("series") + "[" + std::to_string(i) + "]", error);
            SeriesPoint point;
            point.t_s = p.number("t").value_or(0);
            get_traffic(p, point);
            for (const auto& [key, field] : k_outcome_percentiles) {
                point.*field = p.number(key);
            }
            point.rss_mb = p.number("rss_mb");
            point.vus = p.integer("vus");
            if (const nlohmann::json* by_operation = p.object("operations")) {
                for (auto it = by_operation->begin(); it != by_operation->end(); ++it) {
                    Fields o(it.value(), p.at("operations") + "." + it.key(), error);
                    OperationPoint op;
                    get_traffic(o, op);
                    point.operations.emplace(it.key(), op);
                }
            }
            s.series.push_back(std::move(point));
        }
    }
    s.series_bucket_s = f.number("series_bucket_s").value_or(1);
    s.cooldown_s = f.number("cooldown_s").value_or(0);
    s.health_before = health_from(f, "health_before", error);
    s.health_after = health_from(f, "health_after", error);
    s.hints = f.texts("hints");
    if (const nlohmann::json* extra = f.object("extra")) {
        s.extra = *extra;
    }
    s.traffic_percent = f.number("traffic");
    s.observe = f.boolean("observe");
    if (const nlohmann::json* part = f.object("part")) {
        auto read = stage_part_from_json(*part, s.operations, f.at("part"));
        if (!read) {
            f.problem(read.error().message);
        } else {
            s.part = std::make_shared<const StagePart>(std::move(*read));
        }
    }
    return s;
}

Result<RunReport> report_from(const nlohmann::json& json) {
    if (!json.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "not a stagegate results file: expected a JSON object, got " +
                        std::string(json.type_name()));
    }
    auto schema = json.find("schema");
    if (schema == json.end() || !schema->is_string()) {
        return fail(ErrorCode::invalid_input, "not a stagegate results file: no \"schema\": \"" +
                                                  std::string(k_results_schema_id) + "\"");
    }
    if (schema->get<std::string>() != k_results_schema_id) {
        return fail(ErrorCode::invalid_input,
                    "unsupported results schema \"" + schema->get<std::string>() +
                        "\": this stagegate reads " + std::string(k_results_schema_id));
    }
    std::optional<Error> error;
    Fields f(json, "results", error);
    RunReport r;
    std::string verdict = f.text("verdict", Need::required);
    if (auto v = verdict_from_string(verdict); v && *v != Verdict::skipped) {
        r.verdict = *v;
    } else if (!verdict.empty()) {
        f.problem(f.at("verdict") + ": unknown verdict \"" + verdict + "\"");
    }
    r.exit_code = f.integer("exit_code", Need::required);
    r.reason = f.text("reason");
    if (const nlohmann::json* pipeline = f.object("pipeline", Need::required)) {
        Fields p(*pipeline, f.at("pipeline"), error);
        r.pipeline_name = p.text("name");
        r.pipeline_file = p.text("file");
        r.pipeline_sha256 = p.text("sha256");
    }
    if (const nlohmann::json* run = f.object("run", Need::required)) {
        Fields p(*run, f.at("run"), error);
        r.run_id = p.text("id");
        r.started_at = p.text("started_at");
        r.finished_at = p.text("finished_at");
        r.version = p.text("version");
        r.executor = p.text("executor");
        r.base_url = p.text("base_url");
    }
    if (const nlohmann::json* stages = f.array("stages", Need::required)) {
        for (std::size_t i = 0; i < stages->size(); ++i) {
            r.stages.push_back(
                stage_from((*stages)[i], "results.stages[" + std::to_string(i) + "]", error));
        }
    }
    r.highest_passed_stage = f.text("highest_passed_stage");
    r.backend_log_tail = f.texts("backend_log_tail");
    r.recommendation = f.text("recommendation");
    r.warnings = f.texts("warnings");
    if (const nlohmann::json* hooks = f.array("hooks")) {
        for (std::size_t i = 0; i < hooks->size(); ++i) {
            Fields h((*hooks)[i], "results.hooks[" + std::to_string(i) + "]", error);
            HookRecord hook;
            hook.stage = h.text("stage");
            hook.kind = h.text("kind", Need::required);
            hook.argv = h.texts("argv");
            if (h.get("exit_code", Need::optional) != nullptr) {
                hook.exit_code = h.integer("exit_code");
            }
            hook.duration_s = h.number("duration_s").value_or(0);
            hook.timed_out = h.boolean("timed_out");
            hook.error = h.text("error");
            r.hooks.push_back(std::move(hook));
        }
    }
    if (const nlohmann::json* segment = f.object("segment")) {
        if (auto info = part_info_from_json(*segment)) {
            r.part_info = std::move(*info);
        } else {
            f.problem("results." + info.error().message);
        }
    }
    if (error) {
        return fail(ErrorCode::invalid_input, "invalid results file: " + error->message);
    }
    return r;
}

}  // namespace

nlohmann::ordered_json to_ordered_json(const RunReport& report) {
    ojson j = ojson::object();
    j["schema"] = std::string(k_results_schema_id);
    j["verdict"] = std::string(to_string(report.verdict));
    j["exit_code"] = report.exit_code;
    j["reason"] = text(report.reason);
    ojson pipeline = ojson::object();
    pipeline["name"] = text(report.pipeline_name);
    pipeline["file"] = text_or_null(report.pipeline_file);
    pipeline["sha256"] = text_or_null(report.pipeline_sha256);
    j["pipeline"] = std::move(pipeline);
    ojson run = ojson::object();
    run["id"] = text(report.run_id);
    run["started_at"] = text_or_null(report.started_at);
    run["finished_at"] = text_or_null(report.finished_at);
    run["version"] = text_or_null(report.version);
    run["executor"] = text_or_null(report.executor);
    run["base_url"] = text_or_null(report.base_url);
    j["run"] = std::move(run);
    if (report.part_info) {
        j["segment"] = part_info_json(*report.part_info);
    }
    ojson stages = ojson::array();
    for (const auto& stage : report.stages) {
        stages.push_back(stage_json(stage));
    }
    j["stages"] = std::move(stages);
    j["highest_passed_stage"] = text_or_null(report.highest_passed_stage);
    j["backend_log_tail"] = text_array(report.backend_log_tail);
    j["recommendation"] = text(report.recommendation);
    if (!report.warnings.empty()) {
        j["warnings"] = text_array(report.warnings);
    }
    if (!report.hooks.empty()) {
        ojson hooks = ojson::array();
        for (const auto& hook : report.hooks) {
            hooks.push_back(hook_json(hook));
        }
        j["hooks"] = std::move(hooks);
    }
    // Derived from the stages, so it is recomputed on reading, never read back.
    if (ojson capacity = capacity_json(analyse_capacity(report)); !capacity.is_null()) {
        j["capacity"] = std::move(capacity);
    }
    return j;
}

nlohmann::json to_json(const RunReport& report) {
    return nlohmann::json(to_ordered_json(report));
}

Result<RunReport> run_report_from_json(const nlohmann::json& json) {
    try {
        return report_from(json);
    } catch (const nlohmann::json::exception& e) {
        // Reached only for values out of range (an exit code beyond int, ...).
        return fail(ErrorCode::invalid_input, std::string("invalid results file: ") + e.what());
    }
}

}  // namespace orch
