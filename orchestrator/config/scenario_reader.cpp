// The scenario half of the loader. Names matter most here: operation and step names become
// metric names (`send.p95`), so they are unique, well-formed and never a metric word, and
// template slots are resolved to variable indexes once so the hot path never looks a
// name up.
#include "config/scenario_reader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "config/pipeline_keys.hpp"
#include "config/template.hpp"
#include "core/did_you_mean.hpp"
#include "core/redact.hpp"

namespace orch {

namespace {

const std::vector<std::string> k_methods = {"GET",    "POST", "PUT",    "PATCH",
                                            "DELETE", "HEAD", "OPTIONS"};
const std::vector<std::string> k_reserved_words = {
    "requests", "rps",     "success_rate", "error_rate", "min",
    "avg",      "p50",     "p75",          "p90",        "p95",
    "p99",      "p999",    "max",          "errors",     "timing",
    "backend",  "dropped", "scheduled",    "iterations", "latency_uncorrected"};
constexpr std::size_t k_max_regex_length = 1000;

bool is_identifier(std::string_view name, bool allow_dash) {
    if (name.empty() || name.size() > 100) {
        return false;
    }
    auto start_ok = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    };
    if (!start_ok(name[0])) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [&](char c) {
        return start_ok(c) || (c >= '0' && c <= '9') || (allow_dash && c == '-');
    });
}

bool is_header_name(std::string_view name) {
    static const std::string k_token_chars = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               k_token_chars.find(c) != std::string::npos;
    });
}

std::string upper(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return text;
}

