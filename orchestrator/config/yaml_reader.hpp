// Typed, located reading of a yaml-cpp tree for the loader: every read names its key path
// and position, interpolates `${VAR}`, and on a problem records a diagnostic and returns
// nothing, so the loader keeps going and reports every problem in one pass (as k6's
// Validate() []error does). Internal to config/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json_fwd.hpp>

#include "config/interpolate.hpp"
#include "config/loader.hpp"
#include "core/json_box.hpp"
#include "core/units.hpp"

namespace orch {

// --- Interface ---

/// Collects diagnostics for one file. take() attributes problems under a path that
/// `--set` wrote to "--set", redacts secrets, sorts by position, and keeps the first
/// k_max_diagnostics (plus one line saying how many more there were).
class DiagnosticList {
  public:
    static constexpr std::size_t k_max_diagnostics = 100;

    explicit DiagnosticList(std::string file) : m_file(std::move(file)) {}

    void add(SourcePos pos, std::string path, std::string message);
    /// A problem of the `--set` text itself.
    void add_override_problem(const std::string& override_text, std::string message);
    /// Records that `--set override_text` wrote the value at `path`.
    void note_override(std::string path, std::string override_text);

    bool empty() const { return m_list.empty(); }
    std::size_t size() const { return m_list.size(); }
    std::vector<Diagnostic> take();

  private:
    std::string m_file;
    std::vector<Diagnostic> m_list;
    std::vector<std::pair<std::string, std::string>> m_overrides;  ///< path, --set text
};

/// A node with its key path and 1-based position.
struct Located {
    YAML::Node node;
    std::string path;
    SourcePos pos;
};

/// `path` resolved against `base_dir` when relative, lexically normalized, without a
/// trailing separator ("pipelines" + ".." -> ".").
std::filesystem::path resolve_relative(const std::filesystem::path& base_dir,
                                       const std::string& path);

/// `parent.key` (just `key` at the top level).
std::string child_path(std::string_view parent, std::string_view key);
/// 1-based position of `node`, or `fallback` when yaml-cpp knows none.
SourcePos position_of(const YAML::Node& node, SourcePos fallback);

/// The typed reads. Each returns nullopt after recording a diagnostic.
class YamlReader {
  public:
    YamlReader(DiagnosticList& diagnostics, EnvLookup lookup)
        : m_diagnostics(diagnostics), m_lookup(std::move(lookup)) {}

    void error(const Located& at, std::string message);
    void error(SourcePos pos, std::string path, std::string message);
    std::size_t error_count() const { return m_diagnostics.size(); }

    /// Items of a list (an empty list is fine).
    std::optional<std::vector<Located>> sequence(const Located& at);
    /// Any scalar as text, after `${VAR}` interpolation.
    std::optional<std::string> text(const Located& at);
    /// As text(), but an empty string is an error.
    std::optional<std::string> non_empty_text(const Located& at);
    /// A whole number in [lo, hi].
    std::optional<std::int64_t> integer(const Located& at, std::int64_t lo, std::int64_t hi);
    /// A finite number in [lo, hi].
    std::optional<double> number(const Located& at, double lo, double hi);
    std::optional<bool> boolean(const Located& at);
    /// A duration string; `positive` rejects 0.
    std::optional<Duration> duration(const Located& at, bool positive);
    /// One of `choices` (listed in the error).
    std::optional<std::string> choice(const Located& at, const std::vector<std::string>& choices);
    /// A list of strings; `scalar_hint` is added to the error for a lone string.
    std::optional<std::vector<std::string>> string_list(const Located& at,
                                                        std::string_view scalar_hint);
    /// Any value as JSON: plain scalars become numbers, booleans and null as YAML 1.2 core
    /// reads them; quoted scalars stay strings.
    std::optional<nlohmann::json> json_value(const Located& at);
    /// The JSON value of a scalar whose interpolated text is `text`.
    static nlohmann::json scalar_json(const YAML::Node& node, const std::string& text);

  private:
    DiagnosticList& m_diagnostics;
    EnvLookup m_lookup;
};

/// "a mapping", "a list", "a string", "nothing".
std::string_view kind_name(const YAML::Node& node);

/// A mapping whose keys are checked on construction: not a mapping, unknown keys (with a
/// did-you-mean, or the list of valid keys), duplicate keys and non-string keys are
/// reported. YAML merge keys (`<<: *anchor`) are expanded: explicit keys win.
class MapReader {
  public:
    /// `keys`: the valid keys; empty: any key is valid (a free-form map such as `env:`).
    MapReader(YamlReader& reader, const Located& map, std::vector<std::string> keys);
    MapReader(YamlReader& reader, const Located& map, std::initializer_list<const char*> keys);

    bool ok() const { return m_ok; }
    /// True when an unknown key was reported (so "missing" messages would be noise).
    bool has_unknown_keys() const { return m_unknown_keys; }
    const std::string& path() const { return m_path; }
    SourcePos pos() const { return m_pos; }

    /// The value of `key`, or nullopt when absent.
    std::optional<Located> get(std::string_view key) const;
    bool has(std::string_view key) const { return get(key).has_value(); }
    /// The value of `key`; when absent, records "missing" (with `hint`) and returns nullopt.
    /// Not recorded when an unknown key was reported with `key` as its did-you-mean.
    std::optional<Located> required(std::string_view key, std::string_view hint);

    struct Entry {
        std::string key;
        Located key_node;
        Located value;
    };
    /// Every entry, in file order (merged entries after the explicit ones).
    const std::vector<Entry>& entries() const { return m_entries; }

  private:
    void collect(const YAML::Node& map, bool merged, int depth);

    YamlReader& m_reader;
    std::string m_path;
    SourcePos m_pos;
    bool m_ok = false;
    std::vector<std::string> m_keys;
    std::vector<Entry> m_entries;
    std::unordered_map<std::string, std::size_t> m_index;  ///< key -> entry, for duplicates
    bool m_unknown_keys = false;
    std::vector<std::string> m_suggested;  ///< did-you-mean keys of reported unknown keys
};

/// A map of JSON pointer -> expected value (`health.expect_json`, `expect.json`). A key
/// that is not a pointer is a diagnostic and is skipped.
std::vector<std::pair<std::string, JsonBox>> json_pointer_map(YamlReader& reader,
                                                              const Located& map);

/// `text` without leading and trailing spaces and tabs.
std::string trimmed(std::string_view text);

}  // namespace orch
