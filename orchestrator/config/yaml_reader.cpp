#include "config/yaml_reader.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/did_you_mean.hpp"
#include "core/redact.hpp"

namespace orch {

namespace {

std::string quote_text(std::string_view text) {
    constexpr std::size_t k_max = 80;
    std::string out = "\"";
    out += text.size() > k_max ? std::string(text.substr(0, k_max)) + "..." : std::string(text);
    out += "\"";
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool path_is_under(const std::string& path, const std::string& prefix) {
    if (path.compare(0, prefix.size(), prefix) != 0) {
        return false;
    }
    return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

// The YAML 1.2 core schema's number forms that JSON also has.
bool looks_like_json_number(const std::string& text) {
    static const std::regex k_number(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
    return std::regex_match(text, k_number);
}

}  // namespace

// --- DiagnosticList ---

void DiagnosticList::add(SourcePos pos, std::string path, std::string message) {
    if (pos.line < 1) {
        pos = SourcePos{1, 1};
    }
    m_list.push_back(Diagnostic{m_file, pos, std::move(path), std::move(message)});
}

void DiagnosticList::add_override_problem(const std::string& override_text, std::string message) {
    m_list.push_back(Diagnostic{"--set", SourcePos{}, override_text, std::move(message)});
}

void DiagnosticList::note_override(std::string path, std::string override_text) {
    m_overrides.emplace_back(std::move(path), std::move(override_text));
}

std::vector<Diagnostic> DiagnosticList::take() {
    for (auto& diagnostic : m_list) {
        if (diagnostic.file == "--set") {
            continue;
        }
        // The last --set that wrote at or above this path is where the value came from.
        for (auto it = m_overrides.rbegin(); it != m_overrides.rend(); ++it) {
            if (path_is_under(diagnostic.path, it->first)) {
                diagnostic.file = "--set";
                diagnostic.pos = SourcePos{};
                diagnostic.message += " (from --set " + it->second + ")";
                break;
            }
        }
    }
    for (auto& diagnostic : m_list) {
        diagnostic.path = redact(diagnostic.path);
        diagnostic.message = redact(diagnostic.message);
    }
    std::stable_sort(m_list.begin(), m_list.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
    });
    if (m_list.size() > k_max_diagnostics) {
        std::size_t more = m_list.size() - k_max_diagnostics;
        Diagnostic next = m_list[k_max_diagnostics];
        m_list.resize(k_max_diagnostics);
        m_list.push_back(
            Diagnostic{next.file, next.pos, "",
                       "... and " + std::to_string(more) + " more problems (fix these first)"});
    }
    return std::move(m_list);
}

// --- Paths and positions ---

std::filesystem::path resolve_relative(const std::filesystem::path& base_dir,
                                       const std::string& path) {
    std::filesystem::path given(path);
    std::filesystem::path resolved =
        given.is_absolute() ? given.lexically_normal() : (base_dir / given).lexically_normal();
    if (!resolved.has_filename() && resolved.has_relative_path()) {
        resolved = resolved.parent_path();
    }
    return resolved.empty() ? std::filesystem::path(".") : resolved;
}

std::string child_path(std::string_view parent, std::string_view key) {
    if (parent.empty()) {
        return std::string(key);
    }
    return std::string(parent) + "." + std::string(key);
}

SourcePos position_of(const YAML::Node& node, SourcePos fallback) {
    if (!node.IsDefined()) {
        return fallback;
    }
    YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0 || mark.column < 0) {
        return fallback;
    }
    return SourcePos{mark.line + 1, mark.column + 1};
}

std::string_view kind_name(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) {
        return "nothing";
    }
    if (node.IsMap()) {
        return "a mapping";
    }
    if (node.IsSequence()) {
        return "a list";
    }
    return "a string";
}

// --- YamlReader ---

void YamlReader::error(const Located& at, std::string message) {
    m_diagnostics.add(at.pos, at.path, std::move(message));
}

void YamlReader::error(SourcePos pos, std::string path, std::string message) {
    m_diagnostics.add(pos, std::move(path), std::move(message));
}

std::optional<std::vector<Located>> YamlReader::sequence(const Located& at) {
    if (!at.node.IsSequence()) {
        error(at, "expected a list, got " + std::string(kind_name(at.node)));
        return std::nullopt;
    }
    std::vector<Located> items;
    std::size_t index = 0;
    for (const auto& item : at.node) {
        items.push_back(
            Located{item, at.path + "[" + std::to_string(index) + "]", position_of(item, at.pos)});
        ++index;
    }
    return items;
}

std::optional<std::string> YamlReader::text(const Located& at) {
    if (!at.node.IsScalar()) {
        error(at, "expected a value, got " + std::string(kind_name(at.node)));
        return std::nullopt;
    }
    auto value = interpolate(at.node.Scalar(), m_lookup);
    if (!value) {
        error(at, value.error().message);
        return std::nullopt;
    }
    return *value;
}

std::optional<std::string> YamlReader::non_empty_text(const Located& at) {
    auto value = text(at);
    if (value && value->empty()) {
        error(at, "is empty");
        return std::nullopt;
    }
    return value;
}

namespace {

/// A quoted scalar without `${...}` is text in YAML (and in the JSON Schema): `vus: "5"` is
/// refused as a number, so editors and stagegate give the same answer. An interpolated one
/// (`vus: "${VUS:-5}"`) is read after interpolation.
bool quoted_literal(const YAML::Node& node) {
    return node.IsScalar() && node.Tag() == "!" && !has_interpolation(node.Scalar());
}

/// The interpolated text of a scalar that must be `what` (a number): a non-scalar, or a
/// quoted literal (text in YAML), is recorded as a problem.
std::optional<std::string> number_text(YamlReader& reader, const Located& at,
                                       std::string_view what) {
    if (!at.node.IsScalar()) {
        reader.error(at,
                     "expected " + std::string(what) + ", got " + std::string(kind_name(at.node)));
        return std::nullopt;
    }
    if (quoted_literal(at.node)) {
        reader.error(at, quote_text(at.node.Scalar()) + " is quoted, so it is text: write " +
                             trimmed(at.node.Scalar()) + " without quotes for a number");
        return std::nullopt;
    }
    return reader.text(at);
}
}  // namespace

std::optional<std::int64_t> YamlReader::integer(const Located& at, std::int64_t lo,
                                                std::int64_t hi) {
    auto raw = number_text(*this, at, "a whole number");
    if (!raw) {
        return std::nullopt;
    }
    std::string value = trimmed(*raw);
    std::string range = " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")";
    const char* begin = value.data();
    const char* end = value.data() + value.size();
    if (!value.empty() && value[0] == '+') {
        ++begin;
    }
    std::int64_t number = 0;
    auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ptr != end || value.empty() || begin == end) {
        error(at, quote_text(*raw) + " is not a whole number" + range);
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || number < lo || number > hi) {
        error(at, value + " is out of range" + range);
        return std::nullopt;
    }
    return number;
}