std::optional<std::regex> compile_regex(YamlReader& reader, const Located& at,
                                        const std::string& text) {
    if (text.size() > k_max_regex_length) {
        reader.error(at,
                     "regex is longer than " + std::to_string(k_max_regex_length) + " characters");
        return std::nullopt;
    }
    try {
        return std::regex(text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        reader.error(at, "\"" + text + "\" is not a valid regex (ECMAScript): " + e.what());
        return std::nullopt;
    }
}

/// Writes a `json:` body as JSON text into a Template: string values may hold slots, which
/// are JSON-escaped at run time; everything else is literal.
class JsonBodyWriter {
  public:
    JsonBodyWriter(YamlReader& reader, const std::vector<std::string>& variable_names)
        : m_reader(reader), m_names(variable_names) {}

    bool write(const Located& at) {
        if (at.node.IsMap()) {
            MapReader map(m_reader, at, std::vector<std::string>{});
            if (!map.ok()) {
                return false;
            }
            literal("{");
            bool ok = true;
            bool first = true;
            for (const auto& entry : map.entries()) {
                literal(first ? "" : ",");
                first = false;
                // `${VAR}` in a key is interpolated as in a value (`{{name}}` is not: keys
                // are fixed when the file loads).
                auto key = m_reader.text(entry.key_node);
                ok = key.has_value() && ok;
                literal(nlohmann::json(key.value_or(entry.key)).dump() + ":");
                ok = write(entry.value) && ok;
            }
            literal("}");
            return ok;
        }
        if (at.node.IsSequence()) {
            literal("[");
            bool ok = true;
            bool first = true;
            auto items = m_reader.sequence(at);
            for (const auto& item : *items) {
                literal(first ? "" : ",");
                first = false;
                ok = write(item) && ok;
            }
            literal("]");
            return ok;
        }
        if (!at.node.IsDefined() || at.node.IsNull()) {
            literal("null");
            return true;
        }
        auto text = m_reader.text(at);
        if (!text) {
            return false;
        }
        nlohmann::json value = YamlReader::scalar_json(at.node, *text);
        if (text->find("{{") != std::string::npos) {
            value = *text;
        }
        if (!value.is_string()) {
            literal(value.dump());
            return true;
        }
        auto compiled = compile_template(*text, m_names, Template::Escaping::json);
        if (!compiled) {
            m_reader.error(at, compiled.error().message);
            return false;
        }
        literal("\"");
        for (const auto& segment : compiled->segments) {
            if (segment.var < 0) {
                std::string escaped;
                append_json_escaped(segment.literal, escaped);
                literal(escaped);
            } else {
                m_template.segments.push_back(segment);
                m_template.source += "{{" + m_names[static_cast<std::size_t>(segment.var)] + "}}";
            }
        }
        literal("\"");
        return true;
    }

    Template take() { return std::move(m_template); }

  private:
    void literal(std::string_view text) {
        if (text.empty()) {
            return;
        }
        m_template.source += text;
        if (!m_template.segments.empty() && m_template.segments.back().var < 0) {
            m_template.segments.back().literal += text;
        } else {
            m_template.segments.push_back(Template::Segment{std::string(text), -1, {}});
        }
    }

    YamlReader& m_reader;
    const std::vector<std::string>& m_names;
    Template m_template;
};

/// Reads one scenario; owns the name bookkeeping across operations and steps.
class ScenarioReader {
  public:
    ScenarioReader(YamlReader& reader, const ExecutorSections& executors, Scenario& scenario)
        : m_reader(reader), m_executors(executors), m_scenario(scenario) {}

    void read(const Located& at, const std::filesystem::path& base_dir) {
        // Every executor's keys are known here, so a key of another executor is named as
        // such below rather than reported as unknown.
        std::vector<std::string> keys = pipeline_keys::scenario;
        std::vector<std::string> names;
        for (const auto& section : m_executors) {
            names.push_back(section.name);
            keys.insert(keys.end(), section.keys.begin(), section.keys.end());
        }
        MapReader map(m_reader, at, std::move(keys));
        if (!map.ok()) {
            return;
        }
        if (auto v = map.get("executor")) {
            if (auto executor = m_reader.choice(*v, names)) {
                m_scenario.executor = *executor;
            } else {
                m_executor_unknown = true;
            }
        }
        // An unknown name was reported: no executor's rules apply (they would add noise).
        m_section = m_executor_unknown ? nullptr : find_section(m_scenario.executor);
        if (!m_section && !m_executor_unknown) {
            m_reader.error(map.pos(), map.path(),
                           "no executor \"" + m_scenario.executor + "\" is registered");
            m_executor_unknown = true;
        }
        if (auto v = map.get("think_time")) {
            if (auto d = m_reader.duration(*v, false)) {
                m_scenario.think_time = *d;
            }
        }
        if (auto v = map.get("variables")) {
            read_variables(*v);
        }
        m_scenario.variable_names = k_builtin_variables;
        for (const auto& name : m_declared_variables) {
            m_scenario.variable_names.push_back(name);
        }
        auto operations = map.get("operations");
        if (operations) {
            collect_capture_names(operations->node);
        }
        for (const auto& name : m_capture_names) {
            m_scenario.variable_names.push_back(name);
        }
        if (operations) {
            read_operations(*operations);
        } else if (sends_operations()) {
            map.required("operations",
                         "the " + m_scenario.executor + " executor needs at least one operation");
        }
        if (auto v = map.get("tag_responses")) {
            if (m_section && !m_section->records_response_tags) {
                m_reader.error(*v,
                               "tag_responses is for an executor that records response "
                               "headers (" +
                                   tagging_executors() + "); the " + m_scenario.executor +
                                   " executor reports none");
            } else if (m_section) {
                read_tag_responses(*v);
            }
        }
        read_executor_keys(map, base_dir);
    }

    // The name-keyed map loops here and in pipeline_reader (body patterns) share a shape on
    // purpose: each checks its own name grammar with its own message.
    /// `tag_responses: { version: X-Version }`: tag name -> response header.
    void read_tag_responses(const Located& at) {
        MapReader map(m_reader, at, std::vector<std::string>{});
        if (!map.ok()) {
            return;
        }
        if (map.entries().empty()) {
            m_reader.error(at, "is empty (e.g. tag_responses: { version: X-Version })");
            return;
        }
        for (const auto& entry : map.entries()) {
            if (!is_identifier(entry.key, false)) {
                m_reader.error(entry.key_node, "\"" + entry.key +
                                                   "\" is not a tag name (letters, digits, _; "
                                                   "not starting with a digit)");
                continue;
            }
            auto header = m_reader.non_empty_text(entry.value);
            if (!header) {
                continue;
            }
            bool token = std::all_of(header->begin(), header->end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
            });
            if (!token) {
                m_reader.error(entry.value, "\"" + *header +
                                                "\" is not a header name (letters, digits and "
                                                "- _ . only; e.g. X-Version)");
                continue;
            }
            std::string lower;
            for (char c : *header) {
                lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            m_scenario.tag_responses.push_back(ResponseTag{entry.key, lower});
        }
    }

  private:
    const ExecutorSection* find_section(const std::string& name) const {
        for (const auto& section : m_executors) {
            if (section.name == name) {
                return &section;
            }
        }
        return nullptr;
    }

    bool sends_operations() const { return m_section && m_section->sends_operations; }

    /// "executor: builtin" for each registered executor that records response tags.
    std::string tagging_executors() const {
        std::vector<std::string> names;
        for (const auto& section : m_executors) {
            if (section.records_response_tags) {
                names.push_back("executor: " + section.name);
            }
        }
        return names.empty() ? "none is registered" : join_names(names);
    }

    // The executor's own keys are its plugin's to read; keys of the other executors are
    // errors that name the executor they belong to.
    void read_executor_keys(MapReader& map, const std::filesystem::path& base_dir) {
        for (const auto& other : m_executors) {
            if (&other == m_section) {
                continue;
            }
            for (const auto& key : other.keys) {
                const bool own =
                    m_section && std::find(m_section->keys.begin(), m_section->keys.end(), key) !=
                                     m_section->keys.end();
                if (auto v = map.get(key); v && !own && !m_executor_unknown) {
                    m_reader.error(*v, key + " is for the " + other.name +
                                           " executor (executor: " + other.name + ")");
                }
            }
        }
        if (!m_section) {
            return;
        }
        for (const auto& [key, hint] : m_section->required) {
            map.required(key, hint);
        }
        // Read even when a required key is missing: every problem is reported at once.
        if (m_section->read) {
            m_scenario.executor_config =
                m_section->read(ExecutorSectionInput{m_reader, map, base_dir});
        }
    }

    /// False (and a problem recorded) when a `variables:` or `capture:` key is no name.
    bool check_variable_name(const MapReader::Entry& entry) {
        if (is_identifier(entry.key, false)) {
            return true;
        }
        m_reader.error(entry.key_node, "\"" + entry.key +
                                           "\" is not a variable name (letters, digits, _; not "
                                           "starting with a digit)");
        return false;
    }

    void read_variables(const Located& at) {
        MapReader map(m_reader, at, std::vector<std::string>{});
        for (const auto& entry : map.entries()) {
            if (!check_variable_name(entry)) {
                continue;
            }
            if (std::find(k_builtin_variables.begin(), k_builtin_variables.end(), entry.key) !=
                k_builtin_variables.end()) {
                m_reader.error(entry.key_node, "\"" + entry.key + "\" is a built-in variable");
                continue;
            }
            // Declared even when its spec is wrong, so templates using it do not add noise.
            m_declared_variables.push_back(entry.key);
            MapReader spec(m_reader, entry.value, pipeline_keys::variable);
            if (!spec.ok()) {
                continue;
            }
            VariableSpec variable;
            variable.name = entry.key;
            auto random_int = spec.get("random_int");
            auto one_of = spec.get("one_of");
            if (random_int && one_of) {
                m_reader.error(entry.value, "give random_int or one_of, not both");
                continue;
            }
            if (random_int) {
                variable.kind = VariableSpec::Kind::random_int;
                auto bounds = m_reader.sequence(*random_int);
                if (!bounds) {
                    continue;
                }
                if (bounds->size() != 2) {
                    m_reader.error(*random_int, "expected [lowest, highest], e.g. [1, 1000]");
                    continue;
                }
                constexpr std::int64_t k_limit = 1'000'000'000'000'000'000;
                auto lo = m_reader.integer((*bounds)[0], -k_limit, k_limit);
                auto hi = m_reader.integer((*bounds)[1], -k_limit, k_limit);
                if (!lo || !hi) {
                    continue;
                }
                if (*lo > *hi) {
                    m_reader.error(*random_int, "lowest " + std::to_string(*lo) +
                                                    " is above highest " + std::to_string(*hi));
                    continue;
                }
                variable.min = *lo;
                variable.max = *hi;
            } else if (one_of) {
                variable.kind = VariableSpec::Kind::one_of;
                auto values = m_reader.string_list(*one_of, "one_of is a list: [a, b, c]");
                if (!values) {
                    continue;
                }
                if (values->empty()) {
                    m_reader.error(*one_of, "is empty (give at least one value)");
                    continue;
                }
                variable.values = *values;
            } else {
                if (!spec.has_unknown_keys()) {
                    m_reader.error(entry.value,
                                   "expected {random_int: [lo, hi]} or {one_of: [a, b]}");
                }
                continue;
            }
            m_scenario.variables.push_back(std::move(variable));
        }
    }

    // Capture targets are template variables too, so they are gathered before any template
    // is compiled. Only well-formed entries count; read_request reports the others.
    void collect_capture_names(const YAML::Node& operations) {
        if (!operations.IsSequence()) {
            return;
        }
        auto add_from = [&](const YAML::Node& request) {
            if (!request.IsMap()) {
                return;
            }
            const YAML::Node capture = request["capture"];
            if (!capture.IsDefined() || !capture.IsMap()) {
                return;
            }
            for (auto it = capture.begin(); it != capture.end(); ++it) {
                if (!it->first.IsScalar()) {
                    continue;
                }
                std::string name = it->first.Scalar();
                if (is_identifier(name, false) && !is_known_variable(name) &&
                    std::find(m_capture_names.begin(), m_capture_names.end(), name) ==
                        m_capture_names.end()) {
                    m_capture_names.push_back(name);
                }
            }
        };
        for (const auto& operation : operations) {
            add_from(operation);
            if (operation.IsMap() && operation["steps"].IsDefined() &&
                operation["steps"].IsSequence()) {
                for (const auto& step : operation["steps"]) {
                    add_from(step);
                }
            }
        }
    }

    bool is_known_variable(const std::string& name) const {
        if (std::find(k_builtin_variables.begin(), k_builtin_variables.end(), name) !=
            k_builtin_variables.end()) {
            return true;
        }
        return std::find(m_declared_variables.begin(), m_declared_variables.end(), name) !=
               m_declared_variables.end();
    }

    void read_operations(const Located& at) {
        auto items = m_reader.sequence(at);
        if (!items) {
            return;
        }
        if (items->empty() && sends_operations()) {
            m_reader.error(at, "is empty (the " + m_scenario.executor +
                                   " executor needs at least one operation)");
        }
        for (const auto& item : *items) {
            read_operation(item);
        }
    }

    void read_operation(const Located& at) {
        MapReader map(m_reader, at, pipeline_keys::operation);
        if (!map.ok()) {
            return;
        }
        OperationSpec operation;
        if (auto v = map.get("weight")) {
            if (auto weight = m_reader.number(*v, 0, 1e9)) {
                if (*weight <= 0) {
                    m_reader.error(*v, "must be more than 0");
                } else {
                    operation.weight = *weight;
                }
            }
        }
        if (auto steps = map.get("steps")) {
            operation.is_flow = true;
            if (auto name = map.required("name", "every operation has a name")) {
                operation.name = read_name(*name).value_or("");
            }
            for (const char* key :
                 {"method", "path", "json", "body", "headers", "expect", "capture", "timeout"}) {
                if (auto v = map.get(key)) {
                    m_reader.error(*v, std::string("a flow (steps:) has no ") + key +
                                           ": put it on one of its steps");
                }
            }
            auto items = m_reader.sequence(*steps);
            if (items && items->empty()) {
                m_reader.error(*steps, "is empty (a flow runs at least one step)");
            }
            if (items) {
                for (const auto& item : *items) {
                    MapReader step(m_reader, item, pipeline_keys::request);
                    if (step.ok()) {
                        operation.steps.push_back(read_request(step));
                    }
                }
            }
        } else {
            RequestSpec request = read_request(map);
            operation.name = request.name;
            operation.steps.push_back(std::move(request));
        }
        m_scenario.operations.push_back(std::move(operation));
    }

    // A name that becomes a metric prefix: checked for form, metric words and uniqueness.
    std::optional<std::string> read_name(const Located& at) {
        auto name = m_reader.non_empty_text(at);
        if (!name) {
            return std::nullopt;
        }
        if (!is_identifier(*name, true)) {
            m_reader.error(at, "\"" + *name +
                                   "\" is not a valid name (letters, digits, _ and -; not "
                                   "starting with a digit or -)");
            return std::nullopt;
        }
        if (is_reserved_metric_word(*name)) {
            m_reader.error(at, "\"" + *name +
                                   "\" is a metric name, so it cannot name an operation "
                                   "(criteria such as \"" +
                                   *name + ".p95\" would be ambiguous)");
            return std::nullopt;
        }
        auto [it, inserted] = m_names.emplace(*name, at.pos.line);
        if (!inserted) {
            m_reader.error(at, "duplicate name \"" + *name + "\" (first on line " +
                                   std::to_string(it->second) +
                                   "); operation and step names are "
                                   "metric names, so they are unique");
            return std::nullopt;
        }
        return name;
    }

    RequestSpec read_request(MapReader& map) {
        RequestSpec request;
        request.pos = map.pos();
        request.metric_index = m_next_metric_index++;
        if (auto v = map.required("name", "every request has a name, e.g. name: send")) {
            request.name = read_name(*v).value_or("");
        }
        const auto& names = m_scenario.variable_names;
        if (auto v = map.get("method")) {
            if (auto method = m_reader.text(*v)) {
                std::string canonical = upper(*method);
                if (std::find(k_methods.begin(), k_methods.end(), canonical) == k_methods.end()) {
                    m_reader.error(*v, "\"" + *method +
                                           "\" is not one of GET, POST, PUT, PATCH, "
                                           "DELETE, HEAD, OPTIONS");
                } else {
                    request.method = canonical;
                }
            }
        }
        if (auto v = map.get("path")) {
            read_path(*v, request);
        } else if (sends_operations()) {
            map.required("path", "e.g. path: /health");
        }
        auto json = map.get("json");
        auto body = map.get("body");
        if (json && body) {
            m_reader.error(*body, "give json or body, not both");
        } else if (json) {
            JsonBodyWriter writer(m_reader, names);
            if (writer.write(*json)) {
                request.body = writer.take();
                request.content_type = "application/json";
            }
        } else if (body) {
            if (auto text = m_reader.text(*body)) {
                auto compiled = compile_template(*text, names, Template::Escaping::none);
                if (compiled) {
                    request.body = std::move(*compiled);
                } else {
                    m_reader.error(*body, compiled.error().message);
                }
            }
        }
        if (auto v = map.get("headers")) {
            request.headers = read_headers(m_reader, *v, names);
        }
        if (auto v = map.get("expect")) {
            read_expectation(*v, request.expect);
        }
        if (auto v = map.get("capture")) {
            read_capture(*v, request);
        }
        if (auto v = map.get("timeout")) {
            if (auto d = m_reader.duration(*v, true)) {
                request.timeout = *d;
            }
        }
        return request;
    }

    void read_path(const Located& at, RequestSpec& request) {
        auto path = m_reader.non_empty_text(at);
        if (!path) {
            return;
        }
        if ((*path)[0] != '/') {
            m_reader.error(at, "\"" + *path +
                                   "\" does not start with / (it is appended to "
                                   "target.base_url)");
            return;
        }
        auto bad = std::find_if(path->begin(), path->end(), [](char c) {
            return static_cast<unsigned char>(c) <= ' ' || c == '#';
        });
        if (bad != path->end()) {
            m_reader.error(at, "\"" + *path +
                                   "\" holds a space, control character or # "
                                   "(percent-encode it, e.g. %20)");
            return;
        }
        auto compiled = compile_template(*path, m_scenario.variable_names, Template::Escaping::url);
        if (!compiled) {
            m_reader.error(at, compiled.error().message);
            return;
        }
        request.path = std::move(*compiled);
    }

    void read_expectation(const Located& at, Expectation& expect) {
        MapReader map(m_reader, at, pipeline_keys::expect);
        if (!map.ok()) {
            return;
        }
        if (auto v = map.get("status")) {
            if (v->node.IsSequence()) {
                auto items = m_reader.sequence(*v);
                if (items->empty()) {
                    m_reader.error(*v, "is empty (list the allowed statuses, e.g. [200, 201])");
                }
                for (const auto& item : *items) {
                    if (auto status = m_reader.integer(item, 100, 599)) {
                        expect.status.push_back(static_cast<int>(*status));
                    }
                }
            } else if (auto status = m_reader.integer(*v, 100, 599)) {
                expect.status.push_back(static_cast<int>(*status));
            }
        }
        if (auto v = map.get("json")) {
            expect.json = json_pointer_map(m_reader, *v);
        }
        if (auto v = map.get("headers")) {
            MapReader headers(m_reader, *v, std::vector<std::string>{});
            for (const auto& entry : headers.entries()) {
                if (!is_header_name(entry.key)) {
                    m_reader.error(entry.key_node, "\"" + entry.key + "\" is not a header name");
                    continue;
                }
                if (auto value = m_reader.text(entry.value)) {
                    expect.headers.emplace_back(entry.key, *value);
                }
            }
        }
        if (auto v = map.get("body_contains")) {
            if (auto text = m_reader.non_empty_text(*v)) {
                expect.body_contains = *text;
            }
        }
        if (auto v = map.get("body_regex")) {
            if (auto text = m_reader.non_empty_text(*v)) {
                if (compile_regex(m_reader, *v, *text)) {
                    expect.body_regex = *text;
                }
            }
        }
    }

    void read_capture(const Located& at, RequestSpec& request) {
        MapReader map(m_reader, at, std::vector<std::string>{});
        for (const auto& entry : map.entries()) {
            if (!check_variable_name(entry)) {
                continue;
            }
            if (is_known_variable(entry.key)) {
                m_reader.error(entry.key_node,
                               "\"" + entry.key +
                                   "\" is already a scenario or built-in variable: capture into "
                                   "another name");
                continue;
            }
            auto pointer = m_reader.text(entry.value);
            if (!pointer) {
                continue;
            }
            if (pointer->empty() || (*pointer)[0] != '/') {
                m_reader.error(entry.value, "\"" + *pointer +
                                                "\" is not a JSON pointer (it starts with /, "
                                                "e.g. /id)");
                continue;
            }
            request.capture.emplace_back(entry.key, *pointer);
        }
    }

    YamlReader& m_reader;
    const ExecutorSections& m_executors;
    Scenario& m_scenario;
    const ExecutorSection* m_section = nullptr;     ///< the one scenario.executor names
    bool m_executor_unknown = false;                ///< already reported
    std::vector<std::string> m_declared_variables;  ///< `variables:` names, in order
    std::vector<std::string> m_capture_names;
    std::map<std::string, int> m_names;  ///< operation/step name -> line
    std::uint32_t m_next_metric_index = 0;
};

}  // namespace

