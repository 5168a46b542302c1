#include "config/overrides.hpp"
#include "config/yaml_reader.hpp"
#include "core/did_you_mean.hpp"

#include <set>
#include <tuple>
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
                    problem("no element named \"" + step.key + "\" in " + path +
                            did_you_mean(step.key, names,
                                         names.empty() ? "" : "names: " + join_names(names)));
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

/// A copy of `node` that shares no node with it (positions are not kept: yaml-cpp's public
/// API cannot set them). Tags are kept, so a quoted scalar stays a string.
YAML::Node deep_copy(const YAML::Node& node) {
    // Never `copy = ...`: assigning to a yaml-cpp handle rewrites the node it points at.
    if (node.IsScalar()) {
        YAML::Node copy(node.Scalar());
        copy.SetTag(node.Tag());
        copy.SetStyle(node.Style());
        return copy;
    }
    YAML::Node copy(node.IsMap()        ? YAML::NodeType::Map
                    : node.IsSequence() ? YAML::NodeType::Sequence
                                        : YAML::NodeType::Null);
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            copy.force_insert(deep_copy(it->first), deep_copy(it->second));
        }
    } else if (node.IsSequence()) {
        for (const auto& item : node) {
            copy.push_back(deep_copy(item));
        }
    }
    copy.SetTag(node.Tag());
    copy.SetStyle(node.Style());
    return copy;
}

/// Identity of a parsed node: an alias is the anchored node itself, so it has the same mark
/// and type; two distinct nodes from the parser never share both (a block map and its first
/// key start at the same place but differ in type). A false match only costs a copy.
using NodeIdentity = std::tuple<int, int, int, int>;

NodeIdentity identity_of(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return {mark.pos, mark.line, mark.column, static_cast<int>(node.Type())};
}

class AliasResolver {
  public:
    /// Makes the children of `node` (which occurs once in the tree) independent.
    void resolve(YAML::Node node) {
        if (node.IsMap()) {
            resolve_map(node);
        } else if (node.IsSequence()) {
            resolve_sequence(node);
        }
    }

  private:
    /// True when `child` was met before (an alias of it is being visited now).
    bool seen_before(const YAML::Node& child) {
        if (!child.IsMap() && !child.IsSequence() && !child.IsScalar()) {
            return false;  // null: nothing in it to edit, and yaml-cpp marks nulls loosely
        }
        if (child.Mark().is_null()) {
            return true;  // not from the parser: copy it to be sure
        }
        return !m_seen.insert(identity_of(child)).second;
    }

    // Replacing a child means rebuilding its container's entry list: assigning through
    // node[key] would rewrite the shared node for every alias at once.
    void resolve_map(YAML::Node map) {
        std::vector<std::pair<YAML::Node, YAML::Node>> entries;
        bool replaced = false;
        for (auto it = map.begin(); it != map.end(); ++it) {
            const YAML::Node value = it->second;
            bool shared = seen_before(value);
            if (!shared) {
                resolve(value);
            }
            replaced = replaced || shared;
            entries.emplace_back(it->first, shared ? deep_copy(value) : value);
        }
        if (!replaced) {
            return;
        }
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            map.remove(it->first);
        }
        for (auto& [key, value] : entries) {
            map.force_insert(key, value);
        }
    }

    void resolve_sequence(YAML::Node sequence) {
        std::vector<YAML::Node> items;
        bool replaced = false;
        for (const auto& element : sequence) {
            const YAML::Node item = element;
            bool shared = seen_before(item);
            if (!shared) {
                resolve(item);
            }
            replaced = replaced || shared;
            items.push_back(shared ? deep_copy(item) : item);
        }
        if (!replaced) {
            return;
        }
        for (std::size_t i = items.size(); i > 0; --i) {
            sequence.remove(i - 1);
        }
        for (auto& item : items) {
            sequence.push_back(item);
        }
    }

    std::set<NodeIdentity> m_seen;
};

}  // namespace

void resolve_aliases(YAML::Node& root) {
    AliasResolver().resolve(root);
}

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