std::optional<double> YamlReader::number(const Located& at, double lo, double hi) {
    auto raw = number_text(*this, at, "a number");
    if (!raw) {
        return std::nullopt;
    }
    std::string value = trimmed(*raw);
    double number = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ptr != value.data() + value.size() || !std::isfinite(number) ||
        lower(value).find_first_of("in") != std::string::npos) {
        error(at, quote_text(*raw) + " is not a number");
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || number < lo || number > hi) {
        error(at, value + fmt::format(" is out of range ({:g}..{:g})", lo, hi));
        return std::nullopt;
    }
    return number;
}

std::optional<bool> YamlReader::boolean(const Located& at) {
    if (!at.node.IsScalar()) {
        error(at, "expected true or false, got " + std::string(kind_name(at.node)));
        return std::nullopt;
    }
    if (quoted_literal(at.node)) {
        error(at, quote_text(at.node.Scalar()) + " is quoted, so it is text: write " +
                      trimmed(at.node.Scalar()) + " without quotes for true or false");
        return std::nullopt;
    }
    auto raw = text(at);
    if (!raw) {
        return std::nullopt;
    }
    std::string value = lower(trimmed(*raw));
    if (value == "true") {
        return true;
    }
    if (value == "false") {
        return false;
    }
    error(at, quote_text(*raw) + " is not true or false");
    return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const Located& at, bool positive) {
    if (!at.node.IsScalar()) {
        error(at, "expected a duration such as 30s, got " + std::string(kind_name(at.node)));
        return std::nullopt;
    }
    auto raw = text(at);
    if (!raw) {
        return std::nullopt;
    }
    auto value = parse_duration(*raw);
    if (!value) {
        error(at, value.error().message);
        return std::nullopt;
    }
    if (positive && value->count() <= 0) {
        error(at, "must be more than 0");
        return std::nullopt;
    }
    return *value;
}