void register_header_secret(std::string_view value) {
    if (value.find("{{") == std::string_view::npos) {
        register_secret(value);
        return;
    }
    // With slots the value as sent is only known per request: the literal parts long enough
    // to be a credential are registered, not, say, "Bearer " (which would blank every
    // "Bearer " in every report).
    constexpr std::size_t k_min_literal = 8;
    std::size_t pos = 0;
    while (pos < value.size()) {
        std::size_t open = value.find("{{", pos);
        std::string_view literal =
            value.substr(pos, open == std::string_view::npos ? open : open - pos);
        if (literal.size() >= k_min_literal) {
            register_secret(literal);
        }
        if (open == std::string_view::npos) {
            break;
        }
        std::size_t close = value.find("}}", open + 2);
        pos = close == std::string_view::npos ? value.size() : close + 2;
    }
}

bool is_reserved_metric_word(std::string_view name) {
    return std::find(k_reserved_words.begin(), k_reserved_words.end(), name) !=
           k_reserved_words.end();
}

void read_scenario(YamlReader& reader, const Located& at, const std::filesystem::path& base_dir,
                   const ExecutorSections& executors, Scenario& scenario) {
    ScenarioReader(reader, executors, scenario).read(at, base_dir);
}

const ExecutorSections& default_executor_sections() {
    static const ExecutorSections sections = {
        ExecutorSection{"builtin", {}, {}, true, true, true, nullptr}};
    return sections;
}

