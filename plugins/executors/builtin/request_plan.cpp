#include "plugins/executors/builtin/request_plan.hpp"

#include <algorithm>
#include <cctype>

#include "plugins/executors/builtin/lean_transport.hpp"

namespace orch::builtin {

namespace {

// Response bytes kept per request: all of it when a check reads the body, else enough for
// body patterns and failure samples.
constexpr std::size_t k_full_body_limit = std::size_t{16} << 20;
constexpr std::size_t k_sample_body_limit = std::size_t{64} << 10;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string where(const RequestSpec& spec) {
    std::string out = "operation \"" + spec.name + "\"";
    if (spec.pos.line > 0) {
        out += " (line " + std::to_string(spec.pos.line) + ")";
    }
    return out;
}

Result<nlohmann::json::json_pointer> compile_pointer(const std::string& text,
                                                     const RequestSpec& spec) {
    try {
        return nlohmann::json::json_pointer(text);
    } catch (const nlohmann::json::exception& error) {
        return fail(
            ErrorCode::invalid_input,
            where(spec) + ": \"" + text + "\" is not a JSON pointer (" + error.what() + ")");
    }
}

Result<std::regex> compile_regex(const std::string& text, const std::string& what) {
    try {
        return std::regex(text, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& error) {
        return fail(ErrorCode::invalid_input,
                    what + ": \"" + text + "\" is not a valid regex (" + error.what() + ")");
    }
}

std::vector<VariableSlot> compile_slots(const Scenario& scenario) {
    std::vector<VariableSlot> slots;
    for (const auto& name : scenario.variable_names) {
        VariableSlot slot;
        if (name == "uuid") {
            slot.kind = SlotKind::uuid;
        } else if (name == "vu") {
            slot.kind = SlotKind::vu;
        } else if (name == "iter") {
            slot.kind = SlotKind::iter;
        } else if (name == "stage") {
            slot.kind = SlotKind::stage;
        } else {
            auto variable = std::find_if(scenario.variables.begin(), scenario.variables.end(),
                                         [&](const VariableSpec& v) { return v.name == name; });
            if (variable != scenario.variables.end()) {
                slot.kind = variable->kind == VariableSpec::Kind::random_int ? SlotKind::random_int
                                                                             : SlotKind::one_of;
                slot.min = variable->min;
                slot.max = variable->max;
                slot.values = variable->values;
            }
        }
        slots.push_back(std::move(slot));
    }
    return slots;
}

/// Marks the slots no template of `plan` reads as unused, so they are not drawn per
/// iteration (a `{{uuid}}` nobody sends costs nothing).
void mark_used_slots(ScenarioPlan& plan) {
    for (auto& slot : plan.slots) {
        slot.used = false;
    }
    auto mark = [&](const Template& text) {
        for (const auto& segment : text.segments) {
            if (segment.var >= 0 && static_cast<std::size_t>(segment.var) < plan.slots.size()) {
                plan.slots[static_cast<std::size_t>(segment.var)].used = true;
            }
        }
    };
    for (const auto& operation : plan.operations) {
        for (const auto& step : operation.steps) {
            mark(step.path);
            if (step.body) {
                mark(*step.body);
            }
            for (const auto& header : step.templated_headers) {
                mark(header.second);
            }
        }
    }
}

bool has_header(const std::vector<std::string>& lower_names, std::string_view name) {
    return std::find(lower_names.begin(), lower_names.end(), lower(name)) != lower_names.end();
}

Result<CompiledRequest> compile_request(const RequestSpec& spec, const Pipeline& pipeline,
                                        const RequestUrl& base) {
    CompiledRequest out;
    out.name = spec.name;
    out.metric_index = spec.metric_index;
    out.method = upper(spec.method.empty() ? "GET" : spec.method);
    out.path = spec.path;
    out.absolute = !spec.path.segments.empty() && spec.path.segments[0].var < 0 &&
                   (spec.path.segments[0].literal.starts_with("http://") ||
                    spec.path.segments[0].literal.starts_with("https://"));
    if (spec.path.is_constant()) {
        std::string_view path =
            spec.path.segments.empty() ? std::string_view() : spec.path.segments[0].literal;
        out.url.emplace();
        if (out.absolute) {
            parse_request_url(path, *out.url);
        } else {
            append_request_path(base, path, *out.url);
        }
    }
    out.body = spec.body;
    out.timeout = spec.timeout.value_or(pipeline.target.timeout);

    // Request headers override target headers of the same name (case-insensitive).
    std::vector<std::string> names;
    std::vector<const Header*> headers;
    for (const auto& header : spec.headers) {
        names.push_back(lower(header.name));
        headers.push_back(&header);
    }
    for (const auto& header : pipeline.target.headers) {
        if (!has_header(names, header.name)) {
            names.push_back(lower(header.name));
            headers.push_back(&header);
        }
    }
    for (const Header* header : headers) {
        if (header->value.is_constant()) {
            out.constant_headers.emplace_back(
                header->name,
                header->value.segments.empty() ? "" : header->value.segments[0].literal);
        } else {
            out.templated_headers.emplace_back(header->name, header->value);
        }
    }
    if (out.body && !spec.content_type.empty() && !has_header(names, "content-type")) {
        out.constant_headers.emplace_back("Content-Type", spec.content_type);
    }
    if (!has_header(names, "user-agent")) {
        out.constant_headers.emplace_back("User-Agent", "stagegate");
    }
    out.decode_compressed = pipeline.target.decode_compressed;

    const Expectation& expect = spec.expect;
    out.allowed_status = expect.status;
    for (const auto& [pointer, value] : expect.json) {
        auto compiled = compile_pointer(pointer, spec);
        if (!compiled) {
            return tl::unexpected(compiled.error());
        }
        out.expect_json.emplace_back(std::move(*compiled), *value);
    }
    for (const auto& [name, value] : expect.headers) {
        out.expect_headers.emplace_back(lower(name), value);
    }
    out.body_contains = expect.body_contains;
    if (!expect.body_regex.empty()) {
        auto regex = compile_regex(expect.body_regex, where(spec) + ": expect.body_regex");
        if (!regex) {
            return tl::unexpected(regex.error());
        }
        out.body_regex = std::move(*regex);
    }
    for (const auto& [variable, pointer] : spec.capture) {
        const auto& names_in_order = pipeline.scenario.variable_names;
        auto slot = std::find(names_in_order.begin(), names_in_order.end(), variable);
        if (slot == names_in_order.end()) {
            return fail(ErrorCode::invalid_input, where(spec) + ": capture target \"" + variable +
                                                      "\" is not a scenario variable name");
        }
        auto compiled = compile_pointer(pointer, spec);
        if (!compiled) {
            return tl::unexpected(compiled.error());
        }
        out.captures.emplace_back(static_cast<std::size_t>(slot - names_in_order.begin()),
                                  std::move(*compiled));
    }
    out.needs_json = !out.expect_json.empty() || !out.captures.empty();
    out.want_headers = !out.expect_headers.empty();
    bool reads_body = out.needs_json || !out.body_contains.empty() || out.body_regex.has_value();
    out.body_limit = reads_body ? k_full_body_limit : k_sample_body_limit;
    return out;
}

}  // namespace

std::size_t ScenarioPlan::pick_operation(Prng& prng) const noexcept {
    if (operations.size() <= 1) {
        return 0;
    }
    double draw = prng.next_unit() * cumulative_weights.back();
    auto found = std::upper_bound(cumulative_weights.begin(), cumulative_weights.end(), draw);
    auto index = static_cast<std::size_t>(found - cumulative_weights.begin());
    return std::min(index, operations.size() - 1);
}

namespace {

/// The transport `pipeline.target.transport` asks for, with auto resolved: lean when every
/// URL of the plan is one lean carries (http:// or https://, no user info), curl otherwise. Errors:
/// lean on a URL it cannot carry.
Result<orch::Transport> choose_transport(const Pipeline& pipeline, const ScenarioPlan& plan) {
    // The first URL the lean transport cannot carry (another scheme, user info), if any.
    std::string unfit;
    bool uses_base = false;
    for (const auto& operation : plan.operations) {
        for (const auto& step : operation.steps) {
            if (!step.absolute) {
                uses_base = true;
            } else if (unfit.empty() && !lean_supports_url(step.path.segments[0].literal)) {
                // The literal before any {{slot}}: a slot in the host is carried by lean
                // when the host's first part is written out, by curl otherwise.
                unfit = step.path.segments[0].literal;
            }
        }
    }
    if (uses_base && !lean_supports_url(plan.base_url)) {
        unfit = plan.base_url;
    }
    switch (pipeline.target.transport) {
        case orch::Transport::curl:
            return orch::Transport::curl;
        case orch::Transport::auto_select:
            return unfit.empty() ? orch::Transport::lean : orch::Transport::curl;
        case orch::Transport::lean:
            break;
    }
    if (!unfit.empty()) {
        return fail(ErrorCode::invalid_input,
                    "target.transport: lean speaks http:// and https:// only (no user name in "
                    "the URL), not \"" +
                        unfit + "\" (use transport: auto or curl)");
    }
    return orch::Transport::lean;
}

}  // namespace

Result<ScenarioPlan> compile_plan(const Pipeline& pipeline) {
    const Scenario& scenario = pipeline.scenario;
    if (scenario.operations.empty()) {
        return fail(ErrorCode::invalid_input,
                    "scenario.operations: the builtin executor needs at least one operation");
    }
    ScenarioPlan plan;
    plan.base_url = pipeline.target.base_url;
    while (!plan.base_url.empty() && plan.base_url.back() == '/') {
        plan.base_url.pop_back();
    }
    parse_request_url(plan.base_url, plan.base);
    plan.think_time = scenario.think_time;
    plan.tls = pipeline.target.insecure ? TlsVerification::off : TlsVerification::on;
    plan.target = pipeline.target;
    plan.slots = compile_slots(scenario);

    double total_weight = 0;
    for (const auto& operation : scenario.operations) {
        if (operation.steps.empty()) {
            return fail(ErrorCode::invalid_input,
                        "operation \"" + operation.name + "\" has no request");
        }
        if (!(operation.weight >= 0)) {
            return fail(ErrorCode::invalid_input,
                        "operation \"" + operation.name + "\": weight must not be negative");
        }
        CompiledOperation compiled;
        compiled.name = operation.name;
        for (const auto& step : operation.steps) {
            auto request = compile_request(step, pipeline, plan.base);
            if (!request) {
                return tl::unexpected(request.error());
            }
            auto index = static_cast<std::size_t>(step.metric_index);
            if (index >= plan.operation_names.size()) {
                plan.operation_names.resize(index + 1);
            }
            if (!plan.operation_names[index].empty() && plan.operation_names[index] != step.name) {
                return fail(ErrorCode::internal,
                            "metric index " + std::to_string(index) + " names both \"" +
                                plan.operation_names[index] + "\" and \"" + step.name + "\"");
            }
            plan.operation_names[index] = step.name;
            compiled.steps.push_back(std::move(*request));
        }
        total_weight += operation.weight;
        plan.cumulative_weights.push_back(total_weight);
        plan.operations.push_back(std::move(compiled));
    }
    if (!(total_weight > 0)) {
        return fail(ErrorCode::invalid_input,
                    "scenario.operations: at least one operation needs a weight above 0");
    }
    if (pipeline.body_patterns.size() > 64) {
        return fail(ErrorCode::invalid_input, "body_patterns: at most 64 patterns");
    }
    for (const auto& pattern : pipeline.body_patterns) {
        auto regex = compile_regex(pattern.regex, "body_patterns." + pattern.name);
        if (!regex) {
            return tl::unexpected(regex.error());
        }
        plan.body_patterns.push_back(std::move(*regex));
    }
    for (const auto& tag : pipeline.scenario.tag_responses) {
        plan.tag_headers.push_back(tag.header);
    }
    mark_used_slots(plan);
    auto transport = choose_transport(pipeline, plan);
    if (!transport) {
        return tl::unexpected(transport.error());
    }
    plan.transport = *transport;
    return plan;
}

}  // namespace orch::builtin