std::optional<std::string> YamlReader::choice(const Located& at,
                                              const std::vector<std::string>& choices) {
    auto value = text(at);
    if (!value) {
        return std::nullopt;
    }
    if (std::find(choices.begin(), choices.end(), *value) != choices.end()) {
        return value;
    }
    error(at, quote_text(*value) + " is not one of " + join_names(choices) +
                  did_you_mean(*value, choices));
    return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const Located& at,
                                                                std::string_view scalar_hint) {
    if (at.node.IsScalar() && !scalar_hint.empty()) {
        error(at, "expected a list, got a string: " + std::string(scalar_hint));
        return std::nullopt;
    }
    auto items = sequence(at);
    if (!items) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& item : *items) {
        auto value = text(item);
        if (value) {
            out.push_back(*value);
        } else {
            ok = false;
        }
    }
    return ok ? std::optional(out) : std::nullopt;
}

nlohmann::json YamlReader::scalar_json(const YAML::Node& node, const std::string& text) {
    const std::string& tag = node.Tag();
    if (tag == "!" || (tag.size() >= 4 && tag.compare(tag.size() - 4, 4, ":str") == 0)) {
        return text;
    }
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
        return nullptr;
    }
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    if (text.size() < 400 && looks_like_json_number(text)) {
        nlohmann::json number = nlohmann::json::parse(text, nullptr, false);
        if (!number.is_discarded()) {
            return number;
        }
    }
    return text;
}

std::optional<nlohmann::json> YamlReader::json_value(const Located& at) {
    if (!at.node.IsDefined() || at.node.IsNull()) {
        return nlohmann::json(nullptr);
    }
    if (at.node.IsSequence()) {
        nlohmann::json array = nlohmann::json::array();
        bool ok = true;
        auto items = sequence(at);
        for (const auto& item : *items) {
            auto value = json_value(item);
            ok = ok && value.has_value();
            if (value) {
                array.push_back(std::move(*value));
            }
        }
        return ok ? std::optional(array) : std::nullopt;
    }
    if (at.node.IsMap()) {
        MapReader map(*this, at, std::vector<std::string>{});
        nlohmann::json object = nlohmann::json::object();
        bool ok = map.ok();
        for (const auto& entry : map.entries()) {
            auto value = json_value(entry.value);
            ok = ok && value.has_value();
            if (value) {
                object[entry.key] = std::move(*value);
            }
        }
        return ok ? std::optional(object) : std::nullopt;
    }
    auto value = text(at);
    if (!value) {
        return std::nullopt;
    }
    return scalar_json(at.node, *value);
}

// --- MapReader ---

MapReader::MapReader(YamlReader& reader, const Located& map, std::vector<std::string> keys)
    : m_reader(reader), m_path(map.path), m_pos(map.pos), m_keys(std::move(keys)) {
    if (!map.node.IsMap()) {
        reader.error(map,
                     "expected a mapping (key: value), got " + std::string(kind_name(map.node)));
        return;
    }
    m_ok = true;
    collect(map.node, false, 0);
}

MapReader::MapReader(YamlReader& reader, const Located& map,
                     std::initializer_list<const char*> keys)
    : MapReader(reader, map, std::vector<std::string>(keys.begin(), keys.end())) {}