std::vector<Header> read_headers(YamlReader& reader, const Located& at,
                                 const std::vector<std::string>& variable_names) {
    std::vector<Header> headers;
    MapReader map(reader, at, std::vector<std::string>{});
    std::map<std::string, const MapReader::Entry*> seen;  // lower-case name -> first entry
    for (const auto& entry : map.entries()) {
        if (!is_header_name(entry.key)) {
            reader.error(entry.key_node, "\"" + entry.key + "\" is not a header name");
            continue;
        }
        // HTTP header names are case-insensitive: X-Token and x-token are one header, and
        // sending both (or dropping one) is never what was meant.
        std::string lower = entry.key;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (auto [first, inserted] = seen.emplace(lower, &entry); !inserted) {
            reader.error(entry.key_node, "header \"" + entry.key + "\" repeats \"" +
                                             first->second->key + "\" (line " +
                                             std::to_string(first->second->key_node.pos.line) +
                                             "): header names are case-insensitive, keep one");
            continue;
        }
        auto value = reader.text(entry.value);
        if (!value) {
            continue;
        }
        if (is_secret_header_name(entry.key)) {
            // Other header values are shown as they are (Accept-Encoding: gzip is no
            // secret); a secret ${VAR} inside one is registered when it is read.
            register_header_secret(*value);
        }
        auto compiled = compile_template(*value, variable_names, Template::Escaping::none);
        if (!compiled) {
            reader.error(entry.value, compiled.error().message);
            continue;
        }
        headers.push_back(Header{entry.key, std::move(*compiled)});
    }
    return headers;
}

}  // namespace orch
