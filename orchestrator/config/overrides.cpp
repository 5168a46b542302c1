#include "config/overrides.hpp"
#include "config/yaml_reader.hpp"

#include <vector>

namespace orch {

namespace {

struct Step {
    enum class Kind { key, index, all };
    Kind kind = Kind::key;
    std::string key;
    std::size_t index = 0;
};

bool all_digits(std::string_view text) {
    if (text.empty() || text.size() > 9) {
        return false;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

// Splits KEY.PATH into steps; nullopt (with `problem` set) when malformed.
std::optional<std::vector<Step>> parse_path(std::string_view path, std::string& problem) {
    std::vector<Step> steps;
    std::size_t i = 0;
    while (i <= path.size()) {
        std::size_t start = i;
        while (i < path.size() && path[i] != '.' && path[i] != '[') {
            ++i;
        }
        std::string key(path.substr(start, i - start));
        if (key.empty()) {
            problem = "empty key in \"" + std::string(path) + "\"";
            return std::nullopt;
        }
        steps.push_back(Step{Step::Kind::key, key, 0});
        while (i < path.size() && path[i] == '[') {
            std::size_t close = path.find(']', i);
            if (close == std::string_view::npos) {
                problem = "unclosed \"[\" in \"" + std::string(path) + "\"";
                return std::nullopt;
            }
            std::string_view inside = path.substr(i + 1, close - i - 1);
            if (inside == "*") {
                steps.push_back(Step{Step::Kind::all, {}, 0});
            } else if (all_digits(inside)) {
                steps.push_back(Step{Step::Kind::index, {}, std::stoul(std::string(inside))});
            } else {
                problem =
                    "\"[" + std::string(inside) + "]\" is not an index (use [0], [1]... or [*])";
                return std::nullopt;
            }
            i = close + 1;
        }
        if (i == path.size()) {
            break;
        }
        if (path[i] != '.') {
            problem = "expected \".\" after \"]\" in \"" + std::string(path) + "\"";
            return std::nullopt;
        }
        ++i;
        if (i == path.size()) {
            problem = "\"" + std::string(path) + "\" ends with \".\"";
            return std::nullopt;
        }
    }
    return steps;
}

class OverrideApplier {
  public:
    OverrideApplier(const std::vector<Step>& steps, const YAML::Node& value,
                    const std::string& text, DiagnosticList& diagnostics)
        : m_steps(steps), m_value(value), m_text(text), m_diagnostics(diagnostics) {}

    void apply(YAML::Node node, std::size_t i, const std::string& path) {
        const Step& step = m_steps[i];
        if (node.IsSequence()) {
            apply_to_sequence(node, i, path);
        } else if (node.IsMap() || node.IsNull()) {
            if (step.kind != Step::Kind::key) {
                problem(
                    (path.empty() ? std::string("the file") : path) + " is not a list, so [" +
                    (step.kind == Step::Kind::all ? std::string("*") : std::to_string(step.index)) +
                    "] does not apply");
                return;
            }
            std::string key_path = child_path(path, step.key);
            if (i + 1 == m_steps.size()) {
                node[step.key] = YAML::Clone(m_value);
                m_diagnostics.note_override(key_path, m_text);
                return;
            }
            YAML::Node child = node[step.key];
            if (!child.IsDefined() || child.IsNull()) {
                if (m_steps[i + 1].kind != Step::Kind::key) {
                    problem(key_path + " does not exist");
                    return;
                }
                node[step.key] = YAML::Node(YAML::NodeType::Map);
                m_diagnostics.note_override(key_path, m_text);
                child = node[step.key];
            }
            apply(child, i + 1, key_path);
        } else {
            problem(path + " is a value, not a mapping or a list: cannot set \"" + step.key +
                    "\" inside it");
        }
    }

  private:
    void apply_to_sequence(YAML::Node node, std::size_t i, const std::string& path) {
        const Step& step = m_steps[i];
        if (step.kind == Step::Kind::all) {
            for (std::size_t index = 0; index < node.size(); ++index) {
                apply_at(node, index, i, path);
            }
            return;
        }
        std::size_t index = step.index;
        if (step.kind == Step::Kind::key) {
            if (all_digits(step.key)) {
                index = std::stoul(step.key);
            } else {
                std::vector<std::string> names;
                bool found = false;
                for (std::size_t k = 0; k < node.size(); ++k) {
                    const YAML::Node element = node[k];
                    if (element.IsMap() && element["name"].IsDefined() &&
                        element["name"].IsScalar()) {
                        names.push_back(element["name"].Scalar());
                        if (names.back() == step.key && !found) {
                            found = true;
                            index = k;
                        }
                    }
                }
                if (!found) {
                    std::string message = "no element named \"" + step.key + "\" in " + path;
                    std::string suggestion = closest_match(step.key, names);
                    if (!suggestion.empty()) {
                        message += " (did you mean \"" + suggestion + "\"?)";
                    } else if (!names.empty()) {
                        std::string list;
                        for (const auto& name : names) {
                            list += (list.empty() ? "" : ", ") + name;
                        }
                        message += " (names: " + list + ")";
                    }
                    problem(message);
                    return;
                }
            }
        }
        if (index >= node.size()) {
            problem(path + " has " + std::to_string(node.size()) + " entries: [" +
                    std::to_string(index) + "] is out of range");
            return;
        }
        apply_at(node, index, i, path);
    }

    void apply_at(YAML::Node node, std::size_t index, std::size_t i, const std::string& path) {
        std::string element_path = path + "[" + std::to_string(index) + "]";
        if (i + 1 == m_steps.size()) {
            node[index] = YAML::Clone(m_value);
            m_diagnostics.note_override(element_path, m_text);
            return;
        }
        apply(node[index], i + 1, element_path);
    }

    void problem(std::string message) {
        m_diagnostics.add_override_problem(m_text, std::move(message));
    }

    const std::vector<Step>& m_steps;
    const YAML::Node& m_value;
    const std::string& m_text;
    DiagnosticList& m_diagnostics;
};

}  // namespace

void apply_override(YAML::Node& root, const std::string& override_text,
                    DiagnosticList& diagnostics) {
    std::size_t equals = override_text.find('=');
    if (equals == std::string::npos) {
        diagnostics.add_override_problem(override_text,
                                         "expected KEY.PATH=VALUE, e.g. stages.smoke.duration=5s");
        return;
    }
    std::string key_path = trimmed(std::string_view(override_text).substr(0, equals));
    std::string value_text = override_text.substr(equals + 1);
    std::string problem;
    auto steps = parse_path(key_path, problem);
    if (!steps) {
        diagnostics.add_override_problem(override_text, problem);
        return;
    }
    YAML::Node value;
    try {
        value = YAML::Load(value_text);
    } catch (const YAML::Exception& e) {
        diagnostics.add_override_problem(
            override_text, "the value is not valid YAML: " + e.msg + " (quote it: KEY='\"text\"')");
        return;
    }
    if (!value.IsDefined() || value.IsNull()) {
        value = YAML::Node(std::string());
    }
    if (!root.IsMap()) {
        return;  // the file's own problem is reported by the loader
    }
    OverrideApplier(*steps, value, override_text, diagnostics).apply(root, 0, "");
}

}  // namespace orch