void MapReader::collect(const YAML::Node& map, bool merged, int depth) {
    std::vector<YAML::Node> merges;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key_node = it->first;
        const YAML::Node value_node = it->second;
        SourcePos key_pos = position_of(key_node, m_pos);
        if (!key_node.IsScalar()) {
            m_reader.error(key_pos, m_path,
                           "a key must be a string, not " + std::string(kind_name(key_node)));
            continue;
        }
        std::string key = key_node.Scalar();
        if (key == "<<" && key_node.Tag() == "?") {
            if (!merges.empty()) {
                m_reader.error(key_pos, child_path(m_path, "<<"),
                               "a second merge key (<<) in one mapping: merge several with "
                               "one key, <<: [*first, *second]");
                continue;
            }
            merges.push_back(value_node);
            continue;
        }
        // Top-level `x-...` keys are extensions, ignored: a place for anchors (as in Compose
        // and OpenAPI).
        if (m_path.empty() && depth == 0 && !merged && key.rfind("x-", 0) == 0) {
            continue;
        }
        std::string path = child_path(m_path, key);
        auto existing = m_index.find(key);
        if (existing != m_index.end()) {
            if (!merged) {
                m_reader.error(key_pos, path,
                               "duplicate key \"" + key + "\" (first on line " +
                                   std::to_string(m_entries[existing->second].key_node.pos.line) +
                                   ")");
            }
            continue;
        }
        if (!m_keys.empty() && std::find(m_keys.begin(), m_keys.end(), key) == m_keys.end()) {
            m_unknown_keys = true;
            if (std::string suggestion = closest_match(key, m_keys); !suggestion.empty()) {
                m_suggested.push_back(suggestion);
            }
            m_reader.error(key_pos, path,
                           "unknown key \"" + key + "\"" +
                               did_you_mean(key, m_keys, "valid keys: " + join_names(m_keys)));
            continue;
        }
        // An empty value has no useful mark of its own (yaml-cpp puts it on the next token).
        SourcePos value_pos = position_of(value_node, key_pos);
        if (value_node.IsNull() && value_pos.line != key_pos.line) {
            value_pos = key_pos;
        }
        m_index.emplace(key, m_entries.size());
        m_entries.push_back(
            Entry{key, Located{key_node, path, key_pos}, Located{value_node, path, value_pos}});
    }
    // YAML merge keys: the merged maps' keys count only where this map has none.
    for (const auto& source : merges) {
        SourcePos pos = position_of(source, m_pos);
        if (depth > 8) {
            m_reader.error(pos, m_path, "merge keys (<<) nested too deeply");
            return;
        }
        if (source.IsMap()) {
            collect(source, true, depth + 1);
        } else if (source.IsSequence() &&
                   std::all_of(source.begin(), source.end(),
                               [](const YAML::Node& n) { return n.IsMap(); })) {
            for (const auto& item : source) {
                collect(item, true, depth + 1);
            }
        } else {
            m_reader.error(pos, child_path(m_path, "<<"),
                           "a merge key (<<) takes a mapping or a list of mappings");
        }
    }
}

std::optional<Located> MapReader::get(std::string_view key) const {
    auto it = m_index.find(std::string(key));
    if (it == m_index.end()) {
        return std::nullopt;
    }
    return m_entries[it->second].value;
}

std::optional<Located> MapReader::required(std::string_view key, std::string_view hint) {
    auto value = get(key);
    // A misspelt key already reported with this key as its suggestion is not missing too.
    bool suggested = std::find(m_suggested.begin(), m_suggested.end(), key) != m_suggested.end();
    if (!value && m_ok && !suggested) {
        std::string message = "missing";
        if (!hint.empty()) {
            message += " (" + std::string(hint) + ")";
        }
        m_reader.error(m_pos, child_path(m_path, key), message);
    }
    return value;
}

std::string trimmed(std::string_view text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) {
        ++b;
    }
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) {
        --e;
    }
    return std::string(text.substr(b, e - b));
}

std::vector<std::pair<std::string, JsonBox>> json_pointer_map(YamlReader& reader,
                                                              const Located& map) {
    std::vector<std::pair<std::string, JsonBox>> out;
    MapReader pointers(reader, map, std::vector<std::string>{});
    for (const auto& entry : pointers.entries()) {
        if (entry.key.empty() || entry.key[0] != '/') {
            reader.error(entry.key_node, "\"" + entry.key +
                                             "\" is not a JSON pointer (it starts with /, e.g. "
                                             "/status)");
            continue;
        }
        if (auto value = reader.json_value(entry.value)) {
            out.emplace_back(entry.key, std::move(*value));
        }
    }
    return out;
}

}  // namespace orch
